"""What an operator does to flagged orders: edit, resubmit, mark sent by hand, cancel.

Every action is a conditional write on the state the operator saw: when a worker, a channel update
or another operator moved the order in between, the action raises ``LostRace`` (a ``ReviewError``)
and nothing of it is kept. Edits are taken only while nothing is in flight (not ``ready``, not
``forwarding``), and they refresh the order's fingerprint."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from connectors.records import Address
from sync import issues as issue_store
from sync import supplier_accounts, wallet
from sync.evaluate import catalogue_context, judge
from sync.messenger_models import MessengerOrder, self_delivered
from sync.models import Order, OrderIssue, SupplierOrderRow, utcnow
from sync.payment_models import PaymentConfirmation
from sync.records import order_fingerprint, to_channel_order
from sync.search_keys import search_columns
from sync.states import Status, note, transition


class ReviewError(ValueError):
    """An operator action that cannot be done, with the reason in words the operator uses."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class LostRace(ReviewError):
    """The order changed state while the action was being done: nothing was changed."""

    def __init__(self, order_id: int, action: str, *, why: str | None = None) -> None:
        super().__init__(why or f"order {order_id} changed state while it was being {action}: nothing was done; "
                                "look at it again")


def changed_meanwhile(order_id: int) -> LostRace:
    """Another operator's (or the channel's) change since the operator's page was made from the order."""
    return LostRace(order_id, "edited", why=f"order {order_id} was changed by someone else after this page was "
                                            "opened: nothing was saved; look at it again")


#: where an operator may change what will be sent: nothing is in flight
EDITABLE_STATES = (Status.PENDING_REVIEW, Status.AWAITING_PAYMENT)
#: what an operator may cancel: nothing of it is at the supplier
CANCELLABLE = (Status.NEW, Status.AWAITING_PAYMENT, Status.READY, Status.PENDING_REVIEW, Status.AWAITING_SHIPMENT)


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
    if session.scalar(self_delivered().where(MessengerOrder.order_id == order_id)) is not None:
        raise ReviewError(f"order {order_id} is self-delivered: it is shipped by the seller, never sent to "
                          "the supplier")
    if order.sent_fingerprint is not None and "changed_after_forwarding" in issue_store.open_codes(session, order_id):
        raise ReviewError(f"order {order_id} was changed after it was sent: resubmitting would send it twice")
    if "insufficient_wallet" in issue_store.open_codes(session, order_id):
        # the operator topped the wallet up: read the balance again rather than trust the cache
        wallet.forget(session, supplier_accounts.for_order(session, order_id).id)
    issue_store.close_open(session, order_id, sources=[issue_store.SUPPLIER])
    record = to_channel_order(order)
    channel_settings = order.channel.settings or {}
    verdict = judge(record, catalogue_context(session, [record]), channel_settings,
                    payment_confirmed=payment_confirmed(session, order_id))
    issue_store.open_rule_issues(session, {order_id: verdict.issues}, utcnow(), replace=True)
    order.content_fingerprint = order_fingerprint(record)
    target = verdict.status
    if target != Status.PENDING_REVIEW:
        if not transition(session, order_id, Status.PENDING_REVIEW, target, actor=actor,
                          reason=f"resubmitted: {verdict.reason}"):
            raise LostRace(order_id, "resubmitted")
    else:
        _still(session, order_id, Status.PENDING_REVIEW, "resubmitted")
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
    supplier = supplier_accounts.for_order(session, order_id)
    session.add(SupplierOrderRow(order_id=order_id, supplier_id=supplier.id, supplier_order_id=None,
                                 internal_reference=reference, source="manual", status="created"))
    session.flush()
    if not transition(session, order_id, Status.PENDING_REVIEW, Status.SENT, actor=actor,
                      reason=f"sent manually at the supplier, reference {reference}"):
        raise LostRace(order_id, "marked sent")
    issue_store.close_open(session, order_id)
    session.execute(update(Order).where(Order.id == order_id)
                    .values(sent_fingerprint=order.content_fingerprint, outcome_unknown=False))


EDITABLE = ("first_name", "last_name", "company", "address1", "address2", "city", "region", "postcode",
            "country_code", "phone", "email")


def edit_address(session: Session, order_id: int, changes: dict[str, Any], *, actor: str,
                 seen: str | None = None) -> Address:
    """``seen``: the order's ``content_fingerprint`` the operator's form was made from; when the
    address or the lines changed since, nothing is saved (``LostRace``), never the other edit lost."""
    order = _order(session, order_id)
    if seen is not None and order.content_fingerprint != seen:
        raise changed_meanwhile(order_id)
    if order.status not in EDITABLE_STATES:
        raise ReviewError(f"order {order_id} is {order.status}: its address can be edited only while it is "
                          "pending_review or awaiting_payment")
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
    shipping = address.model_dump(mode="json")
    record = to_channel_order(order).model_copy(update={"shipping_address": address})
    _edit(session, order_id, order.status, "edited", also=Order.content_fingerprint == order.content_fingerprint,
          shipping_address=shipping, shipping_edited=True, content_fingerprint=order_fingerprint(record),
          **search_columns(shipping))
    before = order.shipping_address or {}
    session.refresh(order)
    # a form sends every field: the history names those whose value is not what it was
    changed = ", ".join(sorted(k for k in changes if (before.get(k) or None) != (shipping.get(k) or None)))
    note(session, order_id, f"delivery address edited ({changed or 'nothing changed'})", actor=actor)
    return address


