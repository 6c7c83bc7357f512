"""Forward one ready order to the supplier, exactly once.

1. Claim: a conditional update moves the order ``ready -> forwarding`` (or takes over an attempt
   that went silent), bumping ``forward_attempts`` so two takers cannot both win. The claim also
   sets ``outcome_unknown``: from here until the answer is committed, nobody knows. In the same
   transaction the request is built and written down (``supplier_requests``: its lines under its
   reference), and the fingerprint of what is sent is kept for ingest to compare channel changes with.
2. If an earlier attempt's outcome is unknown, look the order up by its reference first.
3. Reserve the wallet locally (reading the balance, when the cache is stale, between transactions).
4. Send, outside any transaction. 5. Record the answer in one transaction (``sync.settle``).

No supplier call is ever made while a database transaction is open.

A crash anywhere between 4 and 5 leaves the order ``forwarding`` with ``outcome_unknown``; the
reconciler re-enqueues it, step 2 finds what the supplier stored, and the supplier's ER008 on the
same reference is the last guard. What a look-up or ER008 finds is checked against the recorded
request before it is taken as ours (``sync.settle``).

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
from connectors.errors import ConnectorError, NeedsReview, OutcomeUnknown, RetryLater
from connectors.records import SupplierOrderRequest, SupplierRefusal, SupplierSubmission
from sync import issues as issue_store
from sync import supplier_accounts, wallet
from sync.db import Database
from sync.messenger_models import self_delivered
from sync.models import Channel, Order, OrderEvent, SupplierRequest, utcnow
from sync.records import order_fingerprint, to_channel_order
from sync.request import Placed, build_request, placed, remaining_lines, submission_reference, supplier_skus
from sync.settle import Claim, Outcome, count_refused, refused, settle, settle_manual
from sync.states import Status, transition
from sync.upsert import upsert

log = structlog.get_logger(__name__)

#: creates refused outright (FailLoudly: an HTML 4xx, an answer that says nothing definite) before
#: the order waits for an operator instead of spending a create on every round
MAX_CREATE_FAILURES = 3

__all__ = ["MAX_CREATE_FAILURES", "Claim", "Outcome", "claim", "forward"]


@dataclass(frozen=True)
class _Work:
    taken: Claim
    request: SupplierOrderRequest
    supplier: SupplierConnector
    estimate: Decimal  # the wallet's share for it: the catalogue's cost of its lines


@dataclass(frozen=True)
class _Claimed:
    """A claim with what it read, held for the rest of the transaction (the session's identity map
    keeps objects only while something refers to them)."""

    taken: Claim
    order: Order
    account: Channel
    made: list[Placed]


def claim(session: Session, order_id: int, *, stale_after: timedelta) -> Claim | None:
    claimed = _claim(session, order_id, stale_after)
    return claimed.taken if claimed is not None else None


def _claim(session: Session, order_id: int, stale_after: timedelta) -> _Claimed | None:
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
        .where(Order.id == order_id, Order.status == row.status, Order.forward_attempts == row.forward_attempts,
               Order.id.not_in(self_delivered()))  # the seller ships these: never to the supplier
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
    made = placed(session, order_id)  # read once the order is ours: nobody adds to it meanwhile
    order = session.get_one(Order, order_id)
    account = supplier_accounts.for_loaded_order(session, order, made[0].supplier_id if made else None)
    reference = submission_reference(session, order, made)
    return _Claimed(Claim(order_id, account.id, reference, lookup_first=taking_over or row.outcome_unknown,
                          attempt=row.forward_attempts + 1), order, account, made)


def forward(db: Database, order_id: int, supplier_for: Callable[[Channel], SupplierConnector], *,
            stale_after: timedelta = timedelta(minutes=2), wallet_ttl: timedelta = timedelta(minutes=5),
            hook: Callable[[str], None] | None = None) -> Outcome:
    """``hook`` is called at named points ("answered") so tests can kill the step there."""
    work = _take(db, order_id, supplier_for, stale_after)
    if isinstance(work, Outcome):
        return work
    taken = work.taken
    try:
        if taken.lookup_first:
            found = work.supplier.find_by_reference(taken.reference)
            if found is not None and found.orders:
                return settle(db, taken, found, source="lookup", held=_held(work.supplier, found))
        estimate = _reserve(db, work, wallet_ttl)
        if estimate is None:
            return _wallet_short(db, work)
        submission = _send(db, work, estimate, hook)
        if not submission.orders:
            return _refused_by_supplier(db, taken, submission, estimate)
        if submission.already_existed:
            return settle(db, taken, submission, source="duplicate_reference", held=_held(work.supplier, submission))
        return settle(db, taken, submission, source="created")
    except OutcomeUnknown as exc:
        log.warning("forward.outcome_unknown", order_id=order_id, error=str(exc))
        _release(db, taken, stale_after)
        raise  # the order stays forwarding + outcome_unknown: the retry looks up first
    except ConnectorError as exc:
        if _failed(db, taken, exc, stale_after):
            raise
        return Outcome("pending_review", codes.SUPPLIER_REJECTED)


def _take(db: Database, order_id: int, supplier_for: Callable[[Channel], SupplierConnector],
          stale_after: timedelta) -> _Work | Outcome:
    """Step 1: claim the order, build its request and write it down, in one transaction; the
    wallet's estimate too (step 3 reserves it on its own: see ``_reserve``)."""
    with db.session() as session:
        claimed = _claim(session, order_id, stale_after)
        if claimed is None:
            return Outcome("skipped", "not ready, or another worker has it")
        taken, order = claimed.taken, claimed.order
        manual = next((row.internal_reference for row in claimed.made if row.source == "manual"), None)
        if manual is not None:
            return settle_manual(session, taken, manual)
        mapping = supplier_skus(session, [ln.sku for ln in order.lines if ln.sku])
        lines = remaining_lines(session, order, mapping=mapping, made=claimed.made)
        request = build_request(session, order, taken.reference, lines, mapping=mapping)
        _write_down(session, order, request)
        estimate = wallet.estimate(session, request)
        supplier = supplier_for(claimed.account)
    return _Work(taken, request, supplier, estimate)


