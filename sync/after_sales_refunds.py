"""Refund orders of after-sales orders: requested with an amount, payment information and a
payment proof, then confirmed (the after-sales order is completed) or rejected with a reason (it
goes back to the list it came from, where a new refund order can be made).

Caps: a refund order asks at most the after-sales order's refundable amount (for a return, what
was received back; for an exchange, the refund value less the exchange order's amount, never
below 0), and all refund orders of one order (requested or confirmed) at most what was paid for
it, less what the channel refunded itself. Refund actions need the "after-sales refund" permission.
Confirming and rejecting are conditional on the refund order still being requested: of two
operators confirming at once, one confirms and the other gets a lost race."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from sync import after_sales_rules as r
from sync import blobs
from sync.after_sales import RETURNED, paid
from sync.after_sales_models import AfterSalesOrder, RefundOrder, RefundProof
from sync.channel_refunds import refunded_on_channel
from sync.fields import FieldError
from sync.models import Customer, Order, utcnow
from sync.money import parse_amount, rounded
from sync.settings import Settings

REQUESTED = "requested"
CONFIRMED = "confirmed"
REJECTED = "rejected"
OPEN = (REQUESTED, CONFIRMED)


def refund_value(session: Session, found: AfterSalesOrder) -> Decimal:
    """What the after-sales order gives back before the order's cap: the return amount (for a
    return, no more than the units received are worth), less an exchange order's amount, from 0."""
    value = Decimal(found.return_amount)
    if found.kind in r.RETURN_KINDS:
        items = [i for i in found.items if i.kind == RETURNED]
        if any(i.received_quantity < i.quantity for i in items):
            received = sum((i.unit_price * i.received_quantity for i in items), Decimal(0))
            value = min(value, rounded(received, found.currency))
    if found.kind == r.EXCHANGE:
        value -= exchange_order_amount(session, found)
    return max(Decimal(0), rounded(value, found.currency))


def exchange_order_amount(session: Session, found: AfterSalesOrder) -> Decimal:
    """The exchange order's total once generated, else the exchange items' amount."""
    if found.exchange_order_id is not None:
        total = session.scalar(select(Order.total).where(Order.id == found.exchange_order_id))
        if total is not None:
            return Decimal(total)
    return Decimal(found.exchange_amount)


def refundable(session: Session, found: AfterSalesOrder) -> Decimal:
    """What a new refund order of ``found`` may ask for now."""
    own = _sum(session, RefundOrder.after_sales_id == found.id)
    left = refund_value(session, found) - own
    if found.order_id is not None:
        order = session.get(Order, found.order_id)
        assert order is not None
        left = min(left, order_room(session, order))
    return rounded(max(Decimal(0), left), found.currency)


def order_room(session: Session, order: Order) -> Decimal:
    """What was paid for the order less its open refund orders and the refunds its channel made
    that no after-sales order took up."""
    taken_up = set(session.scalars(select(AfterSalesOrder.channel_refund_id).where(
        AfterSalesOrder.order_id == order.id, AfterSalesOrder.channel_refund_id.is_not(None))))
    on_channel = refunded_on_channel(session, order, excluding=taken_up)
    return paid(order) - on_channel - _sum(session, RefundOrder.order_id == order.id)


def _sum(session: Session, where: object) -> Decimal:
    total = session.scalar(select(func.coalesce(func.sum(RefundOrder.amount), 0))
                           .where(where, RefundOrder.state.in_(OPEN)))  # type: ignore[arg-type]
    return Decimal(total or 0)


def create_refund(session: Session, ref: int | str, *, amount: Decimal | str, actor: str, can_refund: bool,
                  payment_info: str = "", proof: bytes | None = None,
                  settings: Settings | None = None) -> RefundOrder:
    """A refund order for an after-sales order in its refund list (received_return; confirm_refund
    for refund-only): the after-sales order moves to refund_processing. The proof goes to the proof
    store (``sync.blobs``) first: if the store fails, nothing of the refund order is kept."""
    r.need(can_refund, r.AFTER_SALES_REFUND)
    found = r.get(session, ref)
    source = r.REFUND_FROM[found.kind]
    if found.state != source:
        raise r.AfterSalesError(f"{found.number} is {found.state}: a refund order is made from {source}")
    if found.order_id is not None:  # one refund order at a time per order: the caps are read under the lock
        session.execute(select(Order.id).where(Order.id == found.order_id).with_for_update())
    try:
        asked = parse_amount(amount, found.currency, "amount")
    except FieldError as exc:
        raise r.AfterSalesError(str(exc), field="amount") from None
    cap = refundable(session, found)
    if asked <= 0 or asked > cap:
        raise r.AfterSalesError(f"amount: from more than 0 up to {cap} {found.currency} can be refunded",
                                field="amount")
    content_type = _checked_proof(proof) if proof is not None else None
    # an object put in the bucket is taken away again if anything below fails (a lost race included)
    with session.begin_nested():
        key = _keep_proof(session, proof, content_type, settings) if proof is not None and content_type else None
        refund = RefundOrder(after_sales_id=found.id, order_id=found.order_id, amount=asked,
                             currency=found.currency, payment_info=payment_info.strip()[:2000], proof_key=key,
                             state=REQUESTED, requested_by=actor, requested_at=utcnow())
        session.add(refund)
        session.flush()
        r.move(session, found, source, r.REFUND_PROCESSING, actor=actor, action="sent for refund",
               reason=f"refund order {refund.id} of {asked} {found.currency} requested")
    return refund


