"""The supplier wallet, cached and reserved locally so a balance is not read per order.

The reservation is a compare-and-set of the cached balance: the new balance is computed in
``Decimal`` and written only where the balance is still the one read, so workers on many machines
cannot spend the same money twice in their heads, and SQLite (which keeps NUMERIC as a float) never
turns 1.00 - 0.90 into 0.0999... and then refuses 0.10. The supplier's own answer (BigBuy ER005)
stays the final word. Reading the balance from the supplier is the caller's job, outside any
transaction (``needs_reading``, then ``store``).
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from connectors.records import SupplierOrderRequest
from sync.models import CatalogueItem, Channel, utcnow
from sync.supplier_accounts import NoSupplier

CENT = Decimal("0.01")
#: how many times a compare-and-set is tried against other workers' reservations
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


def needs_reading(session: Session, supplier_id: int, ttl: timedelta) -> bool:
    row = session.execute(
        select(Channel.wallet_balance, Channel.wallet_read_at).where(Channel.id == supplier_id)
    ).one()
    return row.wallet_balance is None or row.wallet_read_at is None or row.wallet_read_at < utcnow() - ttl


def store(session: Session, supplier_id: int, balance: Decimal) -> None:
    """The balance as just read from the supplier."""
    session.execute(
        update(Channel).where(Channel.id == supplier_id)
        .values(wallet_balance=_money(balance), wallet_read_at=utcnow())
        .execution_options(synchronize_session=False)
    )


def reserve_if_fresh(session: Session, supplier_id: int, amount: Decimal, ttl: timedelta) -> bool | None:
    """``reserve`` from a balance read within ``ttl``; None when it must be read first."""
    if needs_reading(session, supplier_id, ttl):
        return None
    return reserve(session, supplier_id, amount)


def reserve(session: Session, supplier_id: int, amount: Decimal) -> bool:
    """Take ``amount`` from the cached balance; False when it does not cover it (or was never read)."""
    return _adjust(session, supplier_id, -_money(amount), floor=Decimal("0"))


def release(session: Session, supplier_id: int, amount: Decimal) -> None:
    if amount:
        _adjust(session, supplier_id, _money(amount), floor=None)


def _adjust(session: Session, supplier_id: int, delta: Decimal, *, floor: Decimal | None) -> bool:
    for _ in range(_TRIES):
        current = session.scalar(select(Channel.wallet_balance).where(Channel.id == supplier_id))
        if current is None:
            return False
        old = _money(current)
        new = old + delta
        if floor is not None and new < floor:
            return False
        # "still what was read": a band of half a cent absorbs SQLite's float noise; on an exact
        # NUMERIC it holds only for the value itself
        moved = session.execute(
            update(Channel)
            .where(Channel.id == supplier_id,
                   Channel.wallet_balance.between(old - CENT / 2, old + CENT / 2))
            .values(wallet_balance=new)
            .execution_options(synchronize_session=False)
        ).rowcount  # type: ignore[attr-defined]
        if moved:
            return True
    raise RuntimeError("the wallet balance kept changing under this reservation")


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
