"""What an operator does to flagged orders: edit, resubmit, mark sent by hand."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from connectors.records import Address
from sync import issues as issue_store
from sync import wallet
from sync.evaluate import catalogue_context, judge
from sync.models import Order, SupplierOrderRow, utcnow
from sync.records import order_fingerprint, to_channel_order
from sync.states import Status, note, transition
from sync.wallet import supplier_row


class ReviewError(ValueError):
    """An operator action that cannot be done, with the reason in words the operator uses."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Resubmitted:
    order_id: int
    status: str
    issues: list[str]


def _order(session: Session, order_id: int) -> Order:
    order = session.get(Order, order_id)
    if order is None:
        raise ReviewError(f"order {order_id} does not exist")
    return order


def resubmit(session: Session, order_id: int, *, actor: str) -> Resubmitted:
    """Check a flagged order again; it goes to ready (and is then forwarded) if nothing is left.

    Supplier issues (wallet, stock...) are closed: the supplier answers again when it is sent.
    """
    order = _order(session, order_id)
    if order.status != Status.PENDING_REVIEW:
        raise ReviewError(
            f"order {order_id} is {order.status}, not pending_review: only flagged orders are resubmitted")
    if order.sent_fingerprint is not None and "changed_after_forwarding" in issue_store.open_codes(session, order_id):
        raise ReviewError(f"order {order_id} was changed after it was sent: resubmitting would send it twice")
    if "insufficient_wallet" in issue_store.open_codes(session, order_id):
        # the operator topped the wallet up: read the balance again rather than trust the cache
        wallet.forget(session, supplier_row(session).id)
    issue_store.close_open(session, order_id, sources=[issue_store.SUPPLIER])
    record = to_channel_order(order)
    channel_settings = order.channel.settings or {}
    verdict = judge(record, catalogue_context(session, [record]), channel_settings)
    issue_store.open_rule_issues(session, {order_id: verdict.issues}, utcnow(), replace=True)
    order.content_fingerprint = order_fingerprint(record)
    target = verdict.status
    if target != Status.PENDING_REVIEW:
        transition(session, order_id, Status.PENDING_REVIEW, target, actor=actor,
                   reason=f"resubmitted: {verdict.reason}")
    else:
        note(session, order_id, f"resubmitted, still flagged: {verdict.reason}", actor=actor)
    session.flush()
    return Resubmitted(order_id, target.value, issue_store.open_codes(session, order_id))


def mark_sent_manually(session: Session, order_id: int, reference: str, *, actor: str) -> None:
    """The operator placed the order at the supplier by hand under ``reference``: record it so
    it is never sent again, and let tracking follow it."""
    reference = reference.strip()
    if not reference:
        raise ReviewError("a supplier reference is needed to mark an order sent", field="reference")
    order = _order(session, order_id)
    if order.status != Status.PENDING_REVIEW:
        raise ReviewError(
            f"order {order_id} is {order.status}: only orders pending review can be marked sent by hand")
    taken = session.scalar(select(SupplierOrderRow.order_id).where(SupplierOrderRow.internal_reference == reference))
    if taken is not None and taken != order_id:
        raise ReviewError(f"reference {reference} already belongs to order {taken}", field="reference")
    supplier = supplier_row(session)
    session.add(SupplierOrderRow(order_id=order_id, supplier_id=supplier.id, supplier_order_id=None,
                                 internal_reference=reference, source="manual", status="created"))
    issue_store.close_open(session, order_id)
    order.sent_fingerprint = order.content_fingerprint
    order.outcome_unknown = False
    transition(session, order_id, Status.PENDING_REVIEW, Status.SENT, actor=actor,
               reason=f"sent manually at the supplier, reference {reference}")


EDITABLE = ("first_name", "last_name", "company", "address1", "address2", "city", "region", "postcode",
            "country_code", "phone", "email")


def edit_address(session: Session, order_id: int, changes: dict[str, Any], *, actor: str) -> Address:
    order = _order(session, order_id)
    if order.status not in (Status.PENDING_REVIEW, Status.AWAITING_PAYMENT, Status.READY):
        raise ReviewError(f"order {order_id} is {order.status}: its address can no longer be edited")
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise ReviewError(f"unknown address field: {sorted(unknown)[0]}", field=sorted(unknown)[0])
    merged = {**(order.shipping_address or {}), **changes}
    try:
        address = Address.model_validate(merged)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = str(first["loc"][0]) if first.get("loc") else None
        raise ReviewError(f"{field}: {first['msg']}", field=field) from None
    order.shipping_address = address.model_dump(mode="json")
    order.shipping_edited = True
    changed = ", ".join(sorted(changes))
    note(session, order_id, f"delivery address edited ({changed})", actor=actor)
    return address


def set_carrier(session: Session, order_id: int, carrier: str, *, actor: str) -> None:
    order = _order(session, order_id)
    if order.status in (Status.FORWARDING, Status.SENT, Status.SHIPPED):
        raise ReviewError(f"order {order_id} is already {order.status}")
    order.carrier = carrier.strip() or None
    note(session, order_id, f"shipping method set to {order.carrier or 'the default'}", actor=actor)


def judge_stored(session: Session, order_id: int) -> bool:
    """Judge an order left in ``new``; returns whether it is now ready to forward."""
    order = session.get(Order, order_id)
    if order is None or order.status != Status.NEW:
        return False
    record = to_channel_order(order)
    verdict = judge(record, catalogue_context(session, [record]), order.channel.settings or {})
    issue_store.open_rule_issues(session, {order_id: verdict.issues}, utcnow(), replace=True)
    transition(session, order_id, Status.NEW, verdict.status, reason=verdict.reason)
    return verdict.status is Status.READY


def acknowledge(session: Session, order_id: int, code: str, *, actor: str, note_text: str = "") -> int:
    """Close an open issue the operator has dealt with outside the engine (for an order changed
    after it was sent: the supplier was told, or the change was refused). Returns how many closed."""
    _order(session, order_id)
    closed = issue_store.close_open(session, order_id, codes=[code])
    if not closed:
        raise ReviewError(f"order {order_id} has no open {code} issue", field="code")
    note(session, order_id, f"{code} acknowledged" + (f": {note_text}" if note_text else ""), actor=actor)
    return closed
