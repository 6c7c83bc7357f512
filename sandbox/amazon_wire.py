"""The Amazon sandbox's wire formats: seed orders rendered as Orders API v2026-01-01 bodies, the
usage-plan token buckets, the shape of Amazon's error answers."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sandbox import seeding
from sandbox.server import Response, json_response

MARKETPLACE_ID = "A1RKKUPIHCS9HS"  # Amazon.es
INCLUDED_DATA = frozenset({"BUYER", "RECIPIENT", "PROCEEDS", "EXPENSE", "PROMOTION", "CANCELLATION",
                           "FULFILLMENT", "PACKAGES", "TAX", "PAYMENT", "FULFILLMENT_ORDERS"})
#: the models' usage plans: operation -> (rate per second, burst)
USAGE_PLANS = {"searchOrders": (0.0056, 20), "getOrder": (0.5, 30), "confirmShipment": (2.0, 10)}


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def money(amount: Decimal, currency: str) -> dict[str, str]:
    return {"amount": str(amount.quantize(Decimal("0.01"))), "currencyCode": currency}


def errors(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> Response:
    return json_response({"errors": [{"code": code, "message": message}]}, status, headers)


@dataclass
class Bucket:
    """Amazon's token bucket for one operation."""

    rate: float
    burst: int
    tokens: float = 0.0
    stamp: float = field(default_factory=time.monotonic)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.tokens = float(self.burst)

    def take(self) -> bool:
        with self.lock:
            now = time.monotonic()
            self.tokens = min(float(self.burst), self.tokens + (now - self.stamp) * self.rate)
            self.stamp = now
            if self.tokens >= 1:
                self.tokens -= 1
                return True
            return False


def status_of(spec: seeding.OrderSpec, shipped: dict[int, int]) -> str:
    if spec.cancelled:
        return "CANCELLED"
    if not spec.paid:
        return "PENDING"
    done = [min(shipped.get(line.line_id, 0), line.quantity) for line in spec.lines]
    if all(d >= line.quantity for d, line in zip(done, spec.lines, strict=True)):
        return "SHIPPED"
    return "PARTIALLY_SHIPPED" if any(done) else "UNSHIPPED"


def render(spec: seeding.OrderSpec, shipped: dict[int, int], included: frozenset[str]) -> dict[str, Any]:
    """One order as searchOrders and getOrder give it; blocks only when ``includedData`` asks."""
    body: dict[str, Any] = {
        "orderId": order_id(spec),
        "orderAliases": [{"aliasId": f"SANDBOX-{spec.number}", "aliasType": "SELLER_ORDER_ID"}],
        "createdTime": iso(spec.created_at),
        "lastUpdatedTime": iso(spec.updated_at),
        "programs": [],
        "salesChannel": {"channelName": "AMAZON", "marketplaceId": MARKETPLACE_ID, "marketplaceName": "Amazon.es"},
        "orderItems": [_item(line, spec, shipped, included) for line in spec.lines],
    }
    # Amazon gives one name: the surname is whatever words follow the first ones
    name = " ".join(part for part in (spec.first_name, spec.last_name) if part)
    if "BUYER" in included:
        body["buyer"] = {"buyerName": name, "buyerEmail": _buyer_email(spec)}
    if "RECIPIENT" in included:
        address: dict[str, Any] = {
            "name": name, "addressLine1": spec.address1, "city": spec.city, "stateOrRegion": spec.region,
            "postalCode": spec.postcode, "countryCode": spec.country_code, "phone": spec.phone,
            "addressType": "COMMERCIAL" if spec.company else "RESIDENTIAL",
        }
        if spec.address2:
            address["addressLine2"] = spec.address2
        if spec.company:
            address["companyName"] = spec.company
        body["recipient"] = {"deliveryAddress": address}
    if "PROCEEDS" in included and spec.paid:
        body["proceeds"] = {"grandTotal": money(spec.total, spec.currency)}
    if "FULFILLMENT" in included:
        body["fulfillment"] = {"fulfillmentStatus": status_of(spec, shipped), "fulfilledBy": "MERCHANT",
                               "fulfillmentServiceLevel": "STANDARD"}
    return body


def order_id(spec: seeding.OrderSpec) -> str:
    digits = f"{spec.order_id:014d}"
    return f"40{digits[-1]}-{digits[-14:-7]}-{digits[-7:]}"


def _buyer_email(spec: seeding.OrderSpec) -> str:
    local = spec.email.split("@", 1)[0].replace(".", "")
    return f"{local[:14]}{spec.order_id}@marketplace.amazon.es"


def _item(line: seeding.LineSpec, spec: seeding.OrderSpec, shipped: dict[int, int],
          included: frozenset[str]) -> dict[str, Any]:
    item: dict[str, Any] = {
        "orderItemId": f"{line.line_id:014d}",
        "quantityOrdered": line.quantity,
        "product": {"asin": f"B0{line.line_id % 10**8:08d}", "title": line.title, "sellerSku": line.sku,
                    "condition": {"conditionType": "NEW"},
                    "price": {"unitPrice": money(line.unit_price, spec.currency)}},
    }
    if "FULFILLMENT" in included:
        done = min(shipped.get(line.line_id, 0), line.quantity)
        item["fulfillment"] = {"quantityFulfilled": done, "quantityUnfulfilled": line.quantity - done}
    return item
