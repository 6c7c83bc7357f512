"""BigBuy's shipping options for an order (``shipping/orders.json``): how an operator's choice of
carrier is checked before it is sent."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from connectors.bigbuy import outcomes
from connectors.bigbuy.wire import MAX_CARRIER, carrier_code, label, money
from connectors.records import ShippingOption, SupplierOrderRequest


def shipping_body(request: SupplierOrderRequest) -> dict[str, Any]:
    """``shipping/orders.json``: where to and what, nothing of the buyer beyond that."""
    address = request.address
    return {
        "order": {
            "delivery": {"isoCountry": address.country_code, "postcode": address.postcode},
            "products": [{"reference": line.supplier_sku, "quantity": line.quantity} for line in request.lines],
        }
    }


def shipping_options(payload: Any) -> list[ShippingOption]:
    """``{"shippingOptions": [...]}`` (a dict where the docs say a list; both are read): one
    option per shipping service, its carrier given by code."""
    if isinstance(payload, Mapping):
        payload = payload.get("shippingOptions")
    if isinstance(payload, Mapping):
        payload = list(payload.values())
    if not isinstance(payload, list):
        raise ValueError("the shipping answer holds no shippingOptions list")
    found: list[ShippingOption] = []
    for entry in payload:
        service = entry.get("shippingService") if isinstance(entry, Mapping) else None
        if not isinstance(service, Mapping):
            raise ValueError("a shipping option has no shippingService")
        name = label(service.get("name"), MAX_CARRIER)
        code = label(service.get("serviceName"), MAX_CARRIER) or name
        if not code:
            raise ValueError("a shipping option names no carrier")
        found.append(ShippingOption(carrier=carrier_code(code), name=name or code,
                                    delay=label(service.get("delay"), MAX_CARRIER),
                                    cost=None if entry.get("cost") is None else money(entry["cost"])))
    return found


def warehouse_parts(payload: Any) -> list[list[str]]:
    """The product references of each warehouse, from the 409 a cart mixing warehouses answers
    (``error_detail.warehouses: [{id, references}]``); empty when the answer is not that."""
    detail = payload.get("error_detail") if isinstance(payload, Mapping) else None
    warehouses = detail.get("warehouses") if isinstance(detail, Mapping) else None
    if not isinstance(warehouses, list):
        return []
    parts = [outcomes.strings(w.get("references")) for w in warehouses if isinstance(w, Mapping)]
    return [part for part in parts if part]
