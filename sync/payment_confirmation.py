"""Payment confirmation, for any order whose payment the seller confirms by hand.

A messenger order paid with a slip, a shop's bank transfer (WooCommerce BACS, held ``on-hold``
until the shop owner marks it paid) or, when the seller asks for it, cash on delivery: such an
order waits in awaiting_payment with its payment confirmation pending. The seller confirms it
(idempotent; who and when are kept, with an optional transaction reference that confirms one
order only, across all channels) or rejects it with a reason (the order keeps waiting: it may be
confirmed later, or cancelled). Confirming releases the order into the pipeline once. When the
channel itself reports the order paid, it is confirmed by "channel"; nothing read from a channel
ever un-confirms an order.

Which channel orders need it: ``sync.payment_rules``; telling the channel: ``sync.payment_writeback``."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from connectors.records import ChannelOrder
from sync import messenger_delivery as delivery
from sync import payment_rules as rules
from sync.models import Order, utcnow
from sync.payment_models import PaymentConfirmation
from sync.review import LostRace, ReviewError, judge_stored
from sync.states import Status, note, transition
from sync.typed import digits
from sync.upsert import insert_ignore

PENDING = "pending"
CONFIRMED = "confirmed"
REJECTED = "rejected"
OPEN = (PENDING, REJECTED)
#: the actor of a confirmation the channel made (it reported the order paid)
CHANNEL = "channel"
REFERENCE_LENGTH = 100


class PaymentError(ReviewError):
    """A confirmation that cannot be done, said in the seller's words."""


@dataclass(frozen=True)
class Confirmed:
    #: False: it was confirmed already (nothing changed)
    changed: bool
    status: str


# Which orders need it -------------------------------------------------------------------------


def confirmed_ids(session: Session, order_ids: Iterable[int]) -> set[int]:
    ids = sorted(set(order_ids))
    found: set[int] = set()
    for i in range(0, len(ids), 500):
        found.update(session.scalars(select(PaymentConfirmation.order_id).where(
            PaymentConfirmation.order_id.in_(ids[i:i + 500]), PaymentConfirmation.state == CONFIRMED)))
    return found


def at_ingest(session: Session, orders: list[tuple[int, ChannelOrder, Status]], channel_settings: dict[str, Any],
              now: datetime) -> None:
    """After a page is judged (``orders``: id, the channel's version, the verdict): an order held
    for its confirmation gets one pending (once); one the channel now reports paid is confirmed by
    "channel"."""
    ours = [(i, o, v) for i, o, v in orders if rules.listed(o, channel_settings)]
    paid = [i for i, o, _ in ours if rules.channel_says_paid(o)]
    asked = [{"order_id": i, "state": PENDING, "method": (o.payment_method or "")[:100], "reason": "",
              "created_at": now} for i, o, v in ours if v is Status.AWAITING_PAYMENT and not rules.channel_says_paid(o)]
    insert_ignore(session, PaymentConfirmation.__table__, asked, keys=["order_id"])  # type: ignore[arg-type]
    if paid:
        moved = list(session.scalars(
            update(PaymentConfirmation).where(PaymentConfirmation.order_id.in_(paid),
                                              PaymentConfirmation.state.in_(OPEN))
            .values(state=CONFIRMED, decided_by=CHANNEL, decided_at=now, reason="")
            .returning(PaymentConfirmation.order_id)
            .execution_options(synchronize_session=False)))
        for order_id in moved:
            note(session, order_id, "payment confirmed: the channel reports it paid", actor=CHANNEL)


def ask(session: Session, order_id: int, method: str) -> None:
    """The order's payment needs a confirmation: pending unless it has one already."""
    insert_ignore(session, PaymentConfirmation.__table__, [  # type: ignore[arg-type]
        {"order_id": order_id, "state": PENDING, "method": method[:100], "reason": "", "created_at": utcnow()}],
        keys=["order_id"])


def forget(session: Session, order_id: int) -> None:
    """After a conditional write went around the identity map: the next read asks the database."""
    found = session.identity_map.get(session.identity_key(PaymentConfirmation, order_id))
    if found is not None:
        session.expire(found)


# The seller's actions -------------------------------------------------------------------------


def find_order(session: Session, ref: str) -> int:
    """The order an operator names: its id, its reference (``OH3-1001``), or the shop's order
    number (``#1001``, ``1001``) or its id on the channel. Of several, those with a payment
    confirmation; still several: the operator is asked for the id."""
    text = ref.strip()[:100]
    bare = text.lstrip("#")
    if not text:
        raise PaymentError("give the order: its id, its number or its reference", field="order")
    found = list(session.execute(
        select(Order.id, PaymentConfirmation.order_id.is_not(None))
        .outerjoin(PaymentConfirmation, PaymentConfirmation.order_id == Order.id)
        .where(or_(Order.internal_reference == text, Order.number.in_({text, bare, f"#{bare}"}),
                   Order.external_id == bare, Order.id == (int(text) if digits(text) and len(text) < 18 else -1)))
        .order_by(Order.id).limit(20)))
    if not found:
        raise PaymentError(f"no order {text[:40]!r}", field="order")
    with_confirmation = [i for i, has in found if has] or [i for i, _ in found]
    if len(with_confirmation) > 1:
        raise PaymentError(f"several orders match {text[:40]!r} (ids {', '.join(map(str, with_confirmation))}): "
                           "give the id", field="order")
    return int(with_confirmation[0])


