"""The buyer's link to a messenger order: an unguessable token (256 bits from ``secrets``) of which
only the SHA-256 is stored, scoped to one order, revocable, regenerable and expiring. The buyer
submits their details through it once; afterwards it shows the order's progress, read-only."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from sync import messenger as m
from sync import messenger_payment as payment
from sync.fields import FieldError, check_link_hours
from sync.messenger_models import MessengerLink, MessengerOrder, PaymentMethod
from sync.models import Channel, Order, utcnow
from sync.settings import Settings, get_settings
from sync.states import note

#: a link's lifetime when the settings say nothing else (``Settings.messenger_link_hours``)
LIFETIME = timedelta(hours=72)
#: a submitted order's link keeps showing its progress this long
PROGRESS_LIFETIME = timedelta(days=180)
EXPIRED_REASON = "the buyer's link expired before the details were sent"


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


@dataclass(frozen=True)
class Made:
    #: shown once: only its hash is kept
    token: str
    expires_at: datetime


def lifetime_for(session: Session, order_id: int, *, hours: float | None = None,
                 settings: Settings | None = None) -> timedelta:
    """How long a new link to the order works: ``hours`` when given (within the bounds), else its
    store's ``link_hours``, else the installation's ``messenger_link_hours``."""
    if hours is None:
        order = session.get(Order, order_id)
        store = session.get(Channel, order.channel_id) if order is not None else None
        hours = (store.settings or {}).get("link_hours") if store is not None else None
    if hours is None:
        hours = (settings or get_settings()).messenger_link_hours
    try:
        return timedelta(hours=check_link_hours(hours))
    except FieldError as exc:
        raise m.MessengerError(str(exc), field=exc.field) from None


def make_link(session: Session, order_id: int, *, actor: str, lifetime: timedelta | None = None,
              hours: float | None = None, settings: Settings | None = None) -> Made:
    """A fresh link for a waiting order; any earlier link stops working. ``lifetime`` as given
    (tests), else ``lifetime_for`` with ``hours``."""
    current = m.messenger_order(session, order_id)
    if current.state not in m.PENDING_STATES or current.submitted_at is not None:
        raise m.MessengerError(f"order {order_id} is {current.state}: only waiting orders get a link")
    if lifetime is None:
        lifetime = lifetime_for(session, order_id, hours=hours, settings=settings)
    m.revoke_all(session, order_id)
    token = secrets.token_urlsafe(32)
    now = utcnow()
    session.add(MessengerLink(order_id=order_id, token_hash=token_hash(token), created_at=now,
                              expires_at=now + lifetime))
    note(session, order_id, f"buyer link made (works until {(now + lifetime):%Y-%m-%d %H:%M} UTC)", actor=actor)
    session.flush()
    return Made(token, now + lifetime)


def new_link(session: Session, order_id: int, *, actor: str, lifetime: timedelta | None = None,
             hours: float | None = None, settings: Settings | None = None) -> str:
    """``make_link``'s token only."""
    return make_link(session, order_id, actor=actor, lifetime=lifetime, hours=hours, settings=settings).token


def revoke(session: Session, order_id: int, *, actor: str) -> int:
    m.messenger_order(session, order_id)
    done = m.revoke_all(session, order_id)
    if done:
        note(session, order_id, "buyer link revoked", actor=actor)
    return done


def resolve(session: Session, token: str, now: datetime | None = None) -> MessengerLink | None:
    """The live link a token opens, or None (unknown, revoked or expired alike)."""
    if not token or len(token) > 100:
        return None
    wanted = token_hash(token)
    link = session.scalar(select(MessengerLink).where(MessengerLink.token_hash == wanted))
    if link is None or not hmac.compare_digest(link.token_hash, wanted):
        return None
    if link.revoked_at is not None or link.expires_at <= (now or utcnow()):
        return None
    return link


@dataclass
class Submitted:
    errors: dict[str, str]
    #: False when the order had been submitted already: nothing changed
    accepted: bool = False


