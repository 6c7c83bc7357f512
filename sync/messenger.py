"""Messenger orders: an order a seller takes in a chat, stored as an ordinary order of a
"messenger" store (a channel of its own, so every list, filter and report sees it).

Until the seller approves it the order is held out of the pipeline (status ``ignored``: no worker
judges, forwards or re-reads it) and its messenger state says where it stands: waiting_to_add_info
(buyer details may be missing), waiting_to_approve (details complete, checked by the same rules as
channel orders), then approved (the order is judged like any channel order: ready, pending_review,
or awaiting_payment until its payment is confirmed), voided (with a reason) or cancelled.
A self-delivered order is never judged for the supplier nor sent to it: approved and paid, it waits
in awaiting_shipment for the seller to ship it (``sync.messenger_delivery``).
Every change is conditional on the state the caller saw; a lost race changes nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from pydantic import ValidationError
from sqlalchemy import delete, select, text, update
from sqlalchemy.orm import Session

from connectors.records import Address, ChannelOrder
from connectors.records import OrderLine as LineRecord
from sync import customer_book, payment_confirmation, prices
from sync import messenger_delivery as delivery
from sync import messenger_fields as fields
from sync.fields import FieldError, check_phone
from sync.messenger_fields import SELF_DELIVERY, SUPPLIER, MessengerError
from sync.messenger_models import MessengerLink, MessengerOrder, PaymentMethod
from sync.messenger_stores import (
    DEFAULT_CURRENCY,
    KIND,
    add_payment_method,
    add_store,
    edit_store,
    payment_method,
    store_named,
)
from sync.models import Base, CatalogueItem, Channel, Order, OrderLine, utcnow
from sync.payment_models import PaymentConfirmation
from sync.records import address_dict, fingerprint, internal_reference
from sync.review import LostRace, judge_stored
from sync.states import Status, note, transition
from sync.supplier_accounts import prefix_for_channel
from sync.upsert import insert_for
from validation import validate

ADD_INFO = "waiting_to_add_info"
TO_APPROVE = "waiting_to_approve"
APPROVED = "approved"
VOIDED = "voided"
CANCELLED = "cancelled"
PENDING_STATES = (ADD_INFO, TO_APPROVE)
#: the buyer details a link asks for, and nothing else
BUYER_FIELDS = ("first_name", "last_name", "phone", "email", "address1", "address2", "city", "region",
                "postcode", "country_code")
#: one @, something on each side, a dot in the domain: enough to catch a mistyped address
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_HELD = Status.IGNORED.value  # out of the pipeline until approved
__all__ = [
    "DEFAULT_CURRENCY", "KIND", "SELF_DELIVERY", "SUPPLIER", "LostRace", "MessengerError", "add_payment_method",
    "add_store", "edit_store", "payment_method", "store_named",
]


@dataclass(frozen=True)
class LineInput:
    sku: str
    quantity: int
    #: a price the seller typed: refused without the "edit prices" permission
    unit_price: Decimal | None = None
    #: the customer's last unit price for this SKU (a returning buyer)
    use_last_price: bool = False
    title: str = ""
    #: kilograms per unit (optional)
    weight: Decimal | None = None


# Buyer details ---------------------------------------------------------------------------------


def buyer_errors(details: dict[str, Any]) -> dict[str, str]:
    """What is wrong with the buyer's details, by field: the channel orders' rules on the delivery
    address (names, address, postcode, phone), with what the address model refuses outright."""
    values = {k: (str(details.get(k) or "").strip() or None) for k in BUYER_FIELDS}
    try:
        address = Address(**values)
    except ValidationError as exc:
        return {str(e["loc"][0]): f"{e['loc'][0]}: {e['msg']}" for e in exc.errors() if e["loc"]}
    probe = ChannelOrder(external_id="check", number="check", status="messenger", currency="EUR", total=Decimal(0),
                         updated_at=utcnow(), shipping_address=address,
                         lines=[LineRecord(sku="check", quantity=1, unit_price=Decimal(0))])
    errors: dict[str, str] = {}
    for issue in validate(probe):
        if issue.field.startswith("shipping_address"):
            name = issue.field.partition(".")[2] or "address1"
            errors.setdefault(name, issue.message)
    if values["phone"] and "phone" not in errors:  # the number the carrier calls: the admin's own check
        try:
            check_phone(values["phone"], values["country_code"])
        except FieldError as exc:
            errors["phone"] = str(exc)
    if values["email"] and not EMAIL.fullmatch(values["email"]):
        # the rules judge the address alone; a mistyped e-mail would reach the seller and the carrier
        errors["email"] = "email: an address like name@example.com"
    return errors


def _address(details: dict[str, Any] | None) -> dict[str, Any] | None:
    if not details or not any(str(details.get(k) or "").strip() for k in BUYER_FIELDS):
        return None
    try:
        return address_dict(Address(**{k: (str(details.get(k) or "").strip() or None) for k in BUYER_FIELDS}))
    except ValidationError as exc:
        first = exc.errors()[0]
        raise MessengerError(f"{first['loc'][0] if first['loc'] else 'buyer'}: {first['msg']}",
                             field=str(first["loc"][0]) if first["loc"] else None) from None


# Creating --------------------------------------------------------------------------------------


def _next_number(session: Session) -> int:
    counters = Base.metadata.tables["counters"]
    session.execute(insert_for(session, counters).on_conflict_do_nothing().values(name=KIND, value=0))
    number = session.scalar(text("UPDATE counters SET value = value + 1 WHERE name = :n RETURNING value"), {"n": KIND})
    assert number is not None
    return int(number)


def one_per_sku(lines: list[LineInput]) -> list[LineInput]:
    """The same SKU typed twice (a line, a ticked product, a pasted list) is one line: the
    quantities add up; the first price and weight given stand."""
    merged: dict[str, LineInput] = {}
    for ln in lines:
        sku = ln.sku.strip()
        was = merged.get(sku)
        merged[sku] = ln if was is None else LineInput(
            was.sku, was.quantity + ln.quantity, was.unit_price if was.unit_price is not None else ln.unit_price,
            was.use_last_price, was.title, was.weight if was.weight is not None else ln.weight)
    return list(merged.values())


def line_title(session: Session, line: LineInput, before: OrderLine | None = None) -> str:
    """What the buyer's page and the order call a line: the title given, else the line's before an
    edit, else the catalogue's (a SKU typed or pasted arrives without one)."""
    if line.title:
        return line.title[:500]
    if before is not None and before.title:
        return before.title
    return session.scalar(select(CatalogueItem.title).where(CatalogueItem.sku == line.sku.strip())) or ""


