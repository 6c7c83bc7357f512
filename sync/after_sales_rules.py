"""The rules of after-sales orders: their kinds and lists (states), which orders may have one, the
permissions, numbers, and the one way a state changes (conditional, written to the history).

A state changes only by ``move``: a conditional UPDATE on the state the caller saw, so of two
operators acting at once one wins and the other gets ``AfterSalesLostRace`` (a ``LostRace``)
with nothing kept; each change is written to the after-sales order's own history and, when it is
for an order of OrderHub, as a line of that order's history."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import exists, select, text, update
from sqlalchemy.orm import Session

from sync.after_sales_models import AfterSalesEvent, AfterSalesOrder
from sync.messenger_models import MessengerOrder
from sync.models import Base, Order, Shipment
from sync.review import LostRace, ReviewError
from sync.states import Status, note
from sync.stock_models import Warehouse
from sync.typed import digits, row_id
from sync.upsert import insert_for

RETURN_REFUND = "return_refund"
REFUND_ONLY = "refund_only"
EXCHANGE = "exchange"
KINDS = (RETURN_REFUND, REFUND_ONLY, EXCHANGE)
#: each type as a history line says it
KIND_WORDS = {RETURN_REFUND: "return & refund", REFUND_ONLY: "refund only", EXCHANGE: "exchange"}
#: the kinds whose items come back to a warehouse
RETURN_KINDS = (RETURN_REFUND, EXCHANGE)

TO_CONFIRM = "to_confirm"
CONFIRM_RETURN = "confirm_return"
CONFIRM_REFUND = "confirm_refund"
CONFIRM_EXCHANGE = "confirm_exchange"
RECEIVED_RETURN = "received_return"
REFUND_PROCESSING = "refund_processing"
COMPLETED = "completed"
CANCELLED = "cancelled"
#: each kind's lists, in the order an after-sales order goes through them (cancelled aside)
FLOWS: dict[str, tuple[str, ...]] = {
    RETURN_REFUND: (TO_CONFIRM, CONFIRM_RETURN, RECEIVED_RETURN, REFUND_PROCESSING, COMPLETED),
    REFUND_ONLY: (TO_CONFIRM, CONFIRM_REFUND, REFUND_PROCESSING, COMPLETED),
    EXCHANGE: (TO_CONFIRM, CONFIRM_EXCHANGE, RECEIVED_RETURN, REFUND_PROCESSING, COMPLETED),
}
STATES = (TO_CONFIRM, CONFIRM_RETURN, CONFIRM_REFUND, CONFIRM_EXCHANGE, RECEIVED_RETURN, REFUND_PROCESSING,
          COMPLETED, CANCELLED)
#: where the confirmation (without stock-in) takes each kind
CONFIRMED = {RETURN_REFUND: CONFIRM_RETURN, REFUND_ONLY: CONFIRM_REFUND, EXCHANGE: CONFIRM_EXCHANGE}
#: where a refund order is made from, and where a rejected one sends the after-sales order back
REFUND_FROM = {RETURN_REFUND: RECEIVED_RETURN, REFUND_ONLY: CONFIRM_REFUND, EXCHANGE: RECEIVED_RETURN}
#: waiting for the returned parcel
AWAITING_RETURN = (CONFIRM_RETURN, CONFIRM_EXCHANGE)
CANCELLABLE = (TO_CONFIRM, CONFIRM_RETURN, CONFIRM_REFUND, CONFIRM_EXCHANGE)

#: the order states of the seller's manual (to pickup, shipped, completed, cancelled) from OrderHub's
TO_PICKUP, SHIPPED, ORDER_COMPLETED, ORDER_CANCELLED = "to_pickup", "shipped", "completed", "cancelled"
ELIGIBLE = (TO_PICKUP, SHIPPED, ORDER_COMPLETED, ORDER_CANCELLED)

MANUAL_AFTER_SALES = "manual after-sales"
AFTER_SALES_REFUND = "after-sales refund"


class AfterSalesError(ReviewError):
    """An after-sales action that cannot be done, in the operator's words; ``field`` names the
    form field at fault (``sku`` and ``kind``: of the item whose field it is). Nothing of the action
    was kept."""

    def __init__(self, message: str, field: str | None = None, *, sku: str | None = None,
                 kind: str | None = None) -> None:
        super().__init__(message, field)
        self.sku, self.kind = sku, kind


class AfterSalesLostRace(LostRace):
    """The after-sales order (or its refund order) moved on while the action was being done."""

    def __init__(self, number: str, action: str) -> None:
        ReviewError.__init__(self, f"{number} changed while it was being {action}: nothing was done; "
                                   "look at it again")


def need(allowed: bool, permission: str) -> None:
    """Checked in every action, whatever page or command calls it."""
    if not allowed:
        raise AfterSalesError(f"this needs the \"{permission}\" permission", field="permission")


def order_state(session: Session, order: Order) -> str | None:
    """The seller's-manual state of an OrderHub order, or None when no after-sales order may be made.

    sent -> to_pickup; shipped -> shipped, or completed once a shipment's status says delivered;
    fulfilled_on_channel -> completed; cancelled -> cancelled. Anything not yet at the supplier
    (new, ready, forwarding, pending_review, awaiting_payment, ignored) has none."""
    status = Status(order.status)
    if status is Status.SENT:
        return TO_PICKUP
    if status is Status.SHIPPED:
        delivered = session.scalar(select(exists().where(
            Shipment.order_id == order.id, Shipment.status.ilike("%deliver%"))))
        return ORDER_COMPLETED if delivered else SHIPPED
    if status is Status.FULFILLED_ON_CHANNEL:
        return ORDER_COMPLETED
    if status is Status.CANCELLED:
        return ORDER_CANCELLED
    return None


def next_number(session: Session) -> str:
    counters = Base.metadata.tables["counters"]
    session.execute(insert_for(session, counters).on_conflict_do_nothing().values(name="after_sales", value=0))
    value = session.scalar(text("UPDATE counters SET value = value + 1 WHERE name = 'after_sales' RETURNING value"))
    assert value is not None
    return f"AS-{int(value):06d}"


def get(session: Session, ref: int | str) -> AfterSalesOrder:
    """An after-sales order by id or number (AS-000001)."""
    text_ref = str(ref).strip().upper()
    if digits(text_ref):
        # an id past the database's integer cannot name an order (and the driver refuses to send it)
        found = session.get(AfterSalesOrder, as_id) if (as_id := row_id(text_ref)) is not None else None
    else:
        found = session.scalar(select(AfterSalesOrder).where(AfterSalesOrder.number == text_ref))
    if found is None:
        raise AfterSalesError(f"no after-sales order {str(ref)[:40]!r}", field="after_sales")
    return found


def move(session: Session, after_sales: AfterSalesOrder, from_: str | Iterable[str], to: str, *, actor: str,
         reason: str, action: str, **values: Any) -> None:
    """Change the state (and ``values``) only if it is still one of ``from_``; written to both
    histories. Raises ``AfterSalesLostRace`` when another action came first."""
    sources = (from_,) if isinstance(from_, str) else tuple(from_)
    seen = after_sales.state
    moved = session.execute(
        update(AfterSalesOrder).where(AfterSalesOrder.id == after_sales.id, AfterSalesOrder.state.in_(sources))
        .values(state=to, **values).execution_options(synchronize_session=False)).rowcount  # type: ignore[attr-defined]
    if not moved:
        raise AfterSalesLostRace(after_sales.number, action)
    history(session, after_sales, actor=actor, reason=reason, from_state=seen, to_state=to)
    session.refresh(after_sales)


def history(session: Session, after_sales: AfterSalesOrder, *, actor: str, reason: str,
            from_state: str | None = None, to_state: str | None = None) -> None:
    session.add(AfterSalesEvent(after_sales_id=after_sales.id, actor=actor, from_state=from_state,
                                to_state=to_state, reason=reason))
    if after_sales.order_id is not None:
        change = f" ({from_state} -> {to_state})" if from_state and to_state and from_state != to_state else ""
        note(session, after_sales.order_id, f"after-sales {after_sales.number}{change}: {reason}", actor=actor)


def events(session: Session, after_sales_id: int) -> list[AfterSalesEvent]:
    return list(session.scalars(select(AfterSalesEvent).where(AfterSalesEvent.after_sales_id == after_sales_id)
                                .order_by(AfterSalesEvent.id)))


def reason_text(reason: str, what: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise AfterSalesError(f"reason: say why the {what}", field="reason")
    return reason[:500]


def left_from(session: Session, order_id: int | None) -> Warehouse | None:
    """The seller's own warehouse a self-delivered order was shipped from: its units come back there."""
    was = session.get(MessengerOrder, order_id) if order_id is not None else None
    place = session.get(Warehouse, was.warehouse_id) if was is not None and was.warehouse_id else None
    return place if place is not None and place.enabled else None
