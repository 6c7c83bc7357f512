"""What the BigBuy sandbox stores of an order it created, and how BigBuy's order and tracking
endpoints render it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sandbox import catalogue

CARRIERS = {1: "Correos", 2: "Chrono", 3: "GLS", 4: "DHL"}
#: BigBuy gives its dates in its own time, without a zone
MADRID = ZoneInfo("Europe/Madrid")
WAREHOUSE_CARRIER = {1: 1, 3: 3}
STATUSES = {1: "Processing", 2: "Shipped", 3: "Delivered", 4: "Cancelled"}


@dataclass
class StoredOrder:
    id: str
    reference: str
    warehouse: int
    lines: list[tuple[str, int]]
    address: dict[str, Any]
    total: Decimal
    created_at: datetime
    status: str = STATUSES[1]
    tracking_number: str | None = None
    shipped_at: datetime | None = None

    def content(self) -> tuple[Any, ...]:
        a = self.address
        keys = ("firstName", "lastName", "address", "postcode", "country")
        who = tuple(str(a.get(k, "")).strip().casefold() for k in keys)
        return who + (tuple(sorted(self.lines)),)


def order_json(o: StoredOrder) -> dict[str, Any]:
    shipping, tax = catalogue.SHIPPING_PER_WAREHOUSE, 1 + catalogue.TAX_RATE
    carrier = WAREHOUSE_CARRIER.get(o.warehouse, 1)
    products = [{"id": int(sku[1:]), "reference": sku, "quantity": qty, "name": p.title,
                 "priceTaxIncl": float(p.price * tax), "priceTaxExcl": float(p.price)}
                for sku, qty in o.lines for p in [catalogue.BY_SKU[sku]]]
    return {"id": o.id, "internalReference": o.reference, "dateAdd": f"{o.created_at:%Y-%m-%d %H:%M:%S}",
            "totalPaidTaxIncl": float(o.total), "totalPaidTaxExcl": float(round(o.total / tax, 2)),
            "totalShippingTaxIncl": float(shipping * tax), "totalShippingTaxExcl": float(shipping),
            "status": o.status, "shippingAddress": o.address, "products": products,
            "carriers": [{"id": carrier, "name": CARRIERS[carrier], "price": float(shipping)}]}


def tracking_json(order: StoredOrder) -> dict[str, Any]:
    at = order.shipped_at or order.created_at
    tracking = {"trackingNumber": order.tracking_number, "statusDescription": order.status,
                "statusDate": f"{at.astimezone(MADRID):%Y-%m-%d %H:%M:%S}", "descriptionTranslated": order.status,
                "carrier": {"id": WAREHOUSE_CARRIER.get(order.warehouse, 1)}}
    return {"id": order.id, "reference": order.reference, "trackings": [tracking]}