def store_currency(store: Channel) -> str:
    return str((store.settings or {}).get("currency") or DEFAULT_CURRENCY)


def priced(session: Session, line: LineInput, customer_id: int | None, can_edit_prices: bool) -> Decimal:
    """The line's unit price (checked: SKU, quantity, weight, who may type a price)."""
    sku = line.sku.strip()
    if not sku or len(sku) > 100:
        raise MessengerError("sku: 1 to 100 characters", field="sku")
    if line.quantity < 1 or line.quantity > 100000:
        raise MessengerError(f"quantity of {sku}: a whole number from 1", field="quantity")
    fields.weight(line.weight, sku)
    if line.unit_price is not None:
        if not can_edit_prices:
            raise MessengerError("unit price: changing a price needs the \"edit prices\" permission",
                                 field="unit_price")
        return prices.parse_price(str(line.unit_price), "unit_price")
    if line.use_last_price and customer_id is not None:
        last = prices.last_unit_price(session, sku, customer_id)
        if last is not None:
            return last
    quote = prices.price_for(session, sku, customer_id, line.quantity)
    if quote.price is None:
        raise MessengerError(f"unit price of {sku}: no price is set for it; enter one", field="unit_price")
    return quote.price


def create(session: Session, *, store: str, lines: list[LineInput], actor: str, can_edit_prices: bool,
           customer: str | int | None = None, new_buyer: dict[str, Any] | None = None,
           buyer: dict[str, Any] | None = None, payment_method_name: str | None = None,
           currency: str | None = None, for_approval: bool = False, logistics: str = SUPPLIER,
           warehouse: str | None = None) -> int:
    """A messenger order, saved as waiting_to_add_info or (``for_approval``, the buyer's details
    complete and valid) waiting_to_approve. Returns the order id.

    ``logistics``: supplier (forwarded once approved and paid) or self_delivery (shipped by the
    seller from ``warehouse``); ``currency``: an ISO 4217 code, the store's when not given."""
    channel = store_named(session, store)
    lines = one_per_sku(lines)
    if not lines:
        raise MessengerError("lines: an order needs at least one SKU", field="lines")
    how = fields.logistics(logistics)
    code = fields.currency(currency, store_currency(channel))
    source = delivery.warehouse_for(session, how, warehouse)
    customer_id = _customer_id(session, customer, new_buyer)
    priced_lines = [(ln, priced(session, ln, customer_id, can_edit_prices)) for ln in lines]
    method = payment_method(session, payment_method_name) if payment_method_name else None
    shipping = _address(buyer)
    state = _saved_state(buyer, for_approval)
    number = _next_number(session)
    external_id = f"M{number:08d}"
    total = sum((price * ln.quantity for ln, price in priced_lines), Decimal(0))
    now = utcnow()
    order = Order(
        channel_id=channel.id, external_id=external_id, number=external_id, status=_HELD, status_changed_at=now,
        channel_status=KIND, payment_status="pending", currency=code, total=total,
        placed_at=now, channel_updated_at=now, shipping_address=shipping, customer_id=customer_id,
        internal_reference=internal_reference(channel.id, external_id, prefix_for_channel(session, channel.id)),
        content_fingerprint=fingerprint(shipping, [(ln.sku.strip(), ln.quantity) for ln in lines]),
        raw={"source": KIND, "store": channel.name},
        lines=[OrderLine(position=i, sku=ln.sku.strip(), quantity=ln.quantity, unit_price=price,
                         title=line_title(session, ln), weight=fields.weight(ln.weight))
               for i, (ln, price) in enumerate(priced_lines)],
    )
    session.add(order)
    session.flush()
    session.add(MessengerOrder(order_id=order.id, state=state, created_by=actor,
                               payment_method_id=method.id if method else None, logistics=how,
                               warehouse_id=source))
    set_payment_method(session, order.id, method)
    note(session, order.id, f"messenger order created ({state}, {how.replace('_', ' ')})", actor=actor)
    session.flush()
    return order.id