def _write_down(session: Session, order: Order, request: SupplierOrderRequest) -> None:
    """Before the send: which lines go under which reference, and what the order looked like."""
    sent = order_fingerprint(to_channel_order(order))
    order.sent_fingerprint = sent
    upsert(session, SupplierRequest.__table__, [{  # type: ignore[arg-type]
        "order_id": order.id, "internal_reference": request.internal_reference,
        "lines": [[ln.supplier_sku, ln.quantity] for ln in request.lines],
        "address": request.address.model_dump(mode="json"), "fingerprint": sent, "created_at": utcnow(),
    }], keys=["internal_reference"], update=["lines", "address", "fingerprint"])


def _held(supplier: SupplierConnector, found: SupplierSubmission) -> dict[str, SupplierOrderRequest | None]:
    """What each order found by reference holds (BigBuy's look-up and ER008 name only an id), read
    outside any transaction for ``settle`` to compare with what was sent."""
    return {o.supplier_order_id: supplier.held_order(o.supplier_order_id) for o in found.orders}


def _reserve(db: Database, work: _Work, ttl: timedelta) -> Decimal | None:
    """Step 3: the estimate reserved, ``Decimal(0)`` when only the supplier can tell, None when short.
    An earlier attempt still unaccounted for has looked up first."""
    taken, estimate = work.taken, work.estimate
    with db.statement() as conn:  # the account's row, which every forward of it changes
        reserved = wallet.reserve_if_fresh(conn, taken.supplier_id, estimate, ttl)
    if reserved is None:
        balance = work.supplier.wallet_balance()  # between transactions: no lock waits on the supplier
        with db.session() as session:
            wallet.store(session, taken.supplier_id, balance)
            reserved = wallet.reserve(session, taken.supplier_id, estimate)
    if reserved:
        return estimate
    if taken.lookup_first:
        # An earlier attempt may have been stored although the lookup said nothing (BigBuy can
        # answer an empty 200): only the create's duplicate-reference answer can tell, so ask it
        # rather than park an order that may already be at the supplier.
        return Decimal("0")
    return None


