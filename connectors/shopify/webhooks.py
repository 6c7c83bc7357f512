"""Shopify webhooks: reading a delivery (``X-Shopify-Hmac-Sha256`` over the raw body, keyed with
the app's client secret; ``X-Shopify-Webhook-Id`` names the delivery, the same on a retry) and
the REST subscriptions (``webhooks.json``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from connectors.shopify.errors import ShopifyParseError
from connectors.webhooks import (
    BadSignature,
    Delivery,
    Subscription,
    delivery_id,
    header,
    order_delivery,
    signature_matches,
)

#: what ``channels webhooks register`` subscribes a Shopify channel to
TOPICS = ("orders/create", "orders/updated", "orders/cancelled", "app/uninstalled")
SIGNATURE = "X-Shopify-Hmac-Sha256"
DELIVERY_ID = "X-Shopify-Webhook-Id"
TOPIC = "X-Shopify-Topic"


def read(headers: Mapping[str, str], body: bytes, secret: str | None) -> Delivery:
    if not signature_matches(secret, body, header(headers, SIGNATURE)):
        raise BadSignature("the delivery is not signed with the app's client secret")
    topic = (header(headers, TOPIC) or "").strip()[:100]
    delivery = delivery_id(headers, DELIVERY_ID, body)
    if topic == "app/uninstalled":
        return Delivery(delivery, topic, "uninstalled")
    if not topic.startswith("orders/"):
        return Delivery(delivery, topic, "ignore")
    return order_delivery(delivery, topic, body)


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
