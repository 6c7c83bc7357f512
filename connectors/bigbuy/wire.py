"""BigBuy's bodies <-> canonical records: request bodies out, success payloads in.

Parsers raise ``ValueError`` (or its subclasses) on a shape they cannot read; the connector decides
what that means (a parse error on a read, an unknown outcome on a create).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from connectors import codes
from connectors.bigbuy import outcomes
from connectors.bigbuy import refusals as mapping
from connectors.records import (
    Quote,
    SupplierAddress,
    SupplierLine,
    SupplierOrder,
    SupplierOrderRequest,
    SupplierRefusal,
    SupplierSubmission,
    Tracking,
    as_utc,
)
from connectors.storable import max_amount, max_length

CENT = Decimal("0.01")
#: the zone of BigBuy's dates that carry none (``statusDate``)
BIGBUY_TIME = ZoneInfo("Europe/Madrid")
# What the store keeps (declared on the records): longer texts are cut, longer numbers dropped
MAX_AMOUNT = max_amount(SupplierOrder, "total")
MAX_TRACKING_NUMBER = max_length(Tracking, "number")
MAX_CARRIER = max_length(Tracking, "carrier")
MAX_STATUS = max_length(Tracking, "status")
MAX_WAREHOUSE = max_length(SupplierOrder, "warehouse")


def order_body(request: SupplierOrderRequest, *, language: str, carriers: list[str]) -> dict[str, Any]:
    address = request.address
    shipping: dict[str, Any] = {
        "firstName": address.first_name,
        "lastName": address.last_name,
        "country": address.country_code,
        "postcode": address.postcode,
        "town": address.city,
        "address": address.address,
        "phone": address.phone,
        "email": address.email or "",
        "comment": address.comment or "",
    }
    if address.company:
        shipping["companyName"] = address.company
    return {
        "order": {
            "internalReference": request.internal_reference,
            "language": language,
            "paymentMethod": request.payment_method,
            "carriers": [{"name": carrier_code(name)} for name in carriers],
            "shippingAddress": shipping,
            "products": [{"reference": line.supplier_sku, "quantity": line.quantity} for line in request.lines],
        }
    }


def carrier_code(name: str) -> str:
    """BigBuy names carriers in an order by code: ``correos``, ``gls``, ``chrono`` (lower case)."""
    return "".join(name.split()).lower()


def money(value: Any) -> Decimal:
    """A BigBuy amount (float, int or string) as cents; floats go through ``str`` so 9.81 stays 9.81."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ValueError("amount is not a number")
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValueError("amount is not a number") from None
    if not amount.is_finite():
        raise ValueError("amount is not finite")
    if abs(amount) >= MAX_AMOUNT:
        raise ValueError("amount is out of range")
    amount = amount.quantize(CENT, rounding=ROUND_HALF_UP)
    if abs(amount) >= MAX_AMOUNT:  # 999999999999.995 rounds up past the column
        raise ValueError("amount is out of range")
    return amount


def _id(value: Any, what: str) -> str:
    found = mapping.plain_id(value)
    if found is None:
        raise ValueError(f"{what} is missing or not an id")
    return found


def label(value: Any, limit: int) -> str | None:
    """A free text (carrier name, status description) as it can be kept: cut to ``limit``."""
    if value is None or isinstance(value, bool) or not isinstance(value, (str, int, float)):
        return None
    text = str(value).replace("\x00", "").strip()
    return text[:limit].strip() or None


def _skus(value: Any) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise ValueError("productReferences is not a list")
    return [_id(v, "product reference") for v in value]


def _warehouse(value: Any) -> str | None:
    return mapping.plain_id(value, MAX_WAREHOUSE)


def refusals_from_entries(entries: Any) -> tuple[list[SupplierRefusal], list[str]]:
    """The ``errors`` of a multishipping answer: refusals, plus order ids an ER008 entry named.

    Entries are not documented: ER00x dicts, product-error dicts and plain texts are all read.
    """
    if entries is None:
        return [], []
    if isinstance(entries, Mapping):  # a form-validation tree where a list was expected
        return mapping.form_refusals(entries, ""), []
    if not isinstance(entries, list):
        raise ValueError("errors is not a list")
    refusals: list[SupplierRefusal] = []
    existing: list[str] = []
    for entry in entries[:200]:
        if not isinstance(entry, Mapping):
            message = outcomes.short(entry)  # an operator must be told something, also for "" or null
            refusals.append(SupplierRefusal(code=codes.SUPPLIER_REJECTED, message=message or "refused"))
            continue
        code = entry.get("code")
        if isinstance(code, str) and mapping.ER_CODE.fullmatch(code.strip()):
            outcome = mapping.coded(code.strip().upper(), entry.get("message"), entry)
            if isinstance(outcome, outcomes.Refused):
                refusals.extend(outcome.refusals)
            elif isinstance(outcome, outcomes.AlreadyExists) and outcome.order_id:
                existing.append(outcome.order_id)
            else:  # a temporary error on one part cannot be retried alone: a person decides
                message = getattr(outcome, "message", f"{code} error")
                refusals.append(SupplierRefusal(code=codes.SUPPLIER_REJECTED, message=message, supplier_code=code))
            continue
        products = mapping.product_refusals(entry.get("message"))
        if products:
            refusals.extend(products)
            continue
        message = outcomes.short(entry.get("message", entry))
        refusals.append(
            SupplierRefusal(
                code=codes.SUPPLIER_REJECTED,
                message=message or "refused",
                skus=outcomes.strings(entry.get("productReferences")),
            )
        )
    return refusals, existing


