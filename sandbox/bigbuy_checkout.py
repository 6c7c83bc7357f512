"""How the BigBuy sandbox reads, checks and prices an order on ``order/create`` and
``order/check``: the form validation answer for a bad body, then BigBuy's ERxxx refusals (payment
method, carrier, postcode, unknown, inactive or out-of-stock products), split by warehouse."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sandbox import catalogue
from sandbox.bigbuy_orders import CARRIERS
from sandbox.server import Request, Response, json_response

ADDRESS_MAX = 70
POSTCODES: dict[str, tuple[str, str]] = {  # country -> (pattern, the example ER004 gives)
    "ES": (r"\d{5}", "46005"), "PT": (r"\d{4}-\d{3}", "1100-148"), "FR": (r"\d{5}", "69002"),
    "DE": (r"\d{5}", "10115"), "IT": (r"\d{5}", "00184"), "NL": (r"\d{4} ?[A-Za-z]{2}", "3511 LX"),
    "BE": (r"\d{4}", "9000"),
}
PAYMENT_METHODS = ("moneybox", "paypal", "bankwire")


def _message(info: str, data: Any = None) -> str:
    return json.dumps({"info": info, "data": data})  # BigBuy's message is JSON inside a string


def er(code: str, info: str, data: Any = None, status: int = 409) -> Response:
    return json_response({"code": code, "message": _message(info, data)}, status)


def _products_error(inactive: list[str]) -> dict[str, Any]:
    data = [{"sku": sku, "message": "Inactive product."} for sku in inactive]
    return {"code": 409, "message": _message("Products error.", data)}


def read_order(request: Request) -> tuple[dict[str, Any], Response | None]:
    """The order body, or the 400 form-validation answer BigBuy gives for a bad one."""
    try:
        body = request.json()
    except ValueError:
        return {}, json_response({"code": 400, "message": "Invalid JSON"}, 400)
    order = body.get("order") if isinstance(body, dict) else None
    if not isinstance(order, dict):
        errors = {"errors": ["This value should not be null."], "children": {}}
        return {}, json_response({"code": 400, "message": "Validation Failed", "errors": errors}, 400)
    given = order.get("shippingAddress")
    address: dict[str, Any] = given if isinstance(given, dict) else {}
    fields: dict[str, Any] = {}
    for name in ("firstName", "lastName", "country", "postcode", "town", "address", "phone"):
        if not str(address.get(name) or "").strip():
            fields[name] = {"errors": ["This value should not be blank."]}
    if len(str(address.get("address") or "")) > ADDRESS_MAX:
        fields["address"] = {"errors": [f"This value is too long. It should have {ADDRESS_MAX} characters or less."]}
    children: dict[str, Any] = {"shippingAddress": {"children": fields}} if fields else {}
    products = order.get("products")
    if not isinstance(products, list) or not products:
        children["products"] = {"errors": ["This collection should contain 1 element or more."]}
    else:
        bad = {}
        for i, p in enumerate(products):
            p = p if isinstance(p, dict) else {}
            if not str(p.get("reference") or "").strip():
                bad[str(i)] = {"children": {"reference": {"errors": ["This value should not be blank."]}}}
            elif not isinstance(p.get("quantity"), int) or p["quantity"] < 1:
                bad[str(i)] = {"children": {"quantity": {"errors": ["This value should be positive."]}}}
        if bad:
            children["products"] = {"children": bad}
    if not str(order.get("internalReference") or "").strip():
        children["internalReference"] = {"errors": ["This value should not be blank."]}
    if children:
        errors = {"errors": [], "children": children}
        return {}, json_response({"code": 400, "message": "Validation Failed", "errors": errors}, 400)
    order["shippingAddress"] = address
    return order, None


@dataclass
class Group:
    """The products of one order that ship from one warehouse: one supplier order."""

    warehouse: int
    lines: list[tuple[str, int]]

    @property
    def skus(self) -> list[str]:
        return [sku for sku, _ in self.lines]

    @property
    def total(self) -> Decimal:
        return catalogue.supplier_total(self.lines)

    def priced(self) -> dict[str, Any]:
        net = sum((catalogue.BY_SKU[s].price * q for s, q in self.lines), Decimal("0"))
        return {"productReferences": self.skus, "totalWithoutTaxesAndWithoutShippingCost": float(net),
                "totalWithoutTaxes": float(net + catalogue.SHIPPING_PER_WAREHOUSE),
                "total": float(self.total), "warehouse": self.warehouse}


def evaluate(
    order: dict[str, Any], split: bool, out_of_stock: set[str]
) -> tuple[list[Group], list[dict[str, Any]], Response | None]:
    """Price and split a valid order: (groups to create, errors of refused groups, or a whole
    refusal when nothing can be created)."""
    if order.get("paymentMethod", "moneybox") not in PAYMENT_METHODS:
        return [], [], er("ER011", "Invalid payment method.")
    wanted = {str(c.get("name", "")).lower() for c in order.get("carriers") or [] if isinstance(c, dict)}
    if wanted and not wanted & {n.lower() for n in CARRIERS.values()}:
        return [], [], er("ER010", "No carrier available for this order.")
    country = str(order["shippingAddress"].get("country", "")).upper()
    postcode = str(order["shippingAddress"]["postcode"]).strip()
    if country in POSTCODES and not re.fullmatch(POSTCODES[country][0], postcode):
        return [], [], er("ER004", "Wrong postcode format.", {"zipExample": POSTCODES[country][1]})
    lines: dict[str, int] = {}
    for p in order["products"]:
        lines[str(p["reference"])] = lines.get(str(p["reference"]), 0) + int(p["quantity"])
    unknown = [sku for sku in lines if sku not in catalogue.BY_SKU]
    if unknown:
        return [], [], er("ER001", "Product not found.", {"skus": unknown})
    by_warehouse: dict[int, list[tuple[str, int]]] = {}
    for sku, qty in lines.items():
        by_warehouse.setdefault(catalogue.BY_SKU[sku].warehouse if split else 0, []).append((sku, qty))
    groups: list[Group] = []
    errors: list[dict[str, Any]] = []
    inactive: list[str] = []
    empty: list[str] = []
    for warehouse, group in sorted(by_warehouse.items()):
        off = [s for s, _ in group if not catalogue.BY_SKU[s].active]
        dry = [s for s, q in group if s not in off and (catalogue.BY_SKU[s].stock < q or s in out_of_stock)]
        where = {"productReferences": off + dry, "warehouse": warehouse}
        if off:
            errors.append({**_products_error(off), **where})
        if dry:
            errors.append({"code": "ER003", "message": _message("No stock.", {"skus": dry}), **where})
        inactive, empty = inactive + off, empty + dry
        if not off and not dry:
            groups.append(Group(warehouse or min(catalogue.BY_SKU[s].warehouse for s, _ in group), group))
    if groups:
        return groups, errors, None
    if split and len(errors) > 1:  # each warehouse refused for its own reason: the list says which
        return [], [], json_response({"orders": [], "errors": errors}, 409)
    if inactive:
        return [], [], json_response(_products_error(inactive), 409)
    return [], [], er("ER003", "No stock.", {"skus": empty})
