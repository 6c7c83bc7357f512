"""Ingest: store a page of channel orders in one transaction, set-based.

One transaction per page stores the orders, their lines and customers, quarantines what could
not be read, judges every new or changed order, and advances the channel's cursor. Work for the
workers is returned, to be enqueued after the commit.

A page costs a fixed handful of statements whatever its size: the rows go in with
``issues.bulk_insert`` (one COPY each on PostgreSQL) and customers with one upsert. PostgreSQL
is stricter than SQLite (no NUL characters, no NaN in JSON, text no longer than its column,
numbers within their precision): there an order is made storable first, or, when it cannot be
without changing its meaning, quarantined, so that one order never stops its page.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, insert, select, text
from sqlalchemy.orm import Session

from connectors.codes import CHANGED_AFTER_FORWARDING
from connectors.records import Address, ChannelOrder, OrderPage, RejectedBody
from connectors.storable import too_large
from sync import issues as issue_store
from sync.evaluate import Verdict, catalogue_context, judge
from sync.issues import Dumped, bulk_insert, cut, fit, storable
from sync.models import Channel, Customer, Order, OrderEvent, OrderLine, QuarantinedBody, utcnow
from sync.records import address_dict, customer_key, fingerprint, internal_reference
from sync.states import AT_SUPPLIER, Status
from sync.upsert import upsert


@dataclass
class PageResult:
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    quarantined: int = 0
    changed_after_forwarding: int = 0
    ready: list[int] = field(default_factory=list)  # order ids to forward, after the commit
    statuses: dict[str, int] = field(default_factory=dict)


def lock_channel(session: Session, channel_id: int) -> Channel:
    """Serialise page stores per channel (PostgreSQL row lock; SQLite locks the file)."""
    stmt = select(Channel).where(Channel.id == channel_id)
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update()
    return session.execute(stmt).scalar_one()


def store_page(session: Session, channel_id: int, page: OrderPage, *,
               cursor_state: dict[str, Any] | None = None) -> PageResult:
    channel = lock_channel(session, channel_id)
    strict = _postgres(session)
    if strict:
        _fast_toast(session)
    result = PageResult()
    now = utcnow()
    _quarantine(session, channel.id, page.rejected, result)

    newest: dict[str, ChannelOrder] = {}
    for order in page.orders:  # offset paging can repeat an order within one pull
        kept = newest.get(order.external_id)
        if kept is None or order.updated_at >= kept.updated_at:
            newest[order.external_id] = order
    orders = list(newest.values())
    if orders:
        prepared = [_prepare(o, strict) for o in orders]
        unfit = [RejectedBody(body=p.order.raw, error=f"order cannot be stored: {why}", external_id=p.order.external_id)
                 for p in prepared if strict and (why := _unstorable(p.order))]
        if unfit:  # kept for an operator like an unreadable body: the rest of the page goes on
            _quarantine(session, channel.id, unfit, result)
            prepared = [p for p in prepared if not _unstorable(p.order)]
        _store_orders(session, channel, prepared, now, result)
        top = max(o.updated_at for o in orders)
        if channel.cursor is None or top > channel.cursor:
            channel.cursor = top
    if cursor_state is not None:
        channel.cursor_state = cursor_state
    channel.last_sync_at = now
    channel.last_error = None
    return result


def _postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


_LZ4: dict[str, bool] = {}


def _fast_toast(session: Session) -> None:
    """PostgreSQL compresses the raw bodies (a few kB each) as they are stored; lz4, where the
    server has it, costs a fraction of the default pglz. Only this transaction's writes use it."""
    key = repr(session.get_bind().engine.url)
    if key not in _LZ4:
        _LZ4[key] = bool(session.scalar(text(
            "SELECT 'lz4' = ANY(enumvals) FROM pg_settings WHERE name = 'default_toast_compression'")))
    if _LZ4[key]:
        session.execute(text("SET LOCAL default_toast_compression = 'lz4'"))


def _quarantine(session: Session, channel_id: int, rejected: list[RejectedBody], result: PageResult) -> None:
    strict = _postgres(session)
    rows = [
        {
            "channel_id": channel_id,
            "external_id": storable(r.external_id) if strict else r.external_id,
            "error": storable(r.error[:2000]) if strict else r.error[:2000],
            "body": _body_text(r.body, strict),
        }
        for r in rejected
    ]
    if rows:
        session.execute(insert(QuarantinedBody), rows)
        result.quarantined += len(rows)