def _customer_id(session: Session, customer: str | int | None, new_buyer: dict[str, Any] | None) -> int | None:
    if customer is not None and str(customer).strip():
        try:
            return customer_book.find(session, customer).id
        except customer_book.CustomerNotFound as exc:
            raise MessengerError(str(exc), field="customer") from None
    if new_buyer:
        return customer_book.add(session, new_buyer).id  # the next customer code
    return None


def _saved_state(buyer: dict[str, Any] | None, for_approval: bool) -> str:
    if not for_approval:
        return ADD_INFO
    errors = buyer_errors(buyer or {})
    if errors:
        field, message = next(iter(errors.items()))
        raise MessengerError(message, field=field)
    return TO_APPROVE


def set_payment_method(session: Session, order_id: int, method: PaymentMethod | None) -> None:
    """A method paid before delivery needs its payment confirmed; any other needs none."""
    if method is not None and method.needs_proof:
        payment_confirmation.ask(session, order_id, method.name)
    else:
        session.execute(delete(PaymentConfirmation).where(PaymentConfirmation.order_id == order_id,
                                                          PaymentConfirmation.state != payment_confirmation.CONFIRMED))
    payment_confirmation.forget(session, order_id)


# Reading ---------------------------------------------------------------------------------------


def messenger_order(session: Session, order_id: int) -> MessengerOrder:
    found = session.get(MessengerOrder, order_id)
    if found is None:
        raise MessengerError(f"order {order_id} is not a messenger order", field="order")
    return found


def pending(session: Session, state: str, limit: int = 200) -> list[tuple[Order, MessengerOrder]]:
    rows = session.execute(select(Order, MessengerOrder).join(MessengerOrder, MessengerOrder.order_id == Order.id)
                           .where(MessengerOrder.state == state).order_by(Order.id).limit(limit))
    return [(o, m) for o, m in rows]


# Transitions -----------------------------------------------------------------------------------


def move(session: Session, order_id: int, from_: tuple[str, ...] | str, to: str, action: str,
         **values: Any) -> None:
    """The messenger state, conditional on the one the caller saw."""
    sources = (from_,) if isinstance(from_, str) else from_
    moved = session.execute(
        update(MessengerOrder).where(MessengerOrder.order_id == order_id, MessengerOrder.state.in_(sources))
        .values(state=to, **values).execution_options(synchronize_session=False)).rowcount  # type: ignore[attr-defined]
    if not moved:
        raise LostRace(order_id, action)


