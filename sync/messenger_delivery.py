"""Self delivery: a messenger order the seller ships from a warehouse of their own.

It is never sent to the supplier: the forward path refuses it whatever state it is in
(``sync.messenger_models.self_delivered``). Approved, and once its payment is confirmed where the
method needs a proof, it waits in ``awaiting_shipment``; the seller types the carrier and the
tracking number, which moves it to ``shipped`` (a conditional transition with its history line)
and records a shipment the buyer's page shows. Nothing is pushed anywhere: the buyer has the link.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from sync import messenger_fields as fields
from sync import stock
from sync.messenger_fields import MessengerError
from sync.messenger_models import SELF_DELIVERY, MessengerOrder
from sync.models import Order, Shipment, utcnow
from sync.review import LostRace
from sync.states import Status, transition
from sync.stock_models import Warehouse


def is_self_delivered(session: Session, order_id: int) -> bool:
    found = session.get(MessengerOrder, order_id)
    return found is not None and found.logistics == SELF_DELIVERY


def warehouse_for(session: Session, logistics: str, name: str | None) -> int | None:
    """Where the units leave from: the supplier's warehouse (None) for a supplier-fulfilled order;
    one of ours, by name, for a self-delivered one."""
    chosen = (name or "").strip()
    if logistics != SELF_DELIVERY:
        if chosen and chosen != fields.SUPPLIER:
            raise MessengerError("warehouse: an order fulfilled by the supplier leaves from the supplier's",
                                 field="warehouse")
        return None
    if not chosen or chosen == fields.SUPPLIER:
        raise MessengerError("warehouse: a self-delivered order needs one of your warehouses", field="warehouse")
    try:
        found = stock.warehouse_named(session, fields.warehouse_name(chosen))
    except stock.StockError:
        raise MessengerError(f"warehouse: no warehouse {chosen[:40]!r}", field="warehouse") from None
    if not found.enabled:
        raise MessengerError(f"warehouse: {chosen[:40]!r} is switched off", field="warehouse")
    return found.id


def warehouse_name(session: Session, current: MessengerOrder) -> str:
    if current.warehouse_id is None:
        return fields.SUPPLIER
    found = session.get(Warehouse, current.warehouse_id)
    return found.name if found is not None else fields.SUPPLIER


def our_warehouses(session: Session) -> list[str]:
    return list(session.scalars(select(Warehouse.name).where(Warehouse.enabled.is_(True)).order_by(Warehouse.name)))


def enter(session: Session, order_id: int, from_: Status, *, paid: bool, actor: str, reason: str) -> str:
    """A self-delivered order leaves ``from_`` (``new`` after approval, ``awaiting_payment`` once
    paid): it waits for the seller's shipment, or for its payment. Returns the new status."""
    target = Status.AWAITING_SHIPMENT if paid else Status.AWAITING_PAYMENT
    if target == from_:
        return target.value
    if not transition(session, order_id, from_, target, actor=actor, reason=f"{reason}; self delivery"):
        raise LostRace(order_id, reason)
    return target.value


def ship(session: Session, order_id: int, *, carrier: str, tracking: str, actor: str) -> Shipment:
    """The seller shipped a self-delivered order: it is ``shipped`` with the tracking typed."""
    chosen_carrier = fields.carrier(carrier)
    number = fields.tracking(tracking)
    current = session.get(MessengerOrder, order_id)
    if current is None:
        raise MessengerError(f"order {order_id} is not a messenger order", field="order")
    if current.logistics != SELF_DELIVERY:
        raise MessengerError(f"order {order_id} is not self-delivered: its tracking comes from the supplier")
    order = session.get(Order, order_id)
    assert order is not None
    if order.status != Status.AWAITING_SHIPMENT:
        why = ("its payment is not confirmed yet" if order.status == Status.AWAITING_PAYMENT
               else f"it is {order.status}")
        raise MessengerError(f"order {order_id} cannot be shipped: {why}")
    with session.begin_nested():  # a refusal (a lost race, too little stock) keeps nothing of the shipment
        if not transition(session, order_id, Status.AWAITING_SHIPMENT, Status.SHIPPED, actor=actor,
                          reason=f"shipped by the seller: {chosen_carrier} {number}"):
            raise LostRace(order_id, "shipped")
        _take_stock(session, order, current, actor)
        now = utcnow()
        # nothing to push: the buyer reads it on their link's page
        shipment = Shipment(supplier_order_row_id=None, order_id=order_id, tracking_number=number,
                            carrier=chosen_carrier, status="shipped", shipped_at=now, pushed_at=now)
        session.add(shipment)
        session.flush()
    session.refresh(order)
    return shipment


def to_ship(session: Session, limit: int = 200) -> list[tuple[Order, MessengerOrder]]:
    """Self-delivered orders the seller has to ship, oldest first."""
    rows = session.execute(select(Order, MessengerOrder).join(MessengerOrder, MessengerOrder.order_id == Order.id)
                           .where(Order.status == Status.AWAITING_SHIPMENT.value).order_by(Order.id).limit(limit))
    return [(o, mo) for o, mo in rows]


def _take_stock(session: Session, order: Order, current: MessengerOrder, actor: str) -> None:
    """One movement out of the order's warehouse per line, keyed by order and line so that a
    repeat takes nothing twice; a line the warehouse cannot cover refuses the whole shipment."""
    if current.warehouse_id is None:
        raise MessengerError(f"order {order.id} has no warehouse of yours to ship from", field="warehouse")
    for line in order.lines:
        try:
            stock.move(session, warehouse_id=current.warehouse_id, sku=line.sku or "", quantity=-line.quantity,
                       reason="self-delivered order shipped", actor=actor, order_id=order.id,
                       reference=f"order:{order.id}", key=f"messenger:{order.id}:line:{line.position}")
        except stock.DuplicateMovement:
            continue  # taken already
        except stock.StockError as exc:
            raise MessengerError(f"not enough stock in {warehouse_name(session, current)}: {exc}",
                                 field="stock") from None
