"""Payment slips and payment confirmation of messenger orders.

A slip is kept through ``sync.blobs`` (the database, or an S3-compatible bucket when one is
configured: every admin instance reads it either way) under a random name, with the type its bytes
are (JPEG, PNG or PDF, recognised by content: never the name or the declared type).
Confirming and rejecting are every order's (``sync.payment_confirmation``): idempotent, who and
when, the slip's transaction reference confirming one order only. A confirmed order waiting in
awaiting_payment is judged again and goes on (a self-delivered one waits for its shipment); only
confirmed orders reach the supplier."""

from __future__ import annotations

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session

from sync import blobs
from sync import messenger as m
from sync import payment_confirmation as pc
from sync.messenger_models import MessengerOrder, PaymentSlip
from sync.models import Order, utcnow
from sync.payment_confirmation import Confirmed
from sync.payment_models import PaymentConfirmation
from sync.settings import Settings
from sync.states import Status, note

__all__ = ["Confirmed", "awaiting_confirmation", "confirm", "keep_slip", "latest_slip", "reject", "sniff",
           "upload"]

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
    return blobs.kept_bytes(session, slip, settings)


def upload(session: Session, order_id: int, data: bytes, *, actor: str, only_after_rejection: bool = False,
           settings: Settings | None = None) -> PaymentSlip:
    """Another slip after a rejection (or, for the seller, before a confirmation): payment is
    pending again. The buyer may send one only after a rejection, and only once per rejection."""
    content_type = sniff(data)
    allowed = ("rejected",) if only_after_rejection else ("pending", "rejected")
    still_open = select(MessengerOrder.order_id).where(MessengerOrder.order_id == order_id,
                                                       MessengerOrder.state.notin_((m.VOIDED, m.CANCELLED)))
    with session.begin_nested():  # a slip that cannot be stored leaves the payment as it was
        moved = session.execute(update(PaymentConfirmation).where(
            PaymentConfirmation.order_id == order_id, PaymentConfirmation.state.in_(allowed),
            PaymentConfirmation.order_id.in_(still_open))
            .values(state="pending", reason="").execution_options(synchronize_session=False)).rowcount  # type: ignore[attr-defined]
        if not moved:
            current = m.messenger_order(session, order_id)
            raise m.MessengerError(f"slip: the payment is {current.payment_state}; no new slip is needed",
                                   field="slip")
        pc.forget(session, order_id)
        slip = keep_slip(session, order_id, data, content_type, settings)
        note(session, order_id, "payment slip uploaded", actor=actor)
    return slip


def latest_slip(session: Session, order_id: int) -> PaymentSlip | None:
    return session.scalar(select(PaymentSlip).where(PaymentSlip.order_id == order_id)
                          .order_by(PaymentSlip.id.desc()).limit(1))


def confirm(session: Session, order_id: int, *, actor: str, reference: str | None = None) -> Confirmed:
    m.messenger_order(session, order_id)
    try:  # a self-delivered order then waits for its shipment (sync.payment_confirmation.confirm)
        return pc.confirm(session, order_id, actor=actor, reference=reference, mark_paid=True)
    except pc.LostRace:
        raise
    except pc.PaymentError as exc:
        raise m.MessengerError(str(exc), field=exc.field) from None


def reject(session: Session, order_id: int, reason: str, *, actor: str) -> None:
    """The slip does not show the payment: the buyer may upload another."""
    m.messenger_order(session, order_id)
    try:
        pc.reject(session, order_id, reason, actor=actor)
    except pc.LostRace:
        raise
    except pc.PaymentError as exc:
        raise m.MessengerError(str(exc), field=exc.field) from None


def awaiting_confirmation(session: Session, limit: int = 200) -> list[tuple[Order, PaymentConfirmation,
                                                                             MessengerOrder | None]]:
    """Every order whose payment confirmation is open: messenger orders not voided nor cancelled
    (before approval too: the seller may confirm a slip early), and channel orders waiting for it."""
    rows = session.execute(
        select(Order, PaymentConfirmation, MessengerOrder)
        .join(PaymentConfirmation, PaymentConfirmation.order_id == Order.id)
        .outerjoin(MessengerOrder, MessengerOrder.order_id == Order.id)
        .where(PaymentConfirmation.state.in_(pc.OPEN),
               or_(MessengerOrder.state.in_((*m.PENDING_STATES, m.APPROVED)),
                   and_(MessengerOrder.order_id.is_(None), Order.status == Status.AWAITING_PAYMENT.value)))
        .order_by(Order.id).limit(limit))
    return [(o, c, mo) for o, c, mo in rows]