def submit(session: Session, link: MessengerLink, details: dict[str, Any], method_id: int | None,
           slip: bytes | None, settings: Settings | None = None) -> Submitted:
    """The buyer's details, payment method and slip, checked as a whole: errors by field, or the
    order waiting to approve. A second submission changes nothing."""
    current = m.messenger_order(session, link.order_id)
    if current.submitted_at is not None or current.state not in m.PENDING_STATES:
        return Submitted({})
    errors = m.buyer_errors(details)
    method = None
    try:
        method = m.payment_method(session, method_id) if method_id is not None else None
    except m.MessengerError as exc:
        errors["payment_method"] = str(exc)
    if method is None and "payment_method" not in errors:
        errors["payment_method"] = "payment method: choose how you pay"
    content_type = None
    if method is not None and method.needs_proof:
        try:
            content_type = payment.sniff(slip or b"")
        except m.MessengerError as exc:
            errors["slip"] = str(exc)
    if errors:
        return Submitted(errors)
    try:
        with session.begin_nested():  # a slip that cannot be stored leaves the order as it was
            return _accept(session, link, details, method, slip if content_type else None, content_type, settings)
    except m.MessengerError as exc:
        return Submitted({exc.field or "slip": str(exc)})


def _accept(session: Session, link: MessengerLink, details: dict[str, Any], method: PaymentMethod | None,
            slip: bytes | None, content_type: str | None, settings: Settings | None) -> Submitted:
    now = utcnow()
    claimed = session.execute(
        update(MessengerOrder).where(MessengerOrder.order_id == link.order_id, MessengerOrder.submitted_at.is_(None),
                                     MessengerOrder.state.in_(m.PENDING_STATES))
        .values(submitted_at=now, state=m.TO_APPROVE, payment_method_id=method.id if method else None,
                payment_state="pending" if method and method.needs_proof else "none")
        .execution_options(synchronize_session=False)).rowcount  # type: ignore[attr-defined]
    if not claimed:
        return Submitted({})
    order = session.get(Order, link.order_id)
    assert order is not None
    order.shipping_address = m._address(details)
    if content_type is not None and slip is not None:
        payment.keep_slip(session, link.order_id, slip, content_type, settings)
    link.expires_at = max(link.expires_at, now + PROGRESS_LIFETIME)
    note(session, link.order_id, "buyer sent their details through the link", actor="buyer")
    session.flush()
    return Submitted({}, accepted=True)


def expire(session: Session, now: datetime | None = None) -> list[int]:
    """Void the waiting orders whose links ran out before the buyer sent their details."""
    now = now or utcnow()
    stale = list(session.scalars(
        select(MessengerLink.order_id).join(MessengerOrder, MessengerOrder.order_id == MessengerLink.order_id)
        .where(MessengerLink.revoked_at.is_(None), MessengerLink.expires_at <= now,
               MessengerOrder.submitted_at.is_(None), MessengerOrder.state.in_(m.PENDING_STATES))
        .distinct()))
    voided = []
    for order_id in stale:
        try:
            with session.begin_nested():
                m.void(session, order_id, EXPIRED_REASON, actor="worker", from_=m.PENDING_STATES)
        except m.LostRace:
            continue
        voided.append(order_id)
    return voided


def progress(session: Session, order_id: int) -> dict[str, Any]:
    """The buyer's read-only view: where the order stands, and tracking once shipped."""
    from sync.models import Shipment

    order = session.get(Order, order_id)
    current = m.messenger_order(session, order_id)
    assert order is not None
    if current.state in (m.VOIDED, m.CANCELLED) or order.status == "cancelled":
        step = "cancelled"
    elif current.state != m.APPROVED:
        step = "waiting_for_approval"
    elif current.payment_state in ("pending", "rejected"):
        step = "payment_pending" if current.payment_state == "pending" else "payment_rejected"
    elif order.status == "shipped":
        step = "shipped"
    else:
        step = "payment_confirmed" if current.payment_state == "confirmed" else "approved"
    tracking = [{"number": s.tracking_number, "carrier": s.carrier, "url": s.url}
                for s in session.scalars(select(Shipment).where(Shipment.order_id == order_id).order_by(Shipment.id))]
    return {"step": step, "tracking": tracking, "payment_reason": current.payment_reason
            if current.payment_state == "rejected" else ""}
