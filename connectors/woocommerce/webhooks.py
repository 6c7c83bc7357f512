"""WooCommerce webhooks: reading a delivery (``X-WC-Webhook-Signature`` over the raw body, keyed
with the webhook's secret; ``X-WC-Webhook-Delivery-ID`` names it) and the wc/v3 ``webhooks``
resource. A new webhook is first "pinged" with an unsigned form body ``webhook_id=N``, which must
be answered 200 and means nothing else."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from connectors.webhooks import (
    BadSignature,
    Delivery,
    Subscription,
    delivery_id,
    header,
    order_delivery,
    signature_matches,
)
from connectors.woocommerce.errors import WooParseError

#: what ``channels webhooks register`` subscribes a WooCommerce channel to
TOPICS = ("order.created", "order.updated", "order.deleted")
#: the order topics a delivery is read for (a restored order comes back from the trash)
ORDER_TOPICS = frozenset({*TOPICS, "order.restored"})
SIGNATURE = "X-WC-Webhook-Signature"
DELIVERY_ID = "X-WC-Webhook-Delivery-ID"
_PING = re.compile(rb"webhook_id=[0-9]{1,20}")


def read(headers: Mapping[str, str], body: bytes, secret: str | None) -> Delivery:
    signature = header(headers, SIGNATURE)
    if not signature and _PING.fullmatch(body.strip()):
        return Delivery("ping", "ping", "ping")
    if not signature_matches(secret, body, signature):
        raise BadSignature("the delivery is not signed with the webhook's secret")
    topic = (header(headers, "X-WC-Webhook-Topic") or "").strip()
    if not topic:
        resource = (header(headers, "X-WC-Webhook-Resource") or "").strip()
        event = (header(headers, "X-WC-Webhook-Event") or "").strip()
        topic = f"{resource}.{event}" if resource and event else ""
    topic = topic[:100]
    delivery = delivery_id(headers, DELIVERY_ID, body)
    if topic not in ORDER_TOPICS:
        return Delivery(delivery, topic, "ignore")
    return order_delivery(delivery, topic, body)



def subscriptions(body: Any) -> list[Subscription]:
    if not isinstance(body, list):
        raise WooParseError("woocommerce: the webhooks answer is not a JSON list")
    return [Subscription(id=str(item["id"]), topic=str(item.get("topic", "")),
                         address=str(item.get("delivery_url", "")), status=str(item.get("status", "")))
            for item in body if isinstance(item, dict) and item.get("id") is not None]


def create_body(topic: str, address: str, secret: str) -> dict[str, Any]:
    return {"name": f"OrderHub {topic}", "topic": topic, "delivery_url": address, "secret": secret,
            "status": "active"}