def _body_text(body: Any, strict: bool) -> str:
    """The body as JSON an operator can read back (escaped where it would not be valid UTF-8)."""
    readable = json.dumps(storable(body) if strict else body, default=str, ensure_ascii=False)
    try:
        readable.encode()
    except UnicodeEncodeError:  # a lone surrogate
        return json.dumps(body, default=str)
    return readable


# Making an order storable -------------------------------------------------------------------


@dataclass
class _Prepared:
    """What is derived from a channel order once, for its row and its checks."""

    order: ChannelOrder
    customer_key: str | None
    shipping: dict[str, Any] | None
    fingerprint: str
    raw: Dumped


_ENCODE = json.JSONEncoder(allow_nan=False).encode  # json.dumps would build one per call


def _prepare(o: ChannelOrder, strict: bool) -> _Prepared:
    try:
        raw: str | None = _ENCODE(o.raw)
    except (ValueError, TypeError):
        raw = None
    if strict and (raw is None or "\\u0000" in raw):
        o = ChannelOrder.model_validate(storable(o.model_dump()))
        raw = None
    if raw is None:
        raw = json.dumps(o.raw, default=str)
    key = customer_key(o.customer, o)
    if strict and key is not None:
        key = cut("customers", "external_id", key)
    shipping = address_dict(o.shipping_address)
    return _Prepared(o, key, shipping, fingerprint(shipping, [(ln.sku, ln.quantity) for ln in o.lines]),
                     Dumped(raw, o.raw))


def _unstorable(o: ChannelOrder) -> str | None:
    """What the columns cannot hold as read (text too long for its column is cut instead)."""
    found = too_large(o, lengths=False)
    return f"{found[0]} {found[1]}" if found else None


# Writing ------------------------------------------------------------------------------------


def _store_customers(session: Session, channel_id: int, prepared: list[_Prepared], now: datetime) -> dict[str, int]:
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


def _fields(p: _Prepared, customers: dict[str, int], now: datetime) -> dict[str, Any]:
    o = p.order
    shipping = Dumped(_ENCODE(p.shipping), p.shipping)
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
    }


def _store_orders(session: Session, channel: Channel, prepared: list[_Prepared], now: datetime,
                  result: PageResult) -> None:
    customers = _store_customers(session, channel.id, prepared, now)
    # Found by the deterministic reference, whose single-column unique index PostgreSQL picks
    # whatever its statistics say: on (channel_id, external_id), a table not analysed yet (a first
    # big import) gets a plan that reads every order of the channel, for every page.
    references = [internal_reference(channel.id, p.order.external_id) for p in prepared]
    stmt = select(
        Order.id, Order.channel_id, Order.external_id, Order.status, Order.channel_updated_at,
        Order.sent_fingerprint, Order.shipping_edited, Order.shipping_address,
    ).where(Order.internal_reference.in_(references))
    if _postgres(session):
        stmt = stmt.order_by(Order.id).with_for_update()
    existing = {row.external_id: row for row in session.execute(stmt) if row.channel_id == channel.id}

    fresh: list[_Prepared] = []
    changed: list[tuple[_Prepared, Any]] = []
    for p in prepared:
        row = existing.get(p.order.external_id)
        if row is None:
            fresh.append(p)
        elif p.order.updated_at > row.channel_updated_at:
            changed.append((p, row))
        else:
            result.unchanged += 1  # the overlap window re-read a version we have
    if not fresh and not changed:
        return
    context = catalogue_context(session, [p.order for p in fresh] + [p.order for p, _ in changed])
    settings = channel.settings or {}

    # New orders: judged first, inserted in their final state with one event each.
    if fresh:
        verdicts = [judge(p.order, context, settings) for p in fresh]
        rows = []
        for p, v in zip(fresh, verdicts, strict=True):
            values = _fields(p, customers, now)
            values.update({
                "channel_id": channel.id,
                "external_id": p.order.external_id,
                "internal_reference": internal_reference(channel.id, p.order.external_id),
                "status": v.status.value,
                "status_changed_at": now,
                "created_at": now,
            })
            rows.append(values)
        ids = bulk_insert(session, Order.__table__, fit(session, "orders", rows), return_ids=True)  # type: ignore[arg-type]
        _insert_lines(session, list(zip(ids, [p.order for p in fresh], strict=True)))
        bulk_insert(session, OrderEvent.__table__, [  # type: ignore[arg-type]
            {"order_id": i, "at": now, "actor": "worker", "from_status": None, "to_status": v.status.value,
             "reason": f"ingested: {v.reason}" + "".join(f"; {n.message}" for n in p.order.notes)}
            for i, v, p in zip(ids, verdicts, fresh, strict=True)
        ])
        issue_store.open_rule_issues(session, {i: v.issues for i, v in zip(ids, verdicts, strict=True)}, now)
        result.inserted += len(fresh)
        for i, v in zip(ids, verdicts, strict=True):
            _count(result, v, i)

    if changed:
        _store_changes(session, changed, customers, context, settings, now, result)