def _checked_proof(data: bytes) -> str:
    try:
        return blobs.check_proof(data, field="payment proof", what="a photo or PDF of the refund")
    except blobs.ProofRefused as exc:
        raise r.AfterSalesError(str(exc), field="proof") from None


def _keep_proof(session: Session, data: bytes, content_type: str, settings: Settings | None) -> str:
    """The bytes go to the store first: a store that fails leaves no row naming them."""
    try:
        storage, key = blobs.keep(session, data, content_type, settings)
    except blobs.BlobError:
        raise r.AfterSalesError("payment proof: it could not be stored just now; nothing was kept. Try again "
                                "in a few minutes", field="proof") from None
    name = key.rsplit("/", 1)[-1][:64]
    session.add(RefundProof(name=name, content_type=content_type, size=len(data), storage=storage, blob_key=key,
                            uploaded_at=utcnow()))
    return name


def confirm_refund(session: Session, refund_id: int, *, actor: str, can_refund: bool) -> RefundOrder:
    """The money went back to the buyer: the refund order is confirmed (once) and the after-sales
    order completed."""
    r.need(can_refund, r.AFTER_SALES_REFUND)
    refund, found = _refund(session, refund_id)
    if refund.state != REQUESTED:
        raise r.AfterSalesError(f"refund order {refund_id} is {refund.state} already")
    _decide(session, refund, found, CONFIRMED, actor, "")
    r.move(session, found, r.REFUND_PROCESSING, r.COMPLETED, actor=actor, action="refunded",
           reason=f"refund order {refund_id} of {rounded(refund.amount, refund.currency)} {refund.currency} confirmed")
    return refund


def reject_refund(session: Session, refund_id: int, reason: str, *, actor: str, can_refund: bool) -> RefundOrder:
    """The refund order is refused with a reason; the after-sales order goes back to its refund list."""
    r.need(can_refund, r.AFTER_SALES_REFUND)
    why = r.reason_text(reason, "refund is rejected")
    refund, found = _refund(session, refund_id)
    if refund.state != REQUESTED:
        raise r.AfterSalesError(f"refund order {refund_id} is {refund.state} already")
    _decide(session, refund, found, REJECTED, actor, why)
    r.move(session, found, r.REFUND_PROCESSING, r.REFUND_FROM[found.kind], actor=actor, action="refused",
           reason=f"refund order {refund_id} rejected: {why}")
    return refund


def _refund(session: Session, refund_id: int) -> tuple[RefundOrder, AfterSalesOrder]:
    refund = session.get(RefundOrder, refund_id)
    if refund is None:
        raise r.AfterSalesError(f"no refund order {refund_id}", field="refund")
    found = session.get(AfterSalesOrder, refund.after_sales_id)
    assert found is not None
    return refund, found


def _decide(session: Session, refund: RefundOrder, found: AfterSalesOrder, to: str, actor: str, reason: str) -> None:
    moved = session.execute(
        update(RefundOrder).where(RefundOrder.id == refund.id, RefundOrder.state == REQUESTED)
        .values(state=to, reason=reason, decided_by=actor, decided_at=utcnow())
        .execution_options(synchronize_session=False)).rowcount  # type: ignore[attr-defined]
    if not moved:
        raise r.AfterSalesLostRace(f"{found.number} (refund order {refund.id})", to)
    session.refresh(refund)


def refund_orders(session: Session, *, state: str | None = None, after_sales_id: int | None = None,
                  limit: int = 200) -> list[RefundOrder]:
    """The after-sales refund page's list, oldest first."""
    stmt = select(RefundOrder).order_by(RefundOrder.id).limit(limit)
    if state is not None:
        stmt = stmt.where(RefundOrder.state == state)
    if after_sales_id is not None:
        stmt = stmt.where(RefundOrder.after_sales_id == after_sales_id)
    return list(session.scalars(stmt))


def proof(session: Session, key: str) -> RefundProof | None:
    """The proof's row (its type and size); its bytes are read by ``proof_bytes``."""
    return session.scalar(select(RefundProof).where(RefundProof.name == key))


def proof_bytes(session: Session, found: RefundProof, settings: Settings | None = None) -> bytes:
    """The proof's bytes from whichever store holds them (``sync.blobs.BlobError`` when it cannot)."""
    return blobs.kept_bytes(session, found, settings)


def customer_refunds(session: Session, customer_ids: list[int]) -> dict[int, dict[str, Decimal]]:
    """Confirmed refunds per customer and currency. Shown beside the customer's spend, which keeps
    refunded orders (cancelled ones never count): spend less refunded is what the buyer kept paid."""
    found: dict[int, dict[str, Decimal]] = {i: {} for i in customer_ids}
    if not customer_ids:
        return found
    # a customer merged into another counts for that one
    owner = func.coalesce(Customer.merged_into_id, Customer.id)
    rows = session.execute(
        select(owner, RefundOrder.currency, func.sum(RefundOrder.amount))
        .join(AfterSalesOrder, AfterSalesOrder.id == RefundOrder.after_sales_id)
        .join(Customer, Customer.id == AfterSalesOrder.customer_id)
        .where(owner.in_(customer_ids), RefundOrder.state == CONFIRMED)
        .group_by(owner, RefundOrder.currency))
    for customer_id, currency, total in rows:
        found[int(customer_id)][currency] = rounded(Decimal(total), currency)
    return found
