"""Forward one ready order to the supplier, exactly once.

1. Claim: a conditional update moves the order ``ready -> forwarding`` (or takes over an attempt
   that went silent), bumping ``forward_attempts`` so two takers cannot both win. The claim also
   sets ``outcome_unknown``: from here until the answer is committed, nobody knows.
2. If an earlier attempt's outcome is unknown, look the order up by its reference first.
3. Send, outside any transaction. 4. Record the answer in one transaction.

A crash anywhere between 3 and 4 leaves the order ``forwarding`` with ``outcome_unknown``; the
reconciler re-enqueues it, step 2 finds what the supplier stored, and the supplier's ER008 on the
same reference is the last guard.

Taking over a ``forwarding`` order needs it to be silent for ``stale_after``: ``outcome_unknown``
alone is no sign that the attempt is over, since every attempt carries it while it runs, and a
second message for the same order (a channel re-read, a redelivery) must not start a second send
beside a live one. An attempt that ends knowing its outcome is unknown (a dropped connection, a 5xx
after the request left) says so by releasing the order: its ``status_changed_at`` is set back by
``stale_after``, so the retry takes over at once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

import structlog
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from connectors import codes
from connectors.base import SupplierConnector
from connectors.errors import ConnectorError, OutcomeUnknown, RetryLater
from connectors.records import SupplierRefusal, SupplierSubmission
from sync import issues as issue_store
from sync import metrics, wallet
from sync.db import Database
from sync.models import Channel, Order, OrderEvent, SupplierOrderRow, utcnow
from sync.request import build_request, remaining_lines, submission_reference
from sync.states import Status, transition
from sync.upsert import insert_ignore

log = structlog.get_logger(__name__)


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


def claim(session: Session, order_id: int, *, stale_after: timedelta) -> Claim | None:
    row = session.execute(
        select(Order.status, Order.forward_attempts, Order.outcome_unknown, Order.status_changed_at)
        .where(Order.id == order_id)
    ).first()
    if row is None:
        return None
    now = utcnow()
    if row.status == Status.READY:
        taking_over = False
    elif row.status == Status.FORWARDING and row.status_changed_at < now - stale_after:
        taking_over = True  # an attempt went silent (a crash), or ended without knowing (released)
    else:
        return None
    taken = session.execute(
        update(Order)
        .where(Order.id == order_id, Order.status == row.status, Order.forward_attempts == row.forward_attempts)
        .values(status=Status.FORWARDING.value, status_changed_at=now, outcome_unknown=True,
                forward_attempts=row.forward_attempts + 1)
        .execution_options(synchronize_session=False)
    ).rowcount  # type: ignore[attr-defined]
    if not taken:
        return None
    if not taking_over:
        issue_store.close_open(session, order_id, sources=[issue_store.SUPPLIER])
        session.add(OrderEvent(order_id=order_id, actor="worker", from_status="ready", to_status="forwarding",
                               reason="sending to the supplier"))
    supplier = wallet.supplier_row(session)
    order = session.get(Order, order_id)
    assert order is not None
    reference = submission_reference(session, order)
    return Claim(order_id, supplier.id, reference, lookup_first=taking_over or row.outcome_unknown,
                 attempt=row.forward_attempts + 1)


def forward(db: Database, order_id: int, supplier_for: Callable[[Channel], SupplierConnector], *,
            stale_after: timedelta = timedelta(minutes=2), wallet_ttl: timedelta = timedelta(minutes=5),
            hook: Callable[[str], None] | None = None) -> Outcome:
    """``hook`` is called at named points ("answered") so tests can kill the step there."""
    with db.session() as session:
        taken = claim(session, order_id, stale_after=stale_after)
        if taken is None:
            return Outcome("skipped", "not ready, or another worker has it")
        order = session.get(Order, order_id)
        assert order is not None
        supplier_row = session.get(Channel, taken.supplier_id)
        assert supplier_row is not None
        request = build_request(session, order, taken.reference, remaining_lines(session, order))
        supplier = supplier_for(supplier_row)

    try:
        if taken.lookup_first:
            found = supplier.find_by_reference(taken.reference)
            if found is not None and found.orders:
                return _record(db, taken, found, source="lookup")
        with db.session() as session:
            estimate = wallet.estimate(session, request)
            short: list[SupplierRefusal] = []
            if not wallet.reserve(session, taken.supplier_id, estimate, supplier, wallet_ttl):
                if taken.lookup_first:
                    # An earlier attempt may have been stored although the lookup said nothing (BigBuy
                    # can answer an empty 200): only the create's duplicate-reference answer can tell,
                    # so ask it rather than park an order that may already be at the supplier.
                    estimate = Decimal("0")
                else:
                    message = f"the supplier wallet does not cover about {estimate} for this order"
                    short = [SupplierRefusal(code=codes.INSUFFICIENT_WALLET, message=message)]
                    outcome = _refused(session, taken, short, reason="wallet too low (checked locally)")
        if short:
            _count_refused(short)
            return outcome
        try:
            submission = supplier.create(request)
        except BaseException:
            with db.session() as session:
                wallet.release(session, taken.supplier_id, estimate)
            raise
        if hook:
            hook("answered")
        if not submission.orders:
            with db.session() as session:
                wallet.release(session, taken.supplier_id, estimate)
                if any(r.code == codes.INSUFFICIENT_WALLET for r in submission.refusals):
                    wallet.mark_empty(session, taken.supplier_id)
                outcome = _refused(session, taken, submission.refusals, reason="refused by the supplier")
            _count_refused(submission.refusals)
            return outcome
        return _record(db, taken, submission, source="duplicate_reference" if submission.already_existed else "created")
    except OutcomeUnknown as exc:
        log.warning("forward.outcome_unknown", order_id=order_id, error=str(exc))
        _release(db, taken, stale_after)
        raise  # the order stays forwarding + outcome_unknown: the retry looks up first
    except ConnectorError as exc:
        if taken.lookup_first:
            # An earlier attempt is still unaccounted for (a look-up that found nothing is no proof:
            # BigBuy can answer an empty 200). Going back to ready with the flag cleared would let
            # the next attempt create without looking first; so stay forwarding + outcome_unknown,
            # and the retry takes over and looks up again.
            log.warning("forward.still_unknown", order_id=order_id, error=str(exc))
            _release(db, taken, stale_after)
            raise
        if isinstance(exc, RetryLater):
            reason = f"will retry: {exc}"
        else:
            log.error("forward.failed", order_id=order_id, error=str(exc))
            reason = f"supplier call failed: {exc}"
        with db.session() as session:
            session.execute(update(Order).where(Order.id == order_id).values(outcome_unknown=False))
            transition(session, order_id, Status.FORWARDING, Status.READY, reason=reason)
        raise


def _release(db: Database, taken: Claim, stale_after: timedelta) -> None:
    """This attempt is over and its outcome unknown: let the next one take over without waiting
    for it to look silent. Only while the order is still this attempt's."""
    try:
        with db.session() as session:
            session.execute(
                update(Order)
                .where(Order.id == taken.order_id, Order.status == Status.FORWARDING.value,
                       Order.forward_attempts == taken.attempt)
                .values(status_changed_at=utcnow() - stale_after - timedelta(seconds=1), outcome_unknown=True)
                .execution_options(synchronize_session=False)
            )
    except Exception as exc:  # the database is away: the attempt simply looks silent later
        log.warning("forward.release_failed", order_id=taken.order_id, error=repr(exc))


