"""Recording what the supplier answered for a claimed order, in one transaction each.

An order found under its reference (a look-up after a crash, or the supplier's duplicate-reference
answer) is checked against the request written down before the send: the supplier answers one order
per reference, so a split create may be only partly visible, and a reference another installation
used would name an order that is not ours. What does not match is never taken as ours, and an order
is never settled as ``sent`` while what the supplier holds does not cover its lines: an operator
decides.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from connectors import codes
from connectors.records import SupplierAddress, SupplierOrderRequest, SupplierRefusal, SupplierSubmission
from sync import issues as issue_store
from sync import metrics
from sync.db import Database
from sync.models import Order, SupplierOrderRow, SupplierRequest, utcnow
from sync.states import Status, transition
from sync.upsert import insert_ignore


@dataclass(frozen=True)
class Outcome:
    result: str  # sent | pending_review | skipped | retry
    detail: str = ""


@dataclass(frozen=True)
class Claim:
    order_id: int
    supplier_id: int
    reference: str
    lookup_first: bool
    attempt: int = 0  # forward_attempts as this claim set it: only this attempt may release it


@dataclass(frozen=True)
class _Mismatch:
    ours: bool  # the supplier's orders are ours (record them) though they do not cover the request
    message: str


_HOW = {"created": "created", "lookup": "found by reference", "duplicate_reference": "already existed"}


def settle(db: Database, taken: Claim, submission: SupplierSubmission, *, source: str,
           held: dict[str, SupplierOrderRequest | None] | None = None) -> Outcome:
    """Record the supplier's orders and move the order, in one transaction; metrics once committed.
    ``held``: for orders found by reference, what each holds as the supplier describes it."""
    with db.session() as session:
        mismatch = None
        if source != "created":
            submission = _with_skus(submission, held or {})
            mismatch = _check_found(session, taken, submission, held or {})
        if mismatch is None or mismatch.ours:
            _store_rows(session, taken, submission, source)
        ids = ", ".join(o.supplier_order_id for o in submission.orders)
        if mismatch is not None or submission.refusals:
            _known(session, taken.order_id)
        if mismatch is not None:
            flagged = [SupplierRefusal(code=codes.SUPPLIER_REJECTED, message=mismatch.message)]
            outcome = refused(session, taken, flagged, reason=f"found at the supplier ({ids}) but not as sent")
            moved, counted = True, flagged
        elif submission.refusals:  # a partial create: what was made stays made, the rest waits
            open_refusals(session, taken.order_id, submission.refusals)
            moved = transition(session, taken.order_id, Status.FORWARDING, Status.PENDING_REVIEW,
                               reason=f"partly created at the supplier ({ids}); the rest was refused")
            outcome, counted = Outcome("pending_review", "partial"), submission.refusals
        else:
            moved = _sent(session, taken, ids, source)
            outcome, counted = Outcome("sent", ids), []
        created = session.scalar(select(Order.created_at).where(Order.id == taken.order_id))
        waited = (utcnow() - created).total_seconds() if created is not None else 0.0
    # counted once committed, and only by the attempt that moved the order
    if moved and outcome.result == "sent":
        metrics.ORDERS_SETTLED.labels(outcome.result).inc()
        metrics.ORDERS_FORWARDED.labels(source).inc()
        metrics.INGEST_TO_SENT.observe(max(0.0, waited))
    elif moved:
        count_refused(counted)
    return outcome


def _known(session: Session, order_id: int) -> None:
    """The attempt's outcome is known now, whatever becomes of the order."""
    session.execute(update(Order).where(Order.id == order_id).values(outcome_unknown=False))


def _sent(session: Session, taken: Claim, ids: str, source: str) -> bool:
    """The order to ``sent`` and its attempt known, in one UPDATE; the fingerprint of what was sent
    kept if the claim was made before requests were written down."""
    moved = transition(session, taken.order_id, Status.FORWARDING, Status.SENT,
                       reason=f"supplier order {ids} ({_HOW[source]}, reference {taken.reference})",
                       also={"outcome_unknown": False, "create_failures": 0,
                             "sent_fingerprint": func.coalesce(Order.sent_fingerprint, Order.content_fingerprint)})
    if not moved:
        _known(session, taken.order_id)
    return moved


def _store_rows(session: Session, taken: Claim, submission: SupplierSubmission, source: str) -> None:
    now = utcnow()
    insert_ignore(session, SupplierOrderRow.__table__, [  # type: ignore[arg-type]
        {"order_id": taken.order_id, "supplier_id": taken.supplier_id,
         "supplier_order_id": o.supplier_order_id, "internal_reference": taken.reference,
         "warehouse": o.warehouse, "skus": o.skus, "total": o.total, "status": "created",
         "source": source, "created_at": now}
        for o in submission.orders
    ], keys=["supplier_id", "supplier_order_id"])


