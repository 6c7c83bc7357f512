"""The rows ingest writes for a page: what is derived from a channel order once (``Prepared``),
an order's columns, its lines, and the page's customers in one upsert."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from connectors.records import ChannelOrder
from sync.evaluate import Verdict
from sync.models import Customer, OrderLine
from sync.records import address_dict
from sync.rows import Dumped, bulk_insert, fit
from sync.search_keys import search_columns
from sync.states import Status
from sync.upsert import upsert

ENCODE = json.JSONEncoder(allow_nan=False).encode  # json.dumps would build one per call


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


def store_customers(session: Session, channel_id: int, prepared: list[Prepared], now: datetime) -> dict[str, int]:
    rows: dict[str, dict[str, Any]] = {}
    for p in prepared:
        if p.customer_key is None:
            continue
        o = p.order
        c, ship = o.customer, o.shipping_address
        rows[p.customer_key] = {
            "channel_id": channel_id,
            "external_id": p.customer_key,
            "first_name": (c.first_name if c else None) or (ship.first_name if ship else None),
            "last_name": (c.last_name if c else None) or (ship.last_name if ship else None),
            "email": ((c.email if c else None) or (ship.email if ship else None) or "").lower() or None,
            "phone": (c.phone if c else None) or (ship.phone if ship else None),
            "updated_at": now,
        }
    if not rows:
        return {}
    ordered = sorted(rows.values(), key=lambda r: r["external_id"])  # a fixed order avoids deadlocks
    fit(session, "customers", ordered)
    bind = session.get_bind()
    if bind.dialect.name == "postgresql" and bind.dialect.driver == "psycopg":
        return _upsert_customers_pg(session, channel_id, ordered, now)
    upsert(session, Customer.__table__, ordered, keys=["channel_id", "external_id"],  # type: ignore[arg-type]
           update=["first_name", "last_name", "email", "phone", "updated_at"])
    found = session.execute(
        select(Customer.external_id, Customer.id).where(
            Customer.channel_id == channel_id, Customer.external_id.in_(list(rows))
        )
    )
    return {k: i for k, i in found}


_UPSERT_CUSTOMERS = """
INSERT INTO customers (channel_id, external_id, first_name, last_name, email, phone, updated_at)
SELECT %s, u.external_id, u.first_name, u.last_name, u.email, u.phone, %s
FROM unnest(%s::text[], %s::text[], %s::text[], %s::text[], %s::text[])
     AS u(external_id, first_name, last_name, email, phone)
ON CONFLICT (channel_id, external_id) DO UPDATE SET first_name = EXCLUDED.first_name,
    last_name = EXCLUDED.last_name, email = EXCLUDED.email, phone = EXCLUDED.phone, updated_at = EXCLUDED.updated_at
RETURNING external_id, id
"""


def _upsert_customers_pg(session: Session, channel_id: int, rows: list[dict[str, Any]],
                         now: datetime) -> dict[str, int]:
    """The same upsert as one statement over arrays, answering every customer's id at once."""
    session.flush()
    raw = session.connection().connection.driver_connection
    assert raw is not None
    columns = ("external_id", "first_name", "last_name", "email", "phone")
    with raw.cursor() as cur:
        cur.execute(_UPSERT_CUSTOMERS, (channel_id, now, *([r[c] for r in rows] for c in columns)))
        return {k: i for k, i in cur.fetchall()}


def fields(p: Prepared, customers: dict[str, int], now: datetime) -> dict[str, Any]:
    o = p.order
    shipping = Dumped(ENCODE(p.shipping), p.shipping)
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