def _record(db: Database, taken: Claim, submission: SupplierSubmission, *, source: str) -> Outcome:
    with db.session() as session:
        now = utcnow()
        insert_ignore(session, SupplierOrderRow.__table__, [  # type: ignore[arg-type]
            {"order_id": taken.order_id, "supplier_id": taken.supplier_id,
             "supplier_order_id": o.supplier_order_id, "internal_reference": taken.reference,
             "warehouse": o.warehouse, "skus": o.skus, "total": o.total, "status": "created",
             "source": source, "created_at": now}
            for o in submission.orders
        ], keys=["supplier_id", "supplier_order_id"])
        order = session.get(Order, taken.order_id)
        assert order is not None
        ids = ", ".join(o.supplier_order_id for o in submission.orders)
        if submission.refusals:  # a partial create: what was made stays made, the rest waits
            order.outcome_unknown = False
            _open_refusals(session, taken.order_id, submission.refusals)
            moved = transition(session, taken.order_id, Status.FORWARDING, Status.PENDING_REVIEW,
                               reason=f"partly created at the supplier ({ids}); the rest was refused")
            outcome = Outcome("pending_review", "partial")
        else:
            order.outcome_unknown = False
            order.sent_fingerprint = order.content_fingerprint
            how = {"created": "created", "lookup": "found by reference",
                   "duplicate_reference": "already existed"}[source]
            moved = transition(session, taken.order_id, Status.FORWARDING, Status.SENT,
                               reason=f"supplier order {ids} ({how}, reference {taken.reference})")
            outcome = Outcome("sent", ids)
        waited = (now - order.created_at).total_seconds()
    # counted once committed, and only by the attempt that moved the order
    if moved and outcome.result == "sent":
        metrics.ORDERS_SETTLED.labels(outcome.result).inc()
        metrics.ORDERS_FORWARDED.labels(source).inc()
        metrics.INGEST_TO_SENT.observe(max(0.0, waited))
    elif moved:
        _count_refused(submission.refusals)
    return outcome


def _refused(session: Session, taken: Claim, refusals: list[SupplierRefusal], *, reason: str) -> Outcome:
    session.execute(update(Order).where(Order.id == taken.order_id).values(outcome_unknown=False))
    if not refusals:
        message = "the supplier created nothing and gave no reason"
        refusals = [SupplierRefusal(code=codes.SUPPLIER_REJECTED, message=message)]
    _open_refusals(session, taken.order_id, refusals)
    transition(session, taken.order_id, Status.FORWARDING, Status.PENDING_REVIEW,
               reason=f"{reason}: {', '.join(sorted({r.code for r in refusals}))}")
    return Outcome("pending_review", ",".join(r.code for r in refusals))


def _count_refused(refusals: list[SupplierRefusal]) -> None:
    """Metrics for an order the supplier (or the local wallet check) sent to pending review."""
    metrics.ORDERS_SETTLED.labels(Status.PENDING_REVIEW.value).inc()
    if not refusals:
        refusals = [SupplierRefusal(code=codes.SUPPLIER_REJECTED, message="")]
    for code in {r.code for r in refusals}:
        metrics.ORDERS_FLAGGED.labels(code).inc()


def _open_refusals(session: Session, order_id: int, refusals: list[SupplierRefusal]) -> None:
    for r in refusals:
        # the SKUs go in the message, which has room; the field names where to look
        field = r.field or ("lines" if r.skus else "")
        skus = f" (SKUs: {', '.join(r.skus)})" if r.skus else ""
        code = f" [{r.supplier_code}]" if r.supplier_code else ""
        message = f"{r.message}{skus}{code}".replace("\x00", "")
        issue_store.open_once(session, order_id, r.code, field[:200], message)