def lock_order(session: Session, order_id: int) -> None:
    """The order's row held until the commit (PostgreSQL; SQLite has one writer at a time): a
    confirmation and a messenger order's approval take it first, so each sees what the other did."""
    session.execute(select(Order.id).where(Order.id == order_id).with_for_update())


def confirmation(session: Session, order_id: int) -> PaymentConfirmation:
    found = session.get(PaymentConfirmation, order_id)
    if found is None:
        if session.get(Order, order_id) is None:
            raise PaymentError(f"order {order_id} does not exist", field="order")
        raise PaymentError(f"order {order_id}: its payment method needs no confirmation")
    return found


def confirm(session: Session, order_id: int, *, actor: str, reference: str | None = None,
            mark_paid: bool = False, release: Callable[[Session, str], None] | None = None) -> Confirmed:
    """Conditional on the confirmation the caller read: of two sellers confirming at once, the
    second is told (``LostRace``). ``mark_paid``: the order's payment status becomes paid (an order
    whose only word on payment is ours). ``release``: what an order waiting for its payment does
    next, instead of being judged again. A self-delivered messenger order always waits for its
    shipment, whichever page, API or command confirms it: judged again, it would be made ready for
    the supplier that never takes it."""
    lock_order(session, order_id)  # an approval at the same moment is seen, or sees this
    current = confirmation(session, order_id)
    if release is None and delivery.is_self_delivered(session, order_id):
        release = _wait_for_shipment(order_id)
    order = session.get(Order, order_id, populate_existing=True)
    assert order is not None
    reference = (reference or "").strip()[:REFERENCE_LENGTH] or None
    if current.state == CONFIRMED:
        if reference is not None and reference != current.transaction_reference:
            # a second seller's reference would be dropped without a word: say who confirmed, with what
            raise LostRace(order_id, "confirmed", why=f"order {order_id}: its payment was confirmed already by "
                           f"{current.decided_by} (reference {current.transaction_reference or 'none'}): "
                           "nothing was changed")
        return Confirmed(False, order.status)
    _not_used_elsewhere(session, order_id, reference)
    try:
        with session.begin_nested():
            moved = session.execute(
                update(PaymentConfirmation).where(PaymentConfirmation.order_id == order_id,
                                                  PaymentConfirmation.state == current.state)
                .values(state=CONFIRMED, decided_by=actor, decided_at=utcnow(), reason="",
                        transaction_reference=reference)
                .execution_options(synchronize_session=False)).rowcount  # type: ignore[attr-defined]
    except IntegrityError:  # another order took the reference at the same moment
        raise PaymentError(f"reference: {(reference or '')[:40]!r} confirmed another order already",
                           field="reference") from None
    if not moved:
        raise LostRace(order_id, "confirmed")
    if mark_paid:
        session.execute(update(Order).where(Order.id == order_id).values(payment_status="paid")
                        .execution_options(synchronize_session=False))
    note(session, order_id, "payment confirmed" + (f" (reference {reference})" if reference else ""), actor=actor)
    if order.status == Status.AWAITING_PAYMENT.value and release is not None:
        release(session, actor)
    elif order.status == Status.AWAITING_PAYMENT.value and transition(
            session, order_id, Status.AWAITING_PAYMENT, Status.NEW, actor=actor, reason="payment confirmed"):
        session.expire(order)  # the updates above went around the identity map
        judge_stored(session, order_id)
    session.refresh(order)
    forget(session, order_id)
    return Confirmed(True, order.status)


def _not_used_elsewhere(session: Session, order_id: int, reference: str | None) -> None:
    """One bank transfer pays one order: its reference may confirm no other."""
    if reference is None:
        return
    other = session.scalar(select(Order.number).join(
        PaymentConfirmation, PaymentConfirmation.order_id == Order.id).where(
        PaymentConfirmation.transaction_reference == reference, PaymentConfirmation.order_id != order_id))
    if other is not None:
        raise PaymentError(f"reference: {reference[:40]!r} confirmed another order already ({other})",
                           field="reference")


def _wait_for_shipment(order_id: int) -> Callable[[Session, str], None]:
    def release(session: Session, actor: str) -> None:
        delivery.enter(session, order_id, Status.AWAITING_PAYMENT, paid=True, actor=actor, reason="payment confirmed")
    return release


def reject(session: Session, order_id: int, reason: str, *, actor: str) -> None:
    """The payment is not there (yet): the order keeps waiting, with the reason. It may be
    confirmed later, or cancelled."""
    reason = reason.strip()
    if not reason:
        raise PaymentError("reason: say why the payment is rejected", field="reason")
    current = confirmation(session, order_id)
    if current.state != PENDING:
        raise PaymentError(f"order {order_id}: its payment is {current.state}, not pending")
    moved = session.execute(
        update(PaymentConfirmation).where(PaymentConfirmation.order_id == order_id,
                                          PaymentConfirmation.state == PENDING)
        .values(state=REJECTED, reason=reason[:500], decided_by=actor, decided_at=utcnow())
        .execution_options(synchronize_session=False)).rowcount  # type: ignore[attr-defined]
    if not moved:
        raise LostRace(order_id, "rejected")
    forget(session, order_id)
    note(session, order_id, f"payment rejected: {reason[:500]}", actor=actor)