def _entries(payload: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The ``orders`` list of a create or check answer, each entry an object."""
    entries = payload["orders"]
    if not isinstance(entries, list):
        raise ValueError("orders is not a list")
    if not all(isinstance(entry, Mapping) for entry in entries):
        raise ValueError("an order entry is not an object")
    return entries


def submission(reference: str, payload: Any) -> SupplierSubmission:
    """A multishipping create answer. Raises ``ValueError`` unless it says something definite."""
    if not isinstance(payload, Mapping) or "orders" not in payload:
        raise ValueError("no orders in the create answer")
    orders = []
    for entry in _entries(payload):
        orders.append(
            SupplierOrder(
                supplier_order_id=_id(entry.get("id"), "order id"),
                warehouse=_warehouse(entry.get("warehouse")),
                skus=_skus(entry.get("productReferences")),
            )
        )
    refusals, existing = refusals_from_entries(payload.get("errors"))
    orders += [SupplierOrder(supplier_order_id=order_id) for order_id in existing]
    if not orders and not refusals:
        raise ValueError("the create answer names no order and no error")
    return SupplierSubmission(
        internal_reference=reference,
        orders=orders,
        refusals=refusals,
        already_existed=bool(existing),
    )


def quote(payload: Any) -> Quote:
    """A check/multishipping answer (or a plain check answer, which has no split)."""
    if not isinstance(payload, Mapping):
        raise ValueError("the check answer is not an object")
    if "orders" not in payload:
        return Quote(total=money(payload.get("total")))
    orders = []
    for entry in _entries(payload):
        orders.append(
            SupplierOrder(
                supplier_order_id="",  # a quote creates nothing, so there is no id yet
                warehouse=_warehouse(entry.get("warehouse")),
                skus=_skus(entry.get("productReferences")),
                total=money(entry.get("total")),
            )
        )
    refusals, _ = refusals_from_entries(payload.get("errors"))
    total = sum((o.total or Decimal("0") for o in orders), Decimal("0"))
    return Quote(orders=orders, total=total, refusals=refusals)


def found(reference: str, payload: Any) -> SupplierSubmission:
    """``order/reference/{ref}.json``: ``{id, totalPaidTaxIncl}`` of one of the reference's orders."""
    if isinstance(payload, list) and len(payload) == 1:
        payload = payload[0]
    if not isinstance(payload, Mapping):
        raise ValueError("the reference answer is not an object")
    total = payload.get("totalPaidTaxIncl")
    order = SupplierOrder(
        supplier_order_id=_id(payload.get("id"), "order id"),
        total=None if total is None else money(total),
    )
    return SupplierSubmission(internal_reference=reference, orders=[order], already_existed=True)


def carriers(payload: Any) -> dict[str, str]:
    if not isinstance(payload, list):
        raise ValueError("the carriers answer is not a list")
    names: dict[str, str] = {}
    for entry in payload:
        if isinstance(entry, Mapping) and entry.get("id") is not None and entry.get("name"):
            name = label(entry["name"], MAX_CARRIER)
            if name:
                names[str(entry["id"])] = name
    return names


def carrier_ids(payload: Any) -> set[str]:
    """Every carrier id the tracking answer mentions (to know whether the names are at hand)."""
    ids: set[str] = set()
    orders = [payload] if isinstance(payload, Mapping) else payload
    for order in orders if isinstance(orders, list) else []:
        items = order.get("trackings") if isinstance(order, Mapping) else None
        for item in items if isinstance(items, list) else []:
            carrier = item.get("carrier") if isinstance(item, Mapping) else None
            if isinstance(carrier, Mapping) and carrier.get("id") is not None:
                ids.add(str(carrier["id"]))
    return ids


def trackings(payload: Any, carrier_names: Mapping[str, str]) -> list[Tracking]:
    """Tracking answers: one record per tracking number; orders without one are left out."""
    if isinstance(payload, Mapping):  # tracking/order/{id}.json answers one order
        payload = [payload]
    if not isinstance(payload, list):
        raise ValueError("the tracking answer is not a list")
    found_: list[Tracking] = []
    for order in payload:
        if not isinstance(order, Mapping):
            raise ValueError("a tracking entry is not an object")
        order_id = _id(order.get("id"), "order id")
        items = order.get("trackings") or []
        if not isinstance(items, list):
            raise ValueError("trackings is not a list")
        for item in items:
            number = _tracking_number(item.get("trackingNumber") if isinstance(item, Mapping) else None)
            if number is None:
                continue
            carrier = item.get("carrier")
            carrier_id = carrier.get("id") if isinstance(carrier, Mapping) else None
            name = carrier.get("name") if isinstance(carrier, Mapping) else None
            status = item.get("statusDescription") or item.get("descriptionTranslated")
            found_.append(
                Tracking(
                    supplier_order_id=order_id,
                    number=number,
                    carrier=(
                        carrier_names.get(str(carrier_id)) if carrier_id is not None else label(name, MAX_CARRIER)
                    ),
                    status=label(status, MAX_STATUS),
                    at=when(item.get("statusDate")),
                )
            )
    return found_


def _tracking_number(value: Any) -> str | None:
    """A tracking number, or None for what cannot be one (blank, a structure, longer than its column)."""
    return mapping.plain_id(value, MAX_TRACKING_NUMBER) if value else None


def when(value: Any) -> datetime | None:
    """BigBuy dates come as ISO or ``Y-m-d H:i:s``; without a zone they are BigBuy's own time
    (Europe/Madrid, summer time included). Anything else is dropped."""
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip().replace("Z", "+00:00")
    parsed: datetime | None = None
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        for fmt in ("%d/%m/%Y %H:%M:%S", "%d/%m/%Y", "%d-%m-%Y %H:%M:%S"):
            try:
                parsed = datetime.strptime(text, fmt)
                break
            except ValueError:
                continue
    if parsed is None:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=BIGBUY_TIME)
    try:
        return as_utc(parsed)
    except OverflowError:  # an offset pushing the date out of range: a date is not worth a failure
        return None


