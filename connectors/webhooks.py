"""Webhooks, platform-neutral: a delivery as the engine sees it, and the signature check every
platform here uses (base64 of HMAC-SHA256 over the raw body).

A connector reads its platform's headers and body into a ``Delivery``; it never trusts a body
before its signature matched. The engine only ever asks the channel for the order named: the
body itself is a hint, since deliveries come late, twice and out of order.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from connectors.errors import ConnectorError

#: what a delivery asks of the engine: read one order again, note the app was uninstalled,
#: answer a ping (stores nothing), or nothing at all (a topic the engine does not follow)
Action = Literal["order", "uninstalled", "ping", "ignore"]


class BadSignature(ConnectorError):
    """The delivery is not signed with the channel's secret (or not signed at all)."""


@dataclass(frozen=True)
class Delivery:
    #: the platform's id of this delivery (the same on a re-delivery): the key of the dedupe
    delivery_id: str
    topic: str
    action: Action
    #: the channel's id of the order, for ``action == "order"``
    external_id: str | None = None


@dataclass(frozen=True)
class Subscription:
    """One subscription as the platform lists it."""

    id: str
    topic: str
    address: str
    status: str = "active"


def sign(secret: str, body: bytes) -> str:
    """base64(HMAC-SHA256(secret, body)), as Shopify and WooCommerce send it."""
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def signature_matches(secret: str | None, body: bytes, given: str | None) -> bool:
    """Constant-time comparison of the decoded digests; no secret or no header never matches."""
    if not secret or not given:
        return False
    try:
        decoded = base64.b64decode(given.strip(), validate=True)
    except (binascii.Error, ValueError):
        return False
    expected = hmac.new(secret.encode(), body, hashlib.sha256).digest()
    return hmac.compare_digest(decoded, expected)


def header(headers: Mapping[str, str], name: str) -> str | None:
    """A header by its name in any case (ASGI headers are lower-case, test clients' are not)."""
    lowered = name.lower()
    for key, value in headers.items():
        if key.lower() == lowered:
            return value
    return None


def body_digest(body: bytes) -> str:
    """A stand-in delivery id for a platform that sent none: the same body dedupes as one."""
    return "sha256:" + hashlib.sha256(body).hexdigest()


def delivery_id(headers: Mapping[str, str], name: str, body: bytes) -> str:
    """The platform's id for a delivery (the same on its retries), or the body's digest without one."""
    return ((header(headers, name) or "").strip() or body_digest(body))[:200]


def order_delivery(delivery: str, topic: str, body: bytes) -> Delivery:
    """An order topic's delivery: the order named by the body's ``id`` (every order body carries
    it, a deleted order's too), or nothing to do when there is none."""
    order_id = _order_id(body)
    if order_id is None:
        return Delivery(delivery, topic, "ignore")
    return Delivery(delivery, topic, "order", order_id)


def _order_id(body: bytes) -> str | None:
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
