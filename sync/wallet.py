"""The supplier wallet, cached and reserved locally so a balance is not read per order.

A reservation is one conditional UPDATE of the cached balance ("take this much where at least
this much is left"), so workers on many machines cannot spend the same money twice in their
heads. Every forward of an account goes through its one row: the forward runs the statement on
its own, committed by the server as it runs (``Database.statement``), so the row's lock is never
held while a worker thread waits for its interpreter or its CPU. The result is rounded to the cent
and the comparison allows half a cent, so SQLite (which keeps NUMERIC as a float) never turns
1.00 - 0.90 into 0.0999... and then refuses 0.10. The supplier's own answer (BigBuy ER005) stays
the final word. Reading the balance from the supplier is the caller's job, outside any
transaction (``needs_reading``, then ``store``).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import Connection, Row, func, select, update
from sqlalchemy.orm import Session

from connectors.records import SupplierOrderRequest
from sync.models import CatalogueItem, Channel, utcnow
from sync.supplier_accounts import NoSupplier

CENT = Decimal("0.01")
#: reservations tried while other workers keep changing the balance between two looks
_TRIES = 50


__all__ = ["NoSupplier", "estimate", "forget", "mark_empty", "needs_reading", "release", "reserve", "store",
           "supplier_row"]


def supplier_row(session: Session) -> Channel:
    """The first supplier account: what every account of one supplier shares (its catalogue).
    Anything an account holds for orders goes through ``sync.supplier_accounts``."""
    row = session.scalars(
        select(Channel).where(Channel.role == "supplier", Channel.enabled.is_(True)).order_by(Channel.id)
    ).first()
    if row is None:
        raise NoSupplier("no supplier account is configured (orderhub channels add --role supplier ...)")
    return row


def estimate(session: Session, request: SupplierOrderRequest) -> Decimal:
    """A lower bound of what the order costs: the catalogue's cost of its lines."""
    skus = [ln.supplier_sku for ln in request.lines]
    costs = dict(session.execute(
        select(CatalogueItem.supplier_sku, CatalogueItem.cost).where(CatalogueItem.supplier_sku.in_(skus))
    ).all())
    total = sum((_money(costs.get(ln.supplier_sku)) * ln.quantity for ln in request.lines), Decimal("0"))
    return total.quantize(CENT)


def needs_reading(session: Session | Connection, supplier_id: int, ttl: timedelta) -> bool:
    return _stale(_read(session, supplier_id), ttl)


def _read(conn: Session | Connection, supplier_id: int) -> Row[Decimal | None, datetime | None]:
    return conn.execute(
        select(Channel.wallet_balance, Channel.wallet_read_at).where(Channel.id == supplier_id)
    ).one()


def _stale(row: Row[Decimal | None, datetime | None], ttl: timedelta) -> bool:
    return row.wallet_balance is None or row.wallet_read_at is None or row.wallet_read_at < utcnow() - ttl


def store(session: Session, supplier_id: int, balance: Decimal) -> None:
    """The balance as just read from the supplier."""
    session.execute(
        update(Channel).where(Channel.id == supplier_id)
        .values(wallet_balance=_money(balance), wallet_read_at=utcnow())
        .execution_options(synchronize_session=False)
    )


def reserve_if_fresh(conn: Session | Connection, supplier_id: int, amount: Decimal,
                     ttl: timedelta) -> bool | None:
    """``reserve`` from a balance read within ``ttl``; None when it must be read first.

    An UPDATE that matched nothing may have seen the row before another worker stored a fresh
    balance; so it is short only when a read after it finds a fresh balance that does not cover."""
    amount = _money(amount)
    for _ in range(_TRIES):
        if _take(conn, supplier_id, -amount, fresh_since=utcnow() - ttl):
            return True
        row = _read(conn, supplier_id)
        if _stale(row, ttl):
            return None
        if _money(row.wallet_balance) < amount:
            return False
    raise RuntimeError("the wallet balance kept changing under this reservation")


def reserve(conn: Session | Connection, supplier_id: int, amount: Decimal) -> bool:
    """Take ``amount`` from the cached balance; False when it does not cover it (or was never read)."""
    return _take(conn, supplier_id, -_money(amount), fresh_since=None)


def release(conn: Session | Connection, supplier_id: int, amount: Decimal) -> None:
    if amount:
        _take(conn, supplier_id, _money(amount), fresh_since=None)


def _take(conn: Session | Connection, supplier_id: int, delta: Decimal, *, fresh_since: datetime | None) -> bool:
    where = [Channel.id == supplier_id, Channel.wallet_balance.is_not(None)]
    if delta < 0:  # a reservation, never below zero; a release always goes back
        where.append(Channel.wallet_balance >= -delta - CENT / 2)
    if fresh_since is not None:
        where.append(Channel.wallet_read_at >= fresh_since)
    moved = conn.execute(
        update(Channel).where(*where)
        .values(wallet_balance=func.round(Channel.wallet_balance + delta, 2))
        .execution_options(synchronize_session=False)
    ).rowcount  # type: ignore[attr-defined]
    return bool(moved)


def _money(value: object) -> Decimal:
    return Decimal(str(value or 0)).quantize(CENT)


def mark_empty(session: Session, supplier_id: int) -> None:
    """The supplier said the wallet is short: trust that until the cache expires."""
    session.execute(
        update(Channel).where(Channel.id == supplier_id)
        .values(wallet_balance=Decimal("0"), wallet_read_at=utcnow())
        .execution_options(synchronize_session=False)
    )


def forget(session: Session, supplier_id: int) -> None:
    """An operator topped the wallet up: read it again before the next order."""
    session.execute(update(Channel).where(Channel.id == supplier_id).values(wallet_read_at=None))