def purse(payload: Any) -> Decimal:
    """``user/purse.json`` answers a bare JSON string (``"10000.00"``); a number is taken too."""
    if isinstance(payload, Mapping):  # not documented, but cheap to accept
        payload = payload.get("purse", payload.get("amount"))
    return money(payload)


def status_names(payload: Any) -> dict[str, str]:
    if not isinstance(payload, list):
        raise ValueError("the statuses answer is not a list")
    return {
        str(e["id"]): str(e["name"])
        for e in payload
        if isinstance(e, Mapping) and e.get("id") is not None and e.get("name") is not None
    }


def held_order(payload: Any) -> SupplierOrderRequest:
    """``order/{id}.json``: the order's delivery address and products, in the request's shape."""
    if not isinstance(payload, Mapping):
        raise ValueError("the order answer is not an object")
    products, address = payload.get("products"), payload.get("shippingAddress") or {}
    if not isinstance(products, list) or not isinstance(address, Mapping):
        raise ValueError("the order answer has no products list or no address object")
    lines = []
    for p in products:
        quantity = p.get("quantity") if isinstance(p, Mapping) else None
        if not isinstance(quantity, int | str) or not str(quantity).isdigit():
            raise ValueError("a product has no whole quantity")
        if int(quantity) > 0:
            sku = _id(p.get("reference"), "product reference")
            lines.append(SupplierLine(supplier_sku=sku, quantity=int(quantity)))

    def text(key: str) -> str:
        return str(address.get(key) or "").strip()

    return SupplierOrderRequest(
        internal_reference=str(payload.get("internalReference") or ""),
        address=SupplierAddress(first_name=text("firstName"), last_name=text("lastName"), country_code=text("country"),
                                postcode=text("postcode"), city=text("town"), address=text("address"),
                                phone=text("phone"), email=text("email") or None),
        lines=lines,
    )


def order_status(payload: Any, names: Mapping[str, str] | None) -> str | None:
    if not isinstance(payload, Mapping):
        raise ValueError("the order answer is not an object")
    status = payload.get("status")
    if isinstance(status, Mapping):
        status = status.get("name", status.get("id"))
    if status is None or isinstance(status, bool):
        return None
    text = str(status).strip()
    if names and text in names:  # a status given by id: name it
        return names[text]
    return text or None