def _with_skus(submission: SupplierSubmission, held: dict[str, SupplierOrderRequest | None]) -> SupplierSubmission:
    """Each found order with the products the supplier says it holds (for its row and its tracking)."""
    orders = []
    for o in submission.orders:
        described = held.get(o.supplier_order_id)
        if not o.skus and described is not None:
            o = o.model_copy(update={"skus": [ln.supplier_sku for ln in described.lines]})
        orders.append(o)
    return submission.model_copy(update={"orders": orders})


def _check_found(session: Session, taken: Claim, submission: SupplierSubmission,
                 held: dict[str, SupplierOrderRequest | None]) -> _Mismatch | None:
    """None when the orders found under the reference are ours (the products and the delivery
    address sent) and hold every line sent under it."""
    sent = session.execute(select(SupplierRequest.lines, SupplierRequest.address)
                           .where(SupplierRequest.internal_reference == taken.reference)).first()
    if sent is None:
        return None  # sent before requests were written down: nothing to compare with
    ids = ", ".join(o.supplier_order_id for o in submission.orders)
    where = f"the supplier holds order {ids} under reference {taken.reference}"
    described = [held.get(o.supplier_order_id) for o in submission.orders]
    if any(d is None for d in described):
        return _Mismatch(False, f"{where}, but it does not say what that order holds: check it at the "
                                "supplier, then mark this order sent manually or resubmit it")
    wanted = _quantities((str(sku), int(qty)) for sku, qty in sent.lines)
    found = _quantities((ln.supplier_sku, ln.quantity) for d in described if d is not None for ln in d.lines)
    foreign = sorted(sku for sku, qty in found.items() if qty > wanted.get(sku, 0))
    if foreign:
        return _Mismatch(False, f"{where} with products this order does not have ({', '.join(foreign)}): "
                                "it is not taken as this order's; check the reference at the supplier")
    elsewhere = [d.address for d in described if d is not None and not _same_place(d.address, sent.address)]
    if elsewhere:
        there = f"{elsewhere[0].postcode} {elsewhere[0].country_code}"
        return _Mismatch(False, f"{where}, delivering to {there}, not to this order's address: it is not "
                                "taken as this order's; check the reference at the supplier")
    missing = sorted(sku for sku, qty in wanted.items() if found.get(sku, 0) < qty)
    if missing:
        return _Mismatch(True, f"{where}, without {', '.join(missing)}: that part may sit in another supplier "
                               "order the look-up cannot show, or was never created; check at the supplier "
                               "before resubmitting")
    return None


def _quantities(lines: Iterable[tuple[str, int]]) -> dict[str, int]:
    total: dict[str, int] = {}
    for sku, qty in lines:
        total[sku] = total.get(sku, 0) + qty
    return total


def _same_place(held: SupplierAddress, sent: dict[str, Any]) -> bool:
    def key(country: object, postcode: object) -> tuple[str, str]:
        return str(country or "").strip().upper(), "".join(ch for ch in str(postcode or "") if ch.isalnum()).upper()

    return key(held.country_code, held.postcode) == key(sent.get("country_code"), sent.get("postcode"))


def settle_manual(session: Session, taken: Claim, reference: str) -> Outcome:
    """An operator placed the order by hand: it is never created again, whatever its state said."""
    session.execute(update(Order).where(Order.id == taken.order_id).values(outcome_unknown=False))
    transition(session, taken.order_id, Status.FORWARDING, Status.SENT,
               reason=f"already placed by hand at the supplier (reference {reference}): not created again")
    return Outcome("skipped", f"sent manually as {reference}")


def refused(session: Session, taken: Claim, refusals: list[SupplierRefusal], *, reason: str) -> Outcome:
    session.execute(update(Order).where(Order.id == taken.order_id).values(outcome_unknown=False))
    if not refusals:
        message = "the supplier created nothing and gave no reason"
        refusals = [SupplierRefusal(code=codes.SUPPLIER_REJECTED, message=message)]
    open_refusals(session, taken.order_id, refusals)
    transition(session, taken.order_id, Status.FORWARDING, Status.PENDING_REVIEW,
               reason=f"{reason}: {', '.join(sorted({r.code for r in refusals}))}")
    return Outcome("pending_review", ",".join(r.code for r in refusals))


def count_refused(refusals: list[SupplierRefusal]) -> None:
    """Metrics for an order the supplier (or the local wallet check) sent to pending review."""
    metrics.ORDERS_SETTLED.labels(Status.PENDING_REVIEW.value).inc()
    if not refusals:
        refusals = [SupplierRefusal(code=codes.SUPPLIER_REJECTED, message="")]
    for code in {r.code for r in refusals}:
        metrics.ORDERS_FLAGGED.labels(code).inc()


def open_refusals(session: Session, order_id: int, refusals: list[SupplierRefusal]) -> None:
    for r in refusals:
        # the SKUs go in the message, which has room; the field names where to look
        field = r.field or ("lines" if r.skus else "")
        skus = f" (SKUs: {', '.join(r.skus)})" if r.skus else ""
        code = f" [{r.supplier_code}]" if r.supplier_code else ""
        message = f"{r.message}{skus}{code}".replace("\x00", "")
        issue_store.open_once(session, order_id, r.code, field[:200], message)
