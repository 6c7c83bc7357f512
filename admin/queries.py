"""What the order commands read: lists, one order in full, look-ups by number or issue."""

from __future__ import annotations

from typing import Any

from sqlalchemy import or_, select

from sync.db import get_database
from sync.models import Channel, Order, OrderEvent, OrderIssue, Shipment, SupplierOrderRow
from sync.states import Status


def list_orders(*, status: str | None = None, issue: str | None = None, channel: str | None = None,
                limit: int = 200) -> list[dict[str, Any]]:
    with get_database().session() as session:
        stmt = _summary_columns()
        if status:
            stmt = stmt.where(Order.status == status)
        if channel:
            stmt = stmt.where(Channel.name == channel)
        if issue:
            stmt = stmt.where(Order.id.in_(select(OrderIssue.order_id).where(
                OrderIssue.code == issue, OrderIssue.closed_at.is_(None))))
        return _rows(session, stmt.order_by(Order.id).limit(limit))


def _summary_columns() -> Any:
    return select(Order.id, Channel.name, Order.external_id, Order.number, Order.status, Order.total,
                  Order.currency, Order.status_changed_at).join(Channel, Channel.id == Order.channel_id)


def _rows(session: Any, stmt: Any) -> list[dict[str, Any]]:
    rows = session.execute(stmt).all()
    ids = [r.id for r in rows]
    codes: dict[int, list[str]] = {i: [] for i in ids}
    if ids:
        for oid, code in session.execute(select(OrderIssue.order_id, OrderIssue.code).where(
                OrderIssue.order_id.in_(ids), OrderIssue.closed_at.is_(None)).order_by(OrderIssue.id)):
            if code not in codes[oid]:  # one issue per field can share a code: each reason once
                codes[oid].append(code)
    return [{"id": r.id, "channel": r.name, "external_id": r.external_id, "number": r.number,
             "status": r.status, "total": str(r.total), "currency": r.currency,
             "since": r.status_changed_at.isoformat(), "issues": codes[r.id]} for r in rows]


def find_orders(number: str, *, channel: str | None = None) -> list[dict[str, Any]]:
    """Orders whose shop number is ``number`` (with or without its ``#``), or whose id on the
    channel is: an operator answering a buyer has the number the shop showed them."""
    text = number.strip()
    bare = text.lstrip("#")
    candidates = {text, bare, f"#{bare}"}
    with get_database().session() as session:
        stmt = _summary_columns().where(or_(Order.number.in_(candidates), Order.external_id == bare))
        if channel:
            stmt = stmt.where(Channel.name == channel)
        return _rows(session, stmt.order_by(Order.id).limit(100))


def held_for(code: str) -> list[int]:
    """Orders held in pending review for an open issue ``code``, oldest first."""
    with get_database().session() as session:
        return list(session.scalars(
            select(Order.id).where(
                Order.status == Status.PENDING_REVIEW.value,
                Order.id.in_(select(OrderIssue.order_id).where(OrderIssue.code == code,
                                                               OrderIssue.closed_at.is_(None))))
            .order_by(Order.placed_at.is_(None), Order.placed_at, Order.id)))


def show_order(order_id: int) -> dict[str, Any] | None:
    db = get_database()
    with db.session() as session:
        o = session.get(Order, order_id)
        if o is None:
            return None
        issues = session.scalars(select(OrderIssue).where(OrderIssue.order_id == order_id).order_by(OrderIssue.id))
        events = session.scalars(select(OrderEvent).where(OrderEvent.order_id == order_id).order_by(OrderEvent.id))
        supplier = session.scalars(select(SupplierOrderRow).where(SupplierOrderRow.order_id == order_id))
        shipments = session.scalars(select(Shipment).where(Shipment.order_id == order_id))
        return {
            "id": o.id, "channel": o.channel.name, "external_id": o.external_id, "number": o.number,
            "status": o.status, "channel_status": o.channel_status, "payment_status": o.payment_status,
            "internal_reference": o.internal_reference, "currency": o.currency, "total": str(o.total),
            "placed_at": o.placed_at, "shipping_address": o.shipping_address, "carrier": o.carrier,
            "lines": [{"sku": ln.sku, "quantity": ln.quantity, "unit_price": str(ln.unit_price), "title": ln.title}
                      for ln in o.lines],
            "issues": [{"code": i.code, "field": i.field, "message": i.message, "open": i.closed_at is None}
                       for i in issues],
            "supplier_orders": [{"id": s.supplier_order_id, "reference": s.internal_reference,
                                 "warehouse": s.warehouse, "skus": s.skus, "source": s.source} for s in supplier],
            "shipments": [{"tracking_number": s.tracking_number, "carrier": s.carrier, "url": s.url,
                           "pushed_at": s.pushed_at} for s in shipments],
            "history": [{"at": e.at, "actor": e.actor, "from": e.from_status, "to": e.to_status, "reason": e.reason}
                        for e in events],
        }
