"""BigBuy's ``shipping/orders.json`` in the sandbox: the shipping options of a cart, and the 409
with each warehouse's part for a cart that mixes warehouses."""

from __future__ import annotations

from typing import Any

from sandbox import catalogue
from sandbox.server import Request, Response, json_response

#: carriers that deliver to some countries only (the others deliver everywhere)
CARRIER_COUNTRIES = {2: frozenset({"ES", "PT"})}


def options(request: Request, carriers: dict[int, str]) -> tuple[Any, Response | None]:
    """(the answer's payload, None), or (None, the refusal)."""
    try:
        order = request.json()["order"]
        country = str(order["delivery"]["isoCountry"]).upper()
        lines = [(str(p["reference"]), int(p["quantity"])) for p in order["products"]]
    except (ValueError, KeyError, TypeError):
        return None, json_response({"code": 400, "message": "Invalid shipping body"}, 400)
    unknown = [sku for sku, _ in lines if sku not in catalogue.BY_SKU]
    if unknown or not lines:
        return None, json_response({"code": 404, "message": f"Product not found: {', '.join(unknown)}"}, 404)
    by_warehouse: dict[int, list[str]] = {}
    for sku, _ in lines:
        by_warehouse.setdefault(catalogue.BY_SKU[sku].warehouse, []).append(sku)
    if len(by_warehouse) > 1:
        detail = {"warehouses": [{"id": w, "references": refs} for w, refs in sorted(by_warehouse.items())]}
        return None, json_response({"code": 409, "message": "Products from different warehouses",
                                    "error_detail": detail}, 409)
    found = [{"shippingService": {"id": k, "name": name, "delay": "24-72h", "transportMethod": "van",
                                  "serviceName": name.lower()},
              "cost": float(catalogue.SHIPPING_PER_WAREHOUSE), "weight": 1.0}
             for k, name in carriers.items() if country in CARRIER_COUNTRIES.get(k, {country})]
    return {"shippingOptions": found}, None
