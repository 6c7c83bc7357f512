"""The rows ingest writes for a page: what is derived from a channel order once (``Prepared``),
an order's columns and its lines."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy.orm import Session

from connectors.records import ChannelOrder
from sync.evaluate import Verdict
from sync.models import OrderLine
from sync.records import address_dict
from sync.rows import Dumped, bulk_insert, fit
from sync.search_keys import search_columns
from sync.states import Status


def address_text(address: dict[str, Any] | None) -> str:
    """An address dict (text fields only, ``address_dict``) as JSON, by orjson: no NaN to guard against."""
    return orjson.dumps(address).decode()


@dataclass
class PageResult:
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    quarantined: int = 0
    changed_after_forwarding: int = 0
    ready: list[int] = field(default_factory=list)  # order ids to forward, after the commit
    statuses: dict[str, int] = field(default_factory=dict)


def count(result: PageResult, verdict: Verdict, order_id: int) -> None:
    result.statuses[verdict.status.value] = result.statuses.get(verdict.status.value, 0) + 1
    if verdict.status is Status.READY:
        result.ready.append(order_id)


@dataclass
class Prepared:
    """What is derived from a channel order once, for its row and its checks."""

    order: ChannelOrder
    customer_key: str | None
    shipping: dict[str, Any] | None
    fingerprint: str
    raw: Dumped
    digest: str | None = None  # of the channel's body (``sync.ingest_known``)


def fields(p: Prepared, customers: dict[str, int], now: datetime) -> dict[str, Any]:
    o = p.order
    shipping = Dumped(address_text(p.shipping), p.shipping)
    billing = address_dict(o.billing_address)
    return {
        "number": o.number,
        "channel_status": o.status,
        "payment_status": o.payment_status,
        "cancelled_on_channel": o.cancelled,
        "is_test": o.test,
        "currency": o.currency,
        "total": o.total,
        "placed_at": o.placed_at,
        "channel_updated_at": o.updated_at,
        "shipping_address": shipping,
        "billing_address": shipping if billing == p.shipping else billing,  # usually one text for both
        "customer_id": customers.get(p.customer_key) if p.customer_key else None,
        "content_fingerprint": p.fingerprint,
        "body_digest": p.digest,
        "raw": p.raw,
        "updated_at": now,
        **search_columns(p.shipping),
    }


def insert_lines(session: Session, pairs: list[tuple[int, ChannelOrder]]) -> None:
    rows = [
        {
            "order_id": order_id,
            "position": n,
            "external_id": ln.external_id,
            "sku": ln.sku,
            "quantity": ln.quantity,
            "unit_price": ln.unit_price,
            "title": ln.title[:500],
        }
        for order_id, o in pairs
        for n, ln in enumerate(o.lines)
    ]
    bulk_insert(session, OrderLine.__table__, fit(session, "order_lines", rows))  # type: ignore[arg-type]