def _wallet_short(db: Database, work: _Work) -> Outcome:
    with db.session() as session:
        message = f"the supplier wallet does not cover about {work.estimate} for this order"
        short = [SupplierRefusal(code=codes.INSUFFICIENT_WALLET, message=message)]
        outcome = refused(session, work.taken, short, reason="wallet too low (checked locally)")
    count_refused(short)
    return outcome


def _send(db: Database, work: _Work, estimate: Decimal, hook: Callable[[str], None] | None) -> SupplierSubmission:
    """Step 4: the create, outside any transaction; the reservation goes back if it raises."""
    try:
        submission = work.supplier.create(work.request)
    except BaseException:
        with db.session() as session:
            wallet.release(session, work.taken.supplier_id, estimate)
        raise
    if hook:
        hook("answered")
    return submission


def _refused_by_supplier(db: Database, taken: Claim, submission: SupplierSubmission, estimate: Decimal) -> Outcome:
    with db.session() as session:
        wallet.release(session, taken.supplier_id, estimate)
        if any(r.code == codes.INSUFFICIENT_WALLET for r in submission.refusals):
            wallet.mark_empty(session, taken.supplier_id)
        outcome = refused(session, taken, submission.refusals, reason="refused by the supplier")
    count_refused(submission.refusals)
    return outcome


def _failed(db: Database, taken: Claim, exc: ConnectorError, stale_after: timedelta) -> bool:
    """A supplier call failed. Returns whether the error goes on to the caller (to be retried)."""
    order_id = taken.order_id
    if taken.lookup_first:
        # An earlier attempt is still unaccounted for (a look-up that found nothing is no proof:
        # BigBuy can answer an empty 200). Going back to ready with the flag cleared would let
        # the next attempt create without looking first; so stay forwarding + outcome_unknown,
        # and the retry takes over and looks up again.
        log.warning("forward.still_unknown", order_id=order_id, error=str(exc))
        _release(db, taken, stale_after)
        return True
    if isinstance(exc, NeedsReview):
        with db.session() as session:
            refusal = SupplierRefusal(code=exc.code, message=str(exc), field=exc.field)
            refused(session, taken, [refusal], reason="refused by the supplier")
        count_refused([refusal])
        return False
    if isinstance(exc, RetryLater):
        with db.session() as session:
            session.execute(update(Order).where(Order.id == order_id).values(outcome_unknown=False))
            transition(session, order_id, Status.FORWARDING, Status.READY, reason=f"will retry: {exc}")
        return True
    log.error("forward.failed", order_id=order_id, error=str(exc))
    return _count_failure(db, taken, exc)


def _count_failure(db: Database, taken: Claim, exc: ConnectorError) -> bool:
    """A create the supplier refused outright: back to ready a few times, then to an operator."""
    with db.session() as session:
        failures = session.scalar(select(Order.create_failures).where(Order.id == taken.order_id)) or 0
        session.execute(update(Order).where(Order.id == taken.order_id)
                        .values(outcome_unknown=False, create_failures=failures + 1))
        if failures + 1 < MAX_CREATE_FAILURES:
            transition(session, taken.order_id, Status.FORWARDING, Status.READY,
                       reason=f"supplier call failed: {exc}")
            return True
        message = f"the supplier refused the order {failures + 1} times: {exc}"
        rejected = [SupplierRefusal(code=codes.SUPPLIER_REJECTED, message=message[:2000])]
        refused(session, taken, rejected, reason="refused by the supplier every time")
    count_refused(rejected)
    return False


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
