"""Deliveries as Shopify and WooCommerce sign them, for the webhook tests."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid
from typing import Any

from support import payload

SHOP_SECRET = "shpss_test_secret"
WOO_SECRET = "woo-test-secret"


def signed(secret: str, body: bytes) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


Delivered = tuple[bytes, dict[str, str]]


def shopify_delivery(order_id: int | None, *, topic: str = "orders/updated", secret: str = SHOP_SECRET,
                     delivery_id: str | None = None, body: dict[str, Any] | None = None) -> Delivered:
    raw = json.dumps(body if body is not None else {"id": order_id, "name": f"#{order_id}"}).encode()
    return raw, {"Content-Type": "application/json", "X-Shopify-Topic": topic,
                 "X-Shopify-Hmac-Sha256": signed(secret, raw), "X-Shopify-Shop-Domain": "shop.myshopify.com",
                 "X-Shopify-Webhook-Id": delivery_id or str(uuid.uuid4())}


def woo_delivery(order_id: int, *, topic: str = "order.updated", secret: str = WOO_SECRET,
                 delivery_id: str | None = None) -> tuple[bytes, dict[str, str]]:
    raw = json.dumps({"id": order_id, "number": str(order_id)}).encode()
    resource, _, event = topic.partition(".")
    return raw, {"Content-Type": "application/json", "X-WC-Webhook-Topic": topic,
                 "X-WC-Webhook-Resource": resource, "X-WC-Webhook-Event": event,
                 "X-WC-Webhook-Signature": signed(secret, raw), "X-WC-Webhook-ID": "142",
                 "X-WC-Webhook-Delivery-ID": delivery_id or uuid.uuid4().hex}


def shopify_order(order_id: int, *, paid: str = "paid",
                  updated_at: str = "2026-11-02T10:00:00+00:00") -> dict[str, Any]:
    """A real Shopify REST order body, as ``GET orders/{id}.json`` answers it, for SKU-1."""
    body: dict[str, Any] = json.loads(payload("shopify", "order.json").read_text())["order"]
    body["line_items"] = [dict(body["line_items"][0], sku="SKU-1", quantity=1)]
    return body | {"id": order_id, "name": f"#{order_id}", "financial_status": paid, "updated_at": updated_at,
                   "fulfillment_status": None}
