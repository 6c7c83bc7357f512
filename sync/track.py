"""Status and tracking: polled from the supplier in batches, pushed to the channel once per
shipment."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from connectors import codes
from connectors.base import ChannelConnector, SupplierConnector
from connectors.errors import AuthenticationFailed, ConnectorError, FailLoudly, RetryLater
from connectors.records import OrderLine as LineRecord
from connectors.records import Shipment as ShipmentRecord
from connectors.records import Tracking
from sync import metrics
from sync.db import Database
from sync.issues import open_once
from sync.models import Channel, Order, Shipment, SupplierOrderRow, utcnow
from sync.states import Status, note, transition_many
from sync.upsert import insert_ignore

#: failed look-ups of a manual reference before an operator is told and the look-ups stop
MAX_LOOKUPS = 3
#: the issue an operator sees on an order whose manual reference cannot be resolved
UNKNOWN_REFERENCE = codes.UNKNOWN_REFERENCE
#: the issue an operator sees when the channel refuses a tracking number for good
TRACKING_NOT_PUSHED = codes.TRACKING_NOT_PUSHED
#: how long after its first tracking number a supplier order is still asked for more, and how often
FOLLOW_UP = timedelta(days=14)
REPOLL = timedelta(hours=6)


@dataclass
class SweepResult:
    calls: int = 0
    asked: int = 0
    tracked: int = 0
    shipped_orders: int = 0
    to_push: list[int] = field(default_factory=list)


def untracked(session: Session, supplier_id: int, limit: int) -> list[SupplierOrderRow]:
    """Supplier orders still without tracking, the longest unasked first."""
    return list(session.scalars(
        select(SupplierOrderRow)
        .join(Order, Order.id == SupplierOrderRow.order_id)
        .where(SupplierOrderRow.supplier_id == supplier_id, SupplierOrderRow.tracked_at.is_(None),
               # pending_review: a partial create, whose created part ships all the same
               Order.status.in_([Status.SENT.value, Status.SHIPPED.value, Status.PENDING_REVIEW.value]),
               or_(SupplierOrderRow.supplier_order_id.is_not(None), SupplierOrderRow.lookup_failures < MAX_LOOKUPS))
        .order_by(SupplierOrderRow.polled_at.is_not(None), SupplierOrderRow.polled_at, SupplierOrderRow.id)
        .limit(limit)
    ))


def followed(session: Session, supplier_id: int, limit: int) -> list[SupplierOrderRow]:
    """Supplier orders tracked recently, asked again now and then: a second parcel or a corrected
    number comes after the first one."""
    now = utcnow()
    return list(session.scalars(
        select(SupplierOrderRow)
        .join(Order, Order.id == SupplierOrderRow.order_id)
        .where(SupplierOrderRow.supplier_id == supplier_id, SupplierOrderRow.supplier_order_id.is_not(None),
               SupplierOrderRow.tracked_at >= now - FOLLOW_UP, SupplierOrderRow.polled_at < now - REPOLL,
               Order.status.in_([Status.SENT.value, Status.SHIPPED.value]))
        .order_by(SupplierOrderRow.polled_at, SupplierOrderRow.id)
        .limit(limit)
    )) if limit > 0 else []


def sweep(db: Database, supplier_for: Callable[[Channel], SupplierConnector], *,
          max_orders: int = 100_000) -> SweepResult:
    """One pass over every untracked supplier order of every supplier account, each account asked
    about its own orders, ``tracking_batch_size`` orders per call."""
    from sync.supplier_accounts import NoSupplier, accounts

    result = SweepResult()
    with db.session() as session:
        ids = [a.id for a in accounts(session, enabled_only=True)]
    if not ids:
        raise NoSupplier("no supplier account is configured (orderhub channels add --role supplier ...)")
    failed: ConnectorError | None = None
    for supplier_id in ids:
        try:
            _sweep_account(db, supplier_id, supplier_for, max_orders, result)
        except ConnectorError as exc:  # one account that does not answer never stops the others
            failed = failed or exc
    if failed is not None:
        raise failed
    return result


def _sweep_account(db: Database, supplier_id: int, supplier_for: Callable[[Channel], SupplierConnector],
                   max_orders: int, result: SweepResult) -> None:
    with db.session() as session:
        row = session.get(Channel, supplier_id)
        assert row is not None
        supplier = supplier_for(row)
        rows = untracked(session, supplier_id, max_orders)
        rows += followed(session, supplier_id, max_orders - len(rows))
        pending = [(r.id, r.supplier_order_id, r.internal_reference) for r in rows]
    _resolve_manual(db, supplier, pending, result)
    known = [(rid, sid) for rid, sid, _ in pending if sid]
    size = supplier.tracking_batch_size
    for i in range(0, len(known), size):
        batch = known[i : i + size]
        trackings = supplier.tracking([sid for _, sid in batch])
        result.calls += 1
        result.asked += len(batch)
        shipped_before = result.shipped_orders
        with db.session() as session:
            _store(session, supplier_id, [rid for rid, _ in batch], trackings, result)
        if result.shipped_orders > shipped_before:  # counted once the batch is committed
            metrics.ORDERS_SETTLED.labels(Status.SHIPPED.value).inc(result.shipped_orders - shipped_before)


def _resolve_manual(db: Database, supplier: SupplierConnector, pending: list[tuple[int, str | None, str]],
                    result: SweepResult) -> None:
    """Orders marked sent by hand carry only a reference: ask the supplier for their id.

    One order's problem never stops the sweep: a reference the supplier does not know (or answers
    with a refusal) counts a failed look-up, and after ``MAX_LOOKUPS`` of them the order gets an
    issue for an operator and is not looked up again; a reference that names a supplier order
    another order already holds is reported at once. A transient failure ends the look-ups of
    this sweep only: tracking of known orders goes on.
    """
    for n, (rid, sid, ref) in enumerate(pending):
        if sid:
            continue
        try:
            found = supplier.find_by_reference(ref)
        except AuthenticationFailed:
            raise  # the account's problem, not this order's
        except RetryLater:
            return  # the supplier is busy or away: the rest are looked up next sweep
        except ConnectorError as exc:
            result.calls += 1
            _lookup_failed(db, rid, ref, f"the supplier refused the look-up: {exc}")
            continue
        result.calls += 1
        if not (found and found.orders):
            _lookup_failed(db, rid, ref, "the supplier knows no order with this reference")
            continue
        if _record_found(db, rid, ref, found.orders[0].supplier_order_id, found.orders[0].warehouse):
            pending[n] = (rid, found.orders[0].supplier_order_id, ref)


def _record_found(db: Database, rid: int, ref: str, supplier_order_id: str, warehouse: str | None) -> bool:
    with db.session() as session:
        row = session.get(SupplierOrderRow, rid)
        assert row is not None
        holder = session.scalar(select(SupplierOrderRow.order_id).where(
            SupplierOrderRow.supplier_id == row.supplier_id, SupplierOrderRow.supplier_order_id == supplier_order_id,
            SupplierOrderRow.id != rid))
        if holder is None:
            row.supplier_order_id, row.warehouse = supplier_order_id, warehouse
            return True
        row.lookup_failures = MAX_LOOKUPS  # no further look-ups: an operator decides
        open_once(session, row.order_id, UNKNOWN_REFERENCE, "supplier_reference",
                  f"The reference {ref!r} names supplier order {supplier_order_id}, which order {holder} holds "
                  "already: check the reference.")
    return False


def _lookup_failed(db: Database, rid: int, ref: str, why: str) -> None:
    with db.session() as session:
        failures = session.scalar(
            update(SupplierOrderRow).where(SupplierOrderRow.id == rid)
            .values(lookup_failures=SupplierOrderRow.lookup_failures + 1, polled_at=utcnow())
            .returning(SupplierOrderRow.lookup_failures))
        order_id = session.scalar(select(SupplierOrderRow.order_id).where(SupplierOrderRow.id == rid))
        if failures is not None and order_id is not None and failures >= MAX_LOOKUPS:
            open_once(session, order_id, UNKNOWN_REFERENCE, "supplier_reference",
                      f"The reference {ref!r} was looked up {failures} times: {why}. "
                      "Check it and mark the order sent again with the right one.")


def _store(session: Session, supplier_id: int, row_ids: list[int], trackings: list[Tracking],
           result: SweepResult) -> None:
    now = utcnow()
    session.execute(update(SupplierOrderRow).where(SupplierOrderRow.id.in_(row_ids)).values(polled_at=now))
    rows = {r.supplier_order_id: r for r in session.scalars(
        select(SupplierOrderRow).where(SupplierOrderRow.id.in_(row_ids)))}
    new_shipments = []
    touched_orders: set[int] = set()
    for t in trackings:
        row = rows.get(t.supplier_order_id)
        if row is None or not t.number:
            continue
        new_shipments.append({
            "supplier_order_row_id": row.id, "order_id": row.order_id, "tracking_number": t.number,
            "carrier": t.carrier, "url": t.url, "status": t.status, "shipped_at": t.at, "created_at": now,
        })
        row.tracked_at = row.tracked_at or now
        row.status = t.status or "shipped"
        touched_orders.add(row.order_id)
        result.tracked += 1
    insert_ignore(session, Shipment.__table__, new_shipments,  # type: ignore[arg-type]
                  keys=["supplier_order_row_id", "tracking_number"])
    session.flush()
    # an order is shipped once every one of its supplier orders has tracking
    waiting = set(session.scalars(select(SupplierOrderRow.order_id).distinct().where(
        SupplierOrderRow.order_id.in_(touched_orders), SupplierOrderRow.tracked_at.is_(None))))
    shipped = transition_many(session, touched_orders - waiting, Status.SENT, Status.SHIPPED,
                              reason="tracking received")
    result.shipped_orders += len(shipped)
    result.to_push.extend(session.scalars(
        select(Shipment.id).where(Shipment.order_id.in_(touched_orders), Shipment.pushed_at.is_(None))))


def claim_push(session: Session, shipment_id: int, stale_after: timedelta) -> bool:
    now = utcnow()
    return bool(session.execute(
        update(Shipment)
        .where(Shipment.id == shipment_id, Shipment.pushed_at.is_(None),
               or_(Shipment.push_claimed_at.is_(None), Shipment.push_claimed_at < now - stale_after))
        .values(push_claimed_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount)  # type: ignore[attr-defined]


def push(db: Database, shipment_id: int, channel_for: Callable[[Channel], ChannelConnector], *,
         stale_after: timedelta = timedelta(minutes=5)) -> bool:
    """Report one shipment to its channel. Returns False when it was already pushed or taken."""
    with db.session() as session:
        if not claim_push(session, shipment_id, stale_after):
            return False
    with db.session() as session:
        shipment = session.get(Shipment, shipment_id)
        assert shipment is not None
        row = session.get(SupplierOrderRow, shipment.supplier_order_row_id)
        order = session.get(Order, shipment.order_id)
        assert row is not None and order is not None
        parts = session.scalar(select(func.count()).select_from(SupplierOrderRow)
                               .where(SupplierOrderRow.order_id == order.id))
        # the whole order only when one supplier order is all of it (not a partial create)
        lines = [] if parts == 1 and order.status != Status.PENDING_REVIEW else [
            LineRecord(sku=ln.sku, quantity=ln.quantity, unit_price=ln.unit_price, title=ln.title,
                       external_id=ln.external_id)
            for ln in order.lines if ln.sku in set(row.skus or [])
        ]
        record = ShipmentRecord(
            order_external_id=order.external_id,
            tracking=Tracking(supplier_order_id=row.supplier_order_id or "", number=shipment.tracking_number,
                              carrier=shipment.carrier, url=shipment.url, status=shipment.status,
                              at=shipment.shipped_at),
            lines=lines,
        )
        channel = order.channel
        connector = channel_for(channel)
    try:
        connector.push_tracking(record)
    except Exception as exc:
        with db.session() as session:
            session.execute(update(Shipment).where(Shipment.id == shipment_id)
                            .values(push_claimed_at=None, push_error=str(exc)[:2000]))
            if isinstance(exc, FailLoudly):  # retrying will not help: an operator must act
                open_once(session, order.id, TRACKING_NOT_PUSHED, "shipments",
                          f"Tracking {record.tracking.number} could not be given to {channel.name}: {exc}"[:2000])
        raise
    with db.session() as session:
        session.execute(update(Shipment).where(Shipment.id == shipment_id).values(pushed_at=utcnow(), push_error=None))
        note(session, order.id, f"tracking {record.tracking.number} pushed to {channel.name}")
    return True