def save_buyer(session: Session, order_id: int, details: dict[str, Any], *, actor: str,
               for_approval: bool) -> None:
    """The seller edits the buyer's details of an order still waiting."""
    current = messenger_order(session, order_id)
    if current.state not in PENDING_STATES:
        raise MessengerError(f"order {order_id} is {current.state}: its details can no longer be edited")
    state = _saved_state(details, for_approval)
    shipping = _address(details)
    move(session, order_id, current.state, state, "edited")
    session.get(Order, order_id).shipping_address = shipping  # type: ignore[union-attr]
    note(session, order_id, f"buyer details saved ({state})", actor=actor)


def approve(session: Session, order_id: int, *, actor: str) -> str:
    """The order enters the pipeline: judged like a channel order (its payment counts as paid only
    once confirmed, when its method needs a proof). Returns the order's new status."""
    current = messenger_order(session, order_id)
    if current.state != TO_APPROVE:
        raise MessengerError(f"order {order_id} is {current.state}: only orders waiting to approve are approved")
    if current.payment_method_id is None:  # unpaid and no way to pay: never to the supplier
        raise MessengerError(f"order {order_id} has no payment method: the buyer chooses one through the link",
                             field="payment_method")
    move(session, order_id, TO_APPROVE, APPROVED, "approved")
    # the payment read after the order's row is ours: a confirmation committed meanwhile is seen,
    # and one still to come finds the order approved (``payment_confirmation.confirm`` locks it too)
    payment_confirmation.lock_order(session, order_id)
    paid = session.scalar(select(PaymentConfirmation.state).where(PaymentConfirmation.order_id == order_id)) \
        in (None, payment_confirmation.CONFIRMED)
    order = session.get(Order, order_id)
    assert order is not None
    session.execute(update(Order).where(Order.id == order_id)
                    .values(payment_status="paid" if paid else "pending", channel_updated_at=utcnow())
                    .execution_options(synchronize_session=False))
    if not transition(session, order_id, _HELD, Status.NEW, actor=actor, reason="messenger order approved"):
        raise LostRace(order_id, "approved")
    session.expire(order)
    if current.logistics == SELF_DELIVERY:  # never judged for the supplier: the seller ships it
        delivery.enter(session, order_id, Status.NEW, paid=paid, actor=actor, reason="messenger order approved")
    else:
        judge_stored(session, order_id)
    session.refresh(order)
    return order.status


def disapprove(session: Session, order_id: int, reason: str, *, actor: str) -> None:
    reason = reason.strip()
    if not reason:
        raise MessengerError("reason: say why the order is voided", field="reason")
    void(session, order_id, reason[:500], actor=actor, from_=PENDING_STATES)


def void(session: Session, order_id: int, reason: str, *, actor: str, from_: tuple[str, ...]) -> None:
    move(session, order_id, from_, VOIDED, "voided", void_reason=reason)
    revoke_all(session, order_id)
    if not transition(session, order_id, _HELD, Status.CANCELLED, actor=actor, reason=f"voided: {reason}"):
        raise LostRace(order_id, "voided")


def cancel(session: Session, order_id: int, *, actor: str, reason: str = "") -> None:
    """Cancel a voided or waiting order (the order itself becomes cancelled)."""
    current = messenger_order(session, order_id)
    if current.state not in (*PENDING_STATES, VOIDED):
        raise MessengerError(f"order {order_id} is {current.state}: only waiting or voided orders are cancelled here")
    move(session, order_id, current.state, CANCELLED, "cancelled")
    revoke_all(session, order_id)
    order = session.get(Order, order_id)
    assert order is not None
    if order.status == _HELD and not transition(session, order_id, _HELD, Status.CANCELLED, actor=actor,
                                                reason="cancelled" + (f": {reason}" if reason else "")):
        raise LostRace(order_id, "cancelled")


def summary(order: Order) -> dict[str, Any]:
    """What the buyer's page shows of an order (never another order's data)."""
    return {"number": order.number, "currency": order.currency, "total": str(order.total),
            "lines": [{"sku": ln.sku, "title": ln.title, "quantity": ln.quantity, "unit_price": str(ln.unit_price),
                       "amount": str(Decimal(ln.unit_price) * ln.quantity)} for ln in order.lines]}


def revoke_all(session: Session, order_id: int) -> int:
    """Every live link of the order stops working (a voided or cancelled order has no link)."""
    done = session.execute(update(MessengerLink).where(MessengerLink.order_id == order_id,
                                                       MessengerLink.revoked_at.is_(None))
                           .values(revoked_at=utcnow()).execution_options(synchronize_session=False))
    return int(done.rowcount)  # type: ignore[attr-defined]
