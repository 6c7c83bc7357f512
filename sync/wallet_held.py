"""The orders held for the supplier wallet (pending_review with an open insufficient_wallet
issue), oldest first, each with what it should cost at the supplier: the catalogue's cost of its
lines, the same lower bound the local reservation uses (``sync.wallet.estimate``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sync.models import CatalogueItem, Order, OrderIssue, OrderLine
from sync.states import Status
from sync.wallet import CENT

INSUFFICIENT_WALLET = "insufficient_wallet"


@dataclass(frozen=True)
class Held:
    order_id: int
    number: str
    since: datetime
    cost: Decimal


def held_for_wallet(session: Session, limit: int = 10_000, *, channel_ids: list[int] | None = None) -> list[Held]:
    """``channel_ids``: only the orders of these channels (one supplier account's wallet)."""
    held = select(OrderIssue.order_id).where(OrderIssue.code == INSUFFICIENT_WALLET, OrderIssue.closed_at.is_(None))
    query = select(Order.id, Order.number, Order.status_changed_at).where(
        Order.status == Status.PENDING_REVIEW.value, Order.id.in_(held))
    if channel_ids is not None:
        query = query.where(Order.channel_id.in_(channel_ids))
    orders = session.execute(query.order_by(Order.status_changed_at, Order.id).limit(limit)).all()
    ids = [o.id for o in orders]
    costs: dict[int, Decimal] = {}
    if ids:
        rows = session.execute(
            select(OrderLine.order_id, func.sum(func.coalesce(CatalogueItem.cost, 0) * OrderLine.quantity))
            .outerjoin(CatalogueItem, CatalogueItem.sku == OrderLine.sku)
            .where(OrderLine.order_id.in_(ids)).group_by(OrderLine.order_id)).all()
        costs = {order_id: Decimal(str(total or 0)).quantize(CENT) for order_id, total in rows}
    return [Held(o.id, o.number, o.status_changed_at, costs.get(o.id, Decimal("0.00"))) for o in orders]


def covered(held: list[Held], balance: Decimal) -> list[Held]:
    """The oldest held orders the balance pays for, stopping at the first it does not: a younger
    order never overtakes an older one."""
    out: list[Held] = []
    left = balance
    for h in held:
        if h.cost > left:
            break
        out.append(h)
        left -= h.cost
    return out
