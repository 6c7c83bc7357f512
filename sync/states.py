"""The order state machine. Every change of state is a conditional update (so two workers cannot
both make it) and writes an event row (so the history shows who did what, and why)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import StrEnum
from typing import Any

from sqlalchemy import insert, update
from sqlalchemy.orm import Session

from sync.models import Order, OrderEvent, utcnow


class Status(StrEnum):
    NEW = "new"
    AWAITING_PAYMENT = "awaiting_payment"
    READY = "ready"
    FORWARDING = "forwarding"
    SENT = "sent"
    SHIPPED = "shipped"
    PENDING_REVIEW = "pending_review"
    CANCELLED = "cancelled"
    IGNORED = "ignored"  # test orders: never forwarded
    FULFILLED_ON_CHANNEL = "fulfilled_on_channel"  # bought or shipped elsewhere: never forwarded
    #: a self-delivered messenger order, approved (and paid where needed): the seller ships it by
    #: hand and enters the tracking; never forwarded
    AWAITING_SHIPMENT = "awaiting_shipment"


S = Status
ALLOWED: dict[Status, frozenset[Status]] = {
    S.NEW: frozenset({S.READY, S.PENDING_REVIEW, S.AWAITING_PAYMENT, S.CANCELLED, S.IGNORED,
                      S.FULFILLED_ON_CHANNEL, S.AWAITING_SHIPMENT}),
    S.AWAITING_PAYMENT: frozenset({S.NEW, S.READY, S.PENDING_REVIEW, S.CANCELLED, S.IGNORED,
                                   S.FULFILLED_ON_CHANNEL, S.AWAITING_SHIPMENT}),
    S.READY: frozenset({S.FORWARDING, S.PENDING_REVIEW, S.AWAITING_PAYMENT, S.CANCELLED, S.NEW, S.IGNORED,
                        S.FULFILLED_ON_CHANNEL}),
    S.FORWARDING: frozenset({S.SENT, S.PENDING_REVIEW, S.READY}),
    S.PENDING_REVIEW: frozenset({S.READY, S.NEW, S.AWAITING_PAYMENT, S.CANCELLED, S.SENT, S.IGNORED,
                                 S.FULFILLED_ON_CHANNEL}),
    S.SENT: frozenset({S.SHIPPED}),
    S.SHIPPED: frozenset(),
    S.CANCELLED: frozenset({S.NEW}),  # a channel may reopen an order it cancelled
    S.IGNORED: frozenset({S.NEW, S.CANCELLED}),  # a messenger order held before approval is voided
    S.FULFILLED_ON_CHANNEL: frozenset({S.NEW}),
    # shipped by the seller with a tracking number typed by hand, or cancelled; never to the supplier
    S.AWAITING_SHIPMENT: frozenset({S.SHIPPED, S.CANCELLED}),
}
#: the states an order ends a run in; anything else is work still to do
SETTLED = frozenset({S.SENT, S.SHIPPED, S.PENDING_REVIEW, S.CANCELLED, S.IGNORED, S.AWAITING_PAYMENT,
                     S.FULFILLED_ON_CHANNEL, S.AWAITING_SHIPMENT})
#: already at the supplier: never forwarded again automatically
AT_SUPPLIER = frozenset({S.FORWARDING, S.SENT, S.SHIPPED})


class IllegalTransition(ValueError):
    pass


def check(from_: str, to: str) -> None:
    if Status(to) not in ALLOWED[Status(from_)]:
        raise IllegalTransition(f"an order cannot go from {from_} to {to}")


def transition(
    session: Session,
    order_id: int,
    from_: str | Iterable[str],
    to: str,
    *,
    actor: str = "worker",
    reason: str = "",
    also: Mapping[str, Any] | None = None,
) -> bool:
    """Move one order if (and only if) it is still in ``from_``. Returns whether it moved.
    ``also``: more columns the same UPDATE sets, only if it moves the order.

    The conditional UPDATE is the claim: of two workers racing, exactly one sees a row changed.
    """
    sources = [from_] if isinstance(from_, str) else list(from_)
    for source in sources:
        check(source, to)
    for source in sources:
        result = session.execute(
            update(Order)
            .where(Order.id == order_id, Order.status == source)
            .values(status=to, status_changed_at=utcnow(), **(also or {}))
            .execution_options(synchronize_session=False)
        )
        if result.rowcount:  # type: ignore[attr-defined]
            session.add(
                OrderEvent(order_id=order_id, actor=actor, from_status=source, to_status=to, reason=reason)
            )
            return True
    return False


def note(session: Session, order_id: int, reason: str, *, actor: str = "worker") -> None:
    """A history line that is not a change of state (an edit, a push of tracking)."""
    session.add(OrderEvent(order_id=order_id, actor=actor, reason=reason))


def transition_many(
    session: Session, order_ids: Iterable[int], from_: str, to: str, *, actor: str = "worker", reason: str = ""
) -> list[int]:
    """``transition`` for many orders in two statements; returns the ids that moved."""
    check(from_, to)
    ids = sorted(set(order_ids))
    if not ids:
        return []
    moved = list(session.scalars(
        update(Order)
        .where(Order.id.in_(ids), Order.status == from_)
        .values(status=to, status_changed_at=utcnow())
        .returning(Order.id)
        .execution_options(synchronize_session=False)
    ))
    if moved:
        session.execute(insert(OrderEvent), [
            {"order_id": i, "actor": actor, "from_status": from_, "to_status": to, "reason": reason, "at": utcnow()}
            for i in moved
        ])
    return moved
