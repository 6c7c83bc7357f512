"""Ingest: store a page of channel orders in one transaction, set-based.

One transaction per page stores the orders, their lines and customers, quarantines what could
not be read, judges every new or changed order, and advances the channel's cursor. Work for the
workers is returned, to be enqueued after the commit.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, insert, select
from sqlalchemy.orm import Session

from orderhub.connectors.codes import CHANGED_AFTER_FORWARDING
from orderhub.connectors.records import Address, ChannelOrder, OrderPage
from orderhub.sync import issues as issue_store
from orderhub.sync.evaluate import Verdict, catalogue_context, judge
from orderhub.sync.models import (
    Channel,
    Customer,
    Order,
    OrderEvent,
    OrderLine,
    QuarantinedBody,
    utcnow,
)
from orderhub.sync.records import address_dict, customer_key, internal_reference, order_fingerprint
from orderhub.sync.states import AT_SUPPLIER, Status
from orderhub.sync.upsert import upsert


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


def store_page(session: Session, channel_id: int, page: OrderPage, *, cursor_state: dict[str, Any] | None = None) -> PageResult:
    channel = lock_channel(session, channel_id)
    result = PageResult()
    now = utcnow()
    _quarantine(session, channel.id, page, result)

    newest: dict[str, ChannelOrder] = {}
    for order in page.orders:  # offset paging can repeat an order within one pull
        kept = newest.get(order.external_id)
        if kept is None or order.updated_at >= kept.updated_at:
            newest[order.external_id] = order
    orders = list(newest.values())
    if orders:
        _store_orders(session, channel, orders, now, result)
        top = max(o.updated_at for o in orders)
        if channel.cursor is None or top > channel.cursor:
            channel.cursor = top
    if cursor_state is not None:
        channel.cursor_state = cursor_state
    channel.last_sync_at = now
    channel.last_error = None
    return result


def _quarantine(session: Session, channel_id: int, page: OrderPage, result: PageResult) -> None:
    rows = [
        {
            "channel_id": channel_id,
            "external_id": r.external_id,
            "error": r.error[:2000],
            "body": json.dumps(r.body, default=str, ensure_ascii=False),
        }
        for r in page.rejected
    ]
    if rows:
        session.execute(insert(QuarantinedBody), rows)
        result.quarantined += len(rows)


def _store_customers(session: Session, channel_id: int, orders: list[ChannelOrder]) -> dict[str, int]:
    rows: dict[str, dict[str, Any]] = {}
    for o in orders:
        key = customer_key(o.customer, o)
        if key is None:
            continue
        c, ship = o.customer, o.shipping_address
        rows[key] = {
            "channel_id": channel_id,
            "external_id": key,
            "first_name": (c.first_name if c else None) or (ship.first_name if ship else None),
            "last_name": (c.last_name if c else None) or (ship.last_name if ship else None),
            "email": ((c.email if c else None) or (ship.email if ship else None) or "").lower() or None,
            "phone": (c.phone if c else None) or (ship.phone if ship else None),
            "updated_at": utcnow(),
        }
    if not rows:
        return {}
    ordered = sorted(rows.values(), key=lambda r: r["external_id"])  # a fixed order avoids deadlocks
    upsert(session, Customer.__table__, ordered, keys=["channel_id", "external_id"],  # type: ignore[arg-type]
           update=["first_name", "last_name", "email", "phone", "updated_at"])
    found = session.execute(
        select(Customer.external_id, Customer.id).where(
            Customer.channel_id == channel_id, Customer.external_id.in_(list(rows))
        )
    )
    return {k: i for k, i in found}


def _store_orders(session: Session, channel: Channel, orders: list[ChannelOrder], now: datetime, result: PageResult) -> None:
    customers = _store_customers(session, channel.id, orders)
    stmt = select(
        Order.id, Order.external_id, Order.status, Order.channel_updated_at, Order.sent_fingerprint,
        Order.shipping_edited, Order.shipping_address,
    ).where(Order.channel_id == channel.id, Order.external_id.in_([o.external_id for o in orders]))
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.order_by(Order.id).with_for_update()
    existing = {row.external_id: row for row in session.execute(stmt)}

    fresh: list[ChannelOrder] = []
    changed: list[tuple[ChannelOrder, Any]] = []
    for o in orders:
        row = existing.get(o.external_id)
        if row is None:
            fresh.append(o)
        elif o.updated_at > row.channel_updated_at:
            changed.append((o, row))
        else:
            result.unchanged += 1  # the overlap window re-read a version we have

    context = catalogue_context(session, [o for o in fresh] + [o for o, _ in changed])
    settings = channel.settings or {}

    def fields(o: ChannelOrder) -> dict[str, Any]:
        key = customer_key(o.customer, o)
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
            "shipping_address": address_dict(o.shipping_address),
            "billing_address": address_dict(o.billing_address),
            "customer_id": customers.get(key) if key else None,
            "content_fingerprint": order_fingerprint(o),
            "raw": o.raw,
            "updated_at": now,
        }

    # New orders: judged first, inserted in their final state with one event each.
    if fresh:
        verdicts = [judge(o, context, settings) for o in fresh]
        rows = []
        for o, v in zip(fresh, verdicts, strict=True):
            rows.append({
                **fields(o),
                "channel_id": channel.id,
                "external_id": o.external_id,
                "internal_reference": internal_reference(channel.id, o.external_id),
                "status": v.status.value,
                "status_changed_at": now,
                "created_at": now,
            })
        ids = list(session.scalars(insert(Order).returning(Order.id, sort_by_parameter_order=True), rows))
        _insert_lines(session, list(zip(ids, fresh, strict=True)))
        session.execute(insert(OrderEvent), [
            {"order_id": i, "at": now, "actor": "worker", "from_status": None, "to_status": v.status.value,
             "reason": f"ingested: {v.reason}"}
            for i, v in zip(ids, verdicts, strict=True)
        ])
        issue_store.open_rule_issues(session, {i: v.issues for i, v in zip(ids, verdicts, strict=True)}, now)
        result.inserted += len(fresh)
        for i, v in zip(ids, verdicts, strict=True):
            _count(result, v, i)

    if changed:
        _store_changes(session, channel, changed, fields, context, settings, now, result)


def _store_changes(session: Session, channel: Channel, changed: list[tuple[ChannelOrder, Any]], fields: Any,
                   context: Any, settings: dict[str, Any], now: datetime, result: PageResult) -> None:
    rejudge: list[tuple[int, ChannelOrder, str]] = []
    at_supplier: list[tuple[int, ChannelOrder, Any]] = []
    updates = []
    for o, row in changed:
        values = fields(o)
        if row.shipping_edited:  # an operator's edit wins over the channel's address
            values["shipping_address"] = row.shipping_address
            if row.shipping_address:
                o = o.model_copy(update={"shipping_address": Address.model_validate(row.shipping_address)})
        updates.append({"_id": row.id, **values})
        if row.status in AT_SUPPLIER:
            at_supplier.append((row.id, o, row))
        else:
            rejudge.append((row.id, o, row.status))
    _bulk_update(session, updates)
    result.updated += len(changed)

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
                session.add(OrderEvent(order_id=i, at=now, actor="worker", from_status=status,
                                       to_status=v.status.value, reason=f"channel update: {v.reason}"))
            _count(result, v, i)
        _bulk_update(session, moves)

    # Already at the supplier: never re-sent; a real change waits for an operator.
    for i, o, row in at_supplier:
        what = []
        if o.cancelled:
            what.append("cancelled on the channel")
        if row.sent_fingerprint and order_fingerprint(o) != row.sent_fingerprint:
            what.append("address or lines changed on the channel")
        if what:
            message = "; ".join(what) + " after the order was sent to the supplier"
            if issue_store.open_once(session, i, CHANGED_AFTER_FORWARDING, "", message, now, source="channel"):
                session.add(OrderEvent(order_id=i, at=now, actor="worker", reason=f"flagged: {message}"))
                result.changed_after_forwarding += 1


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
        session.connection().execute(stmt, [{f"b_{k}": v for k, v in r.items()} for r in batch])


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
    if rows:
        session.execute(insert(OrderLine), rows)
