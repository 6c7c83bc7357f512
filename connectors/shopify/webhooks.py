"""Shopify webhooks: reading a delivery (``X-Shopify-Hmac-Sha256`` over the raw body, keyed with
the app's client secret; ``X-Shopify-Webhook-Id`` names the delivery, the same on a retry) and
the REST subscriptions (``webhooks.json``)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from connectors.shopify.errors import ShopifyParseError
from connectors.webhooks import BadSignature, Delivery, Subscription, body_digest, header, signature_matches

#: what ``channels webhooks register`` subscribes a Shopify channel to
TOPICS = ("orders/create", "orders/updated", "orders/cancelled", "app/uninstalled")
SIGNATURE = "X-Shopify-Hmac-Sha256"
DELIVERY_ID = "X-Shopify-Webhook-Id"
TOPIC = "X-Shopify-Topic"


def read(headers: Mapping[str, str], body: bytes, secret: str | None) -> Delivery:
    if not signature_matches(secret, body, header(headers, SIGNATURE)):
        raise BadSignature("the delivery is not signed with the app's client secret")
    topic = (header(headers, TOPIC) or "").strip()[:100]
    delivery_id = ((header(headers, DELIVERY_ID) or "").strip() or body_digest(body))[:200]
    if topic == "app/uninstalled":
        return Delivery(delivery_id, topic, "uninstalled")
    if not topic.startswith("orders/"):
        return Delivery(delivery_id, topic, "ignore")
    order_id = _order_id(body)
    if order_id is None:
        return Delivery(delivery_id, topic, "ignore")
    return Delivery(delivery_id, topic, "order", order_id)


def _order_id(body: bytes) -> str | None:
    """Every ``orders/*`` body (``orders/delete`` too) carries the order's ``id``."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None
    value = data.get("id") if isinstance(data, dict) else None
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return str(value)
    if isinstance(value, str) and value.isdigit() and len(value) <= 20:
        return value
    return None


def subscriptions(body: Any) -> list[Subscription]:
    items = body.get("webhooks") if isinstance(body, dict) else None
    if not isinstance(items, list):
        raise ShopifyParseError('webhooks is not {"webhooks": [...]}')
    found = []
    for item in items:
        if isinstance(item, dict) and item.get("id") is not None:
            found.append(Subscription(id=str(item["id"]), topic=str(item.get("topic", "")),
                                      address=str(item.get("address", ""))))
    return found


def create_body(topic: str, address: str) -> dict[str, Any]:
    return {"webhook": {"topic": topic, "address": address, "format": "json"}}
