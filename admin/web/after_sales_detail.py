"""After-sales orders as the admin pages and the API read them: the lists with their counts and
search, one after-sales order whole, and what an order's page shows of its after-sales (whether one
may be made, the refunds its channel reported). Amounts are left out, not hidden, for an account
without "view prices"; history lines and messages lose theirs."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from admin.web.words import hide_amounts
from sync import after_sales_refunds as refunds
from sync import after_sales_rules as r
from sync.after_sales_models import AfterSalesOrder, RefundOrder
from sync.channel_refunds import channel_refunds
from sync.models import Order
from sync.money import rounded
from sync.stock_models import Warehouse

PAGE = 200


def _search(stmt: Any, q: str) -> Any:
    q = q.strip()[:100]
    if not q:
        return stmt
    by_order = select(Order.id).where(or_(Order.number == q, Order.external_id == q))
    return stmt.where(or_(AfterSalesOrder.number == q.upper(), AfterSalesOrder.return_tracking == q,
                          AfterSalesOrder.order_id.in_(by_order)))


def counts(session: Session, *, kind: str | None, q: str) -> dict[str, int]:
    """How many after-sales orders each list holds, under the same type and search."""
    stmt = select(AfterSalesOrder.state, func.count()).group_by(AfterSalesOrder.state)
    if kind:
        stmt = stmt.where(AfterSalesOrder.kind == kind)
    found = {state: n for state, n in session.execute(_search(stmt, q))}
    return {s: int(found.get(s, 0)) for s in r.STATES}


def rows(session: Session, *, state: str | None, kind: str | None, q: str, prices: bool) -> list[dict[str, Any]]:
    stmt = select(AfterSalesOrder, Order.number).outerjoin(Order, Order.id == AfterSalesOrder.order_id) \
        .order_by(AfterSalesOrder.id.desc()).limit(PAGE)
    if state:
        stmt = stmt.where(AfterSalesOrder.state == state)
    if kind:
        stmt = stmt.where(AfterSalesOrder.kind == kind)
    return [brief(a, number, prices=prices) for a, number in session.execute(_search(stmt, q))]


def _money(value: Any, currency: str) -> str:
    return f"{rounded(Decimal(value), currency):f}"


def brief(a: AfterSalesOrder, order_number: str | None, *, prices: bool) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": a.id, "number": a.number, "type": a.kind, "state": a.state, "order_id": a.order_id,
        "order_number": order_number, "buyer_name": a.buyer_name, "return_tracking": a.return_tracking,
        "exchange_order_id": a.exchange_order_id, "channel_refund_id": a.channel_refund_id,
        "created_by": a.created_by, "created_at": a.created_at, "currency": a.currency}
    if prices:
        out |= {"returned_amount": _money(a.returned_amount, a.currency),
                "exchange_amount": _money(a.exchange_amount, a.currency),
                "return_amount": _money(a.return_amount, a.currency)}
    return out


def refund_row(f: RefundOrder, *, prices: bool, number: str | None = None) -> dict[str, Any]:
    text = (lambda s: s) if prices else hide_amounts
    out: dict[str, Any] = {
        "id": f.id, "after_sales_id": f.after_sales_id, "after_sales_number": number, "state": f.state,
        "reason": text(f.reason), "payment_info": text(f.payment_info), "has_proof": f.proof_key is not None,
        "requested_by": f.requested_by, "requested_at": f.requested_at, "decided_by": f.decided_by,
        "decided_at": f.decided_at, "currency": f.currency}
    if prices:
        out["amount"] = _money(f.amount, f.currency)
    return out


def load(session: Session, as_id: int, *, prices: bool) -> dict[str, Any] | None:
    """One after-sales order with its items, figures, refund orders and history."""
    a = session.get(AfterSalesOrder, as_id)
    if a is None:
        return None
    text = (lambda s: s) if prices else hide_amounts
    order_number = session.scalar(select(Order.number).where(Order.id == a.order_id)) if a.order_id else None
    out = brief(a, order_number, prices=prices)
    out["items"] = [{"id": i.id, "kind": i.kind, "sku": i.sku, "title": i.title, "quantity": i.quantity,
                     "received_quantity": i.received_quantity,
                     **({"unit_price": _money(i.unit_price, a.currency)} if prices else {})} for i in a.items]
    if prices:
        out["refundable"] = _money(refunds.refundable(session, a), a.currency)
        if a.kind == r.EXCHANGE:
            out["refund_value"] = _money(refunds.refund_value(session, a), a.currency)
            out["exchange_order_amount"] = _money(refunds.exchange_order_amount(session, a), a.currency)
    out["exchange_order_number"] = session.scalar(select(Order.number).where(Order.id == a.exchange_order_id)) \
        if a.exchange_order_id else None
    warehouse = session.get(Warehouse, a.warehouse_id) if a.warehouse_id else None
    out["warehouse"] = warehouse.name if warehouse is not None else None
    out["note"] = text(a.note)
    out["stocked_in_by"], out["stocked_in_at"] = a.stocked_in_by, a.stocked_in_at
    out["refund_orders"] = [refund_row(f, prices=prices) for f in refunds.refund_orders(session, after_sales_id=a.id)]
    out["history"] = [{"at": e.at, "actor": e.actor, "from": e.from_state, "to": e.to_state, "reason": text(e.reason)}
                      for e in r.events(session, a.id)]
    return out


def for_order(session: Session, order_id: int, *, prices: bool) -> dict[str, Any]:
    """What an order's page shows: may an after-sales order be made, the ones made, and the refunds
    the channel reported (each with the after-sales order it started, if any)."""
    order = session.get(Order, order_id)
    if order is None:
        return {"eligible": False, "orders": [], "channel_refunds": []}
    made = list(session.scalars(select(AfterSalesOrder).where(AfterSalesOrder.order_id == order_id)
                                .order_by(AfterSalesOrder.id)))
    started = {a.channel_refund_id: a for a in made if a.channel_refund_id}
    text = (lambda s: s) if prices else hide_amounts
    reported = []
    for f in channel_refunds(session, order):
        by = started.get(f.external_id)
        reported.append({"id": f.external_id, "reason": text(f.reason), "at": f.at,
                         "units": sum(ln.quantity for ln in f.lines),
                         "after_sales": {"id": by.id, "number": by.number} if by is not None else None,
                         **({"amount": _money(f.amount, order.currency)} if prices else {})})
    return {"eligible": r.order_state(session, order) is not None,
            "orders": [{"id": a.id, "number": a.number, "type": a.kind, "state": a.state} for a in made],
            "channel_refunds": reported}


def refund_list(session: Session, *, state: str | None, prices: bool) -> list[dict[str, Any]]:
    stmt = select(RefundOrder, AfterSalesOrder.number).join(
        AfterSalesOrder, AfterSalesOrder.id == RefundOrder.after_sales_id).order_by(RefundOrder.id.desc()).limit(PAGE)
    if state:
        stmt = stmt.where(RefundOrder.state == state)
    return [refund_row(f, prices=prices, number=n) for f, n in session.execute(stmt)]