def _store_changes(session: Session, changed: list[tuple[_Prepared, Any]], customers: dict[str, int],
                   context: Any, settings: dict[str, Any], now: datetime, result: PageResult) -> None:
    rejudge: list[tuple[int, ChannelOrder, str]] = []
    at_supplier: list[tuple[int, _Prepared, Any]] = []
    updates = []
    for p, row in changed:
        values = _fields(p, customers, now)
        if row.shipping_edited:  # an operator's edit wins over the channel's address
            values["shipping_address"] = row.shipping_address
            if row.shipping_address:
                o = p.order.model_copy(update={"shipping_address": Address.model_validate(row.shipping_address)})
                shipping = address_dict(o.shipping_address)
                p = _Prepared(o, p.customer_key, shipping,
                              fingerprint(shipping, [(ln.sku, ln.quantity) for ln in o.lines]), p.raw)
        updates.append({"_id": row.id, **values})
        if row.status in AT_SUPPLIER:
            at_supplier.append((row.id, p, row))
        else:
            rejudge.append((row.id, p.order, row.status))
    _bulk_update(session, fit(session, "orders", updates))
    result.updated += len(changed)
    events: list[dict[str, Any]] = []

    # Not yet at the supplier: lines follow the channel, and the order is judged again.
    if rejudge:
        ids = [i for i, _, _ in rejudge]
        session.execute(delete(OrderLine).where(OrderLine.order_id.in_(ids)))
        _insert_lines(session, [(i, o) for i, o, _ in rejudge])
        verdicts = {i: judge(o, context, settings) for i, o, _ in rejudge}
        issue_store.open_rule_issues(session, {i: v.issues for i, v in verdicts.items()}, now, replace=True)
        moves = []
        for i, _, status in rejudge:
            v = verdicts[i]
            if v.status.value != status:
                moves.append({"_id": i, "status": v.status.value, "status_changed_at": now})
                events.append({"order_id": i, "at": now, "actor": "worker", "from_status": status,
                               "to_status": v.status.value, "reason": f"channel update: {v.reason}"})
            _count(result, v, i)
        _bulk_update(session, moves)

    # Already at the supplier: never re-sent; a real change waits for an operator.
    for i, p, row in at_supplier:
        what = []
        if p.order.cancelled:
            what.append("cancelled on the channel")
        if row.sent_fingerprint and p.fingerprint != row.sent_fingerprint:
            what.append("address or lines changed on the channel")
        if what:
            message = "; ".join(what) + " after the order was sent to the supplier"
            if issue_store.open_once(session, i, CHANGED_AFTER_FORWARDING, "", message, now, source="channel"):
                events.append({"order_id": i, "at": now, "actor": "worker", "from_status": None, "to_status": None,
                               "reason": f"flagged: {message}"})
                result.changed_after_forwarding += 1
    bulk_insert(session, OrderEvent.__table__, events)  # type: ignore[arg-type]


def _count(result: PageResult, verdict: Verdict, order_id: int) -> None:
    result.statuses[verdict.status.value] = result.statuses.get(verdict.status.value, 0) + 1
    if verdict.status is Status.READY:
        result.ready.append(order_id)


def _bulk_update(session: Session, rows: list[dict[str, Any]]) -> None:
    """UPDATE orders ... WHERE id = :_id, executed as one batch."""
    if not rows:
        return
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for r in rows:
        groups.setdefault(tuple(sorted(r)), []).append(r)
    table = Order.__table__
    for cols, batch in groups.items():
        # bind names must differ from column names in an UPDATE's SET clause
        stmt = (
            table.update()  # type: ignore[attr-defined]
            .where(table.c.id == bindparam("b__id"))
            .values({c: bindparam(f"b_{c}") for c in cols if c != "_id"})
        )
        session.connection().execute(stmt, [
            {f"b_{k}": v.value if isinstance(v, Dumped) else v for k, v in r.items()} for r in batch])


def _insert_lines(session: Session, pairs: list[tuple[int, ChannelOrder]]) -> None:
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
