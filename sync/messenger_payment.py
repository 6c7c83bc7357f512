"""Payment slips and payment confirmation of messenger orders.

A slip is kept through ``sync.blobs`` (the database, or an S3-compatible bucket when one is
configured: every admin instance reads it either way) under a random name, with the type its bytes
are (JPEG, PNG or PDF, recognised by content: never the name or the declared type).
Confirming is idempotent, says who and when, and may record the slip's transaction reference,
which confirms one order only. A confirmed order waiting in awaiting_payment is judged again and
goes on; only confirmed orders reach the supplier."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from sync import blobs
from sync import messenger as m
from sync.messenger_models import MessengerOrder, PaymentSlip
from sync.models import Order, utcnow
from sync.review import judge_stored
from sync.settings import Settings
from sync.states import Status, note, transition

MAX_SLIP_BYTES = blobs.MAX_PROOF_BYTES
ALLOWED = blobs.PROOF_TYPES


def sniff(data: bytes) -> str:
    """The slip's type from its bytes, or a MessengerError saying what is accepted."""
    try:
        return blobs.check_proof(data, field="slip", max_bytes=MAX_SLIP_BYTES, allowed=ALLOWED)
    except blobs.ProofRefused as exc:
        raise m.MessengerError(str(exc), field=exc.field) from None


def keep_slip(session: Session, order_id: int, data: bytes, content_type: str,
              settings: Settings | None = None) -> PaymentSlip:
    """The bytes go to the store first: if it fails, no row names them (and the caller's changes
    roll back with the MessengerError)."""
    try:
        storage, key = blobs.keep(session, data, content_type, settings)
    except blobs.BlobError:
        raise m.MessengerError("slip: it could not be stored just now; nothing was sent. Try again in a few "
                               "minutes", field="slip") from None
    slip = PaymentSlip(order_id=order_id, name=key.rsplit("/", 1)[-1][:64], content_type=content_type,
                       size=len(data), storage=storage, blob_key=key, uploaded_at=utcnow())
    session.add(slip)
    session.flush()
    return slip


def slip_bytes(session: Session, slip: PaymentSlip, settings: Settings | None = None) -> bytes:
    """The slip's bytes from whichever store holds them (``sync.blobs.BlobError`` when it cannot)."""
    if slip.data is not None:  # kept in its row, before the stores existed
        return bytes(slip.data)
    assert slip.blob_key is not None
    return blobs.reader(session, slip.storage, settings).get(slip.blob_key)


def upload(session: Session, order_id: int, data: bytes, *, actor: str, only_after_rejection: bool = False,
           settings: Settings | None = None) -> PaymentSlip:
    """Another slip after a rejection (or, for the seller, before a confirmation): payment is
    pending again. The buyer may send one only after a rejection, and only once per rejection."""
    content_type = sniff(data)
    allowed = ("rejected",) if only_after_rejection else ("pending", "rejected")
    with session.begin_nested():  # a slip that cannot be stored leaves the payment as it was
        moved = session.execute(update(MessengerOrder).where(
            MessengerOrder.order_id == order_id, MessengerOrder.payment_state.in_(allowed),
            MessengerOrder.state.notin_((m.VOIDED, m.CANCELLED)))
            .values(payment_state="pending", payment_reason="").execution_options(synchronize_session=False)).rowcount  # type: ignore[attr-defined]
        if not moved:
            current = m.messenger_order(session, order_id)
            raise m.MessengerError(f"slip: the payment is {current.payment_state}; no new slip is needed",
                                   field="slip")
        slip = keep_slip(session, order_id, data, content_type, settings)
        note(session, order_id, "payment slip uploaded", actor=actor)
    return slip


def latest_slip(session: Session, order_id: int) -> PaymentSlip | None:
    return session.scalar(select(PaymentSlip).where(PaymentSlip.order_id == order_id)
                          .order_by(PaymentSlip.id.desc()).limit(1))


@dataclass(frozen=True)
class Confirmed:
    #: False: it was confirmed already (nothing changed)
    changed: bool
    status: str


def confirm(session: Session, order_id: int, *, actor: str, reference: str | None = None) -> Confirmed:
    current = m.messenger_order(session, order_id)
    order = session.get(Order, order_id)
    assert order is not None
    if current.payment_state == "confirmed":
        return Confirmed(False, order.status)
    if current.payment_state not in ("pending", "rejected"):
        raise m.MessengerError(f"order {order_id}: its payment method needs no confirmation")
    reference = (reference or "").strip()[:100] or None
    if reference is not None:
        other = session.scalar(select(MessengerOrder.order_id).where(
            MessengerOrder.transaction_reference == reference, MessengerOrder.order_id != order_id))
        if other is not None:
            raise m.MessengerError(f"reference: {reference[:40]!r} confirmed another order already",
                                   field="reference")
    moved = session.execute(
        update(MessengerOrder).where(MessengerOrder.order_id == order_id,
                                     MessengerOrder.payment_state.in_(("pending", "rejected")))
        .values(payment_state="confirmed", payment_by=actor, payment_at=utcnow(), payment_reason="",
                transaction_reference=reference).execution_options(synchronize_session=False)).rowcount  # type: ignore[attr-defined]
    if not moved:
        raise m.LostRace(order_id, "confirmed")
    session.execute(update(Order).where(Order.id == order_id).values(payment_status="paid")
                    .execution_options(synchronize_session=False))
    note(session, order_id, "payment confirmed" + (f" (reference {reference})" if reference else ""), actor=actor)
    if order.status == Status.AWAITING_PAYMENT.value and transition(
            session, order_id, Status.AWAITING_PAYMENT, Status.NEW, actor=actor, reason="payment confirmed"):
        session.expire(order)  # the updates above went around the identity map
        judge_stored(session, order_id)
    session.refresh(order)
    return Confirmed(True, order.status)


def reject(session: Session, order_id: int, reason: str, *, actor: str) -> None:
    """The slip does not show the payment: the buyer may upload another."""
    reason = reason.strip()
    if not reason:
        raise m.MessengerError("reason: say why the payment is rejected", field="reason")
    moved = session.execute(
        update(MessengerOrder).where(MessengerOrder.order_id == order_id, MessengerOrder.payment_state == "pending")
        .values(payment_state="rejected", payment_reason=reason[:500], payment_by=actor, payment_at=utcnow())
        .execution_options(synchronize_session=False)).rowcount  # type: ignore[attr-defined]
    if not moved:
        current = m.messenger_order(session, order_id)
        raise m.MessengerError(f"order {order_id}: its payment is {current.payment_state}, not pending")
    note(session, order_id, f"payment rejected: {reason[:500]}", actor=actor)


def awaiting_confirmation(session: Session, limit: int = 200) -> list[tuple[Order, MessengerOrder]]:
    rows = session.execute(select(Order, MessengerOrder).join(MessengerOrder, MessengerOrder.order_id == Order.id)
                           .where(MessengerOrder.payment_state.in_(("pending", "rejected")),
                                  MessengerOrder.state.in_((*m.PENDING_STATES, m.APPROVED)))
                           .order_by(Order.id).limit(limit))
    return [(o, mo) for o, mo in rows]