def set_carrier(session: Session, order_id: int, carrier: str, *, actor: str, seen: str | None = None) -> None:
    """``seen``: the shipping method the operator's form showed ("" for the default)."""
    order = _order(session, order_id)
    if order.status not in EDITABLE_STATES:
        raise ReviewError(f"order {order_id} is {order.status}: its shipping method can be changed only while "
                          "it is pending_review or awaiting_payment")
    if seen is not None and (order.carrier or "") != seen.strip():
        raise changed_meanwhile(order_id)
    chosen = carrier.strip() or None
    same = Order.carrier.is_(None) if order.carrier is None else Order.carrier == order.carrier
    _edit(session, order_id, order.status, "edited", also=same, carrier=chosen)
    note(session, order_id, f"shipping method set to {chosen or 'the default'}", actor=actor)


def judge_stored(session: Session, order_id: int) -> bool:
    """Judge an order left in ``new``; returns whether it is now ready to forward."""
    order = session.get(Order, order_id)
    if order is None or order.status != Status.NEW:
        return False
    record = to_channel_order(order)
    verdict = judge(record, catalogue_context(session, [record]), order.channel.settings or {},
                    payment_confirmed=payment_confirmed(session, order_id))
    issue_store.open_rule_issues(session, {order_id: verdict.issues}, utcnow(), replace=True)
    moved = transition(session, order_id, Status.NEW, verdict.status, reason=verdict.reason)
    return moved and verdict.status is Status.READY


def payment_confirmed(session: Session, order_id: int) -> bool:
    """The seller (or the channel) confirmed the order's payment (``sync.payment_confirmation``)."""
    return session.scalar(select(PaymentConfirmation.state).where(PaymentConfirmation.order_id == order_id)) \
        == "confirmed"


def acknowledge(session: Session, order_id: int, code: str, *, actor: str, note_text: str = "") -> int:
    """Close an open issue the operator has dealt with outside the engine (for an order changed
    after it was sent: the supplier was told, or the change was refused). Returns how many closed.

    Only issues that do not hold the order back: a rule's or the supplier's finding is fixed and
    resubmitted (or the order marked sent by hand), never waved through."""
    order = _order(session, order_id)
    sources = set(session.scalars(select(OrderIssue.source).where(
        OrderIssue.order_id == order_id, OrderIssue.code == code, OrderIssue.closed_at.is_(None))))
    if not sources:
        raise ReviewError(f"order {order_id} has no open {code} issue", field="code")
    if sources & {issue_store.RULES, issue_store.SUPPLIER}:
        raise ReviewError(f"{code} holds order {order_id} back: fix it and resubmit, or mark the order sent "
                          "manually; it cannot be acknowledged", field="code")
    _still(session, order_id, order.status, "acknowledged")
    closed = issue_store.close_open(session, order_id, codes=[code])
    note(session, order_id, f"{code} acknowledged" + (f": {note_text}" if note_text else ""), actor=actor)
    return closed


def cancel(session: Session, order_id: int, *, actor: str, reason: str = "") -> None:
    """The seller will not fulfil this order. Not for orders that are (even partly) at the supplier:
    those are cancelled there first, then acknowledged here."""
    order = _order(session, order_id)
    if order.status == Status.CANCELLED:
        raise ReviewError(f"order {order_id} is cancelled already")
    if order.status not in CANCELLABLE:
        raise ReviewError(f"order {order_id} is {order.status}: only orders not at the supplier are cancelled here")
    at_supplier = session.scalar(select(SupplierOrderRow.id).where(SupplierOrderRow.order_id == order_id).limit(1))
    if at_supplier is not None:
        raise ReviewError(f"order {order_id} is partly at the supplier: cancel it there first")
    if not transition(session, order_id, order.status, Status.CANCELLED, actor=actor,
                      reason="cancelled by an operator" + (f": {reason}" if reason else "")):
        raise LostRace(order_id, "cancelled")
    issue_store.close_open(session, order_id)


def _edit(session: Session, order_id: int, seen: str, action: str, also: Any = None, **values: Any) -> None:
    """Write ``values`` only while the order is still in the state the operator saw (and ``also``
    holds: what was read of the row is what is being replaced)."""
    stmt = update(Order).where(Order.id == order_id, Order.status == seen)
    if also is not None:
        stmt = stmt.where(also)
    moved = session.execute(
        stmt.values(**values)
        .execution_options(synchronize_session=False)
    ).rowcount  # type: ignore[attr-defined]
    if not moved:
        if also is not None and session.scalar(select(Order.status).where(Order.id == order_id)) == seen:
            raise changed_meanwhile(order_id)  # the state held: what changed is what the operator saw
        raise LostRace(order_id, action)


def _still(session: Session, order_id: int, seen: str, action: str) -> None:
    """Hold the order in the state the operator saw until the transaction ends (a no-op write that
    takes the row lock), or report that it has left it."""
    _edit(session, order_id, seen, action, status=seen)
