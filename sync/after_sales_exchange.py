"""Exchange orders: the exchange items of an after-sales exchange go out to the buyer as a new
messenger order, waiting to approve (or to add info when the buyer's details are incomplete), linked
both ways in the history. One after-sales order makes one exchange order."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from sync import after_sales_rules as r
from sync import messenger
from sync import messenger_delivery as delivery
from sync.after_sales import EXCHANGED, ItemInput, check_exchange_prices, priced_item
from sync.after_sales_models import AfterSalesItem, AfterSalesOrder
from sync.messenger_models import MessengerOrder
from sync.models import Channel, Order
from sync.money import rounded
from sync.states import note

#: where an exchange order may be generated from
GENERATE_FROM = (r.CONFIRM_EXCHANGE, r.RECEIVED_RETURN)
#: where the exchange items may still be changed (and only before the exchange order is made)
EDIT_ITEMS_IN = (r.TO_CONFIRM, r.CONFIRM_EXCHANGE)


def set_exchange_items(session: Session, ref: int | str, items: list[ItemInput], *, actor: str,
                       can_after_sales: bool, can_edit_prices: bool = False) -> AfterSalesOrder:
    """Replace the exchange items of an exchange still to confirm or confirmed, whose exchange order
    is not made yet. Each is priced like at creation (the customer's tiered price, else the
    wholesale price; a typed price needs "edit prices"); the change is written to the history."""
    r.need(can_after_sales, r.MANUAL_AFTER_SALES)
    found = _locked(session, ref)
    if found.kind != r.EXCHANGE:
        raise r.AfterSalesError(f"{found.number} is not an exchange", field="items")
    if found.state not in EDIT_ITEMS_IN or found.exchange_order_id is not None:
        raise r.AfterSalesError(f"{found.number} is {found.state}: exchange items are changed in "
                                f"{' or '.join(EDIT_ITEMS_IN)}, before the exchange order is made", field="items")
    if not items:
        raise r.AfterSalesError("items: at least one exchange item", field="items")
    priced = [priced_item(session, found, replace(i, kind=EXCHANGED, order_line_id=None), can_edit_prices)
              for i in items]
    check_exchange_prices(found.currency, priced)
    total = rounded(sum((i.unit_price * i.quantity for i in priced), Decimal(0)), found.currency)
    seen = found.state
    claimed = session.execute(
        update(AfterSalesOrder).where(AfterSalesOrder.id == found.id, AfterSalesOrder.state == seen,
                                      AfterSalesOrder.exchange_order_id.is_(None))
        .values(exchange_amount=total).execution_options(synchronize_session=False)).rowcount  # type: ignore[attr-defined]
    if not claimed:
        raise r.AfterSalesLostRace(found.number, "edited")
    session.execute(delete(AfterSalesItem).where(AfterSalesItem.after_sales_id == found.id,
                                                 AfterSalesItem.kind == EXCHANGED))
    for item in priced:
        item.after_sales_id = found.id
        session.add(item)
    session.flush()
    listed = ", ".join(f"{i.sku} x{i.quantity} at {i.unit_price}" for i in priced)
    r.history(session, found, actor=actor, reason=f"exchange items changed: {listed} ({total} {found.currency})",
              from_state=seen, to_state=seen)
    session.expire(found)
    return r.get(session, found.id)


def _locked(session: Session, ref: int | str) -> AfterSalesOrder:
    """The after-sales order, its row locked (PostgreSQL) so that its exchange items and its exchange
    order are never made from two readings at once."""
    found = r.get(session, ref)
    session.execute(select(AfterSalesOrder.id).where(AfterSalesOrder.id == found.id).with_for_update())
    session.refresh(found)
    session.expire(found, ["items"])
    return found


def generate_exchange(session: Session, ref: int | str, *, actor: str, can_after_sales: bool,
                      store: str | None = None) -> int:
    """Make the exchange order in ``store`` (by default the original order's messenger store) at
    the exchange items' prices. Returns the new order's id. The exchange of a self-delivered order
    is self-delivered from the same warehouse: its lines were the seller's own stock, and an order's
    logistics cannot be changed once it is made."""
    r.need(can_after_sales, r.MANUAL_AFTER_SALES)
    found = _locked(session, ref)
    if found.kind != r.EXCHANGE:
        raise r.AfterSalesError(f"{found.number} is not an exchange")
    if found.exchange_order_id is not None:
        raise r.AfterSalesError(f"{found.number} has its exchange order already")
    if found.state not in GENERATE_FROM:
        raise r.AfterSalesError(f"{found.number} is {found.state}: an exchange order is made from "
                                f"{' or '.join(GENERATE_FROM)}")
    items = [i for i in found.items if i.kind == EXCHANGED]
    if not items:
        raise r.AfterSalesError(f"{found.number} has no exchange items", field="items")
    check_exchange_prices(found.currency, items)
    original = session.get(Order, found.order_id) if found.order_id is not None else None
    buyer = _buyer(found, original)
    lines = [messenger.LineInput(i.sku, i.quantity, unit_price=i.unit_price, title=i.title) for i in items]
    try:
        order_id = messenger.create(
            session, store=_store(session, original, store), lines=lines, actor=actor, can_edit_prices=True,
            customer=found.customer_id, buyer=buyer, currency=found.currency,
            for_approval=not messenger.buyer_errors(buyer), **_delivery(session, original))
    except (messenger.MessengerError, ValueError) as exc:
        raise r.AfterSalesError(f"exchange order: {exc}", field=getattr(exc, "field", None) or "store") from None
    claimed = session.execute(
        update(AfterSalesOrder).where(AfterSalesOrder.id == found.id, AfterSalesOrder.exchange_order_id.is_(None),
                                      AfterSalesOrder.state.in_(GENERATE_FROM))
        .values(exchange_order_id=order_id).execution_options(synchronize_session=False)).rowcount  # type: ignore[attr-defined]
    if not claimed:
        raise r.AfterSalesLostRace(found.number, "exchanged")
    made = session.get(Order, order_id)
    assert made is not None
    origin = f" of order {original.number}" if original is not None else ""
    note(session, order_id, f"exchange order for {found.number}{origin}", actor=actor)
    r.history(session, found, actor=actor, reason=f"exchange order {made.number} generated")
    session.refresh(found)
    return order_id


def _delivery(session: Session, original: Order | None) -> dict[str, Any]:
    """How the original order went out, when the seller shipped it from a warehouse of their own."""
    was = session.get(MessengerOrder, original.id) if original is not None else None
    if was is None or was.logistics != messenger.SELF_DELIVERY:
        return {}
    return {"logistics": messenger.SELF_DELIVERY, "warehouse": delivery.warehouse_name(session, was)}


def _store(session: Session, original: Order | None, store: str | None) -> str:
    if store:
        return store
    channel = session.get(Channel, original.channel_id) if original is not None else None
    if channel is None or channel.kind != messenger.KIND:
        raise r.AfterSalesError("store: choose the messenger store the exchange order is made in", field="store")
    return channel.name


def _buyer(found: AfterSalesOrder, original: Order | None) -> dict[str, Any]:
    if original is not None and original.shipping_address:
        return {k: original.shipping_address.get(k) for k in messenger.BUYER_FIELDS}
    first, _, last = found.buyer_name.partition(" ")
    return {"first_name": first, "last_name": last, "phone": found.buyer_phone, "email": found.buyer_email}
