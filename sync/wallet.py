"""The supplier wallet, cached and reserved locally so a balance is not read per order.

The reservation is a conditional decrement of the cached balance (``balance >= amount``), so
workers on many machines cannot spend the same money twice in their heads. The supplier's own
answer (BigBuy ER005) stays the final word.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from connectors.base import SupplierConnector
from connectors.records import SupplierOrderRequest
from sync.models import CatalogueItem, Channel, utcnow


class NoSupplier(LookupError):
    pass


def supplier_row(session: Session) -> Channel:
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
    return sum((Decimal(costs.get(ln.supplier_sku) or 0) * ln.quantity for ln in request.lines), Decimal("0"))


def reserve(session: Session, supplier_id: int, amount: Decimal, supplier: SupplierConnector,
            ttl: timedelta) -> bool:
    """Take ``amount`` from the cached balance; re-read the balance when the cache is stale."""
    row = session.get(Channel, supplier_id)
    assert row is not None
    now = utcnow()
    if row.wallet_balance is None or row.wallet_read_at is None or row.wallet_read_at < now - ttl:
        row.wallet_balance = supplier.wallet_balance()
        row.wallet_read_at = now
        session.flush()
    taken = session.execute(
        update(Channel)
        .where(Channel.id == supplier_id, Channel.wallet_balance >= amount)
        .values(wallet_balance=Channel.wallet_balance - amount)
        .execution_options(synchronize_session=False)
    ).rowcount  # type: ignore[attr-defined]
    return bool(taken)


def release(session: Session, supplier_id: int, amount: Decimal) -> None:
    if amount:
        session.execute(
            update(Channel).where(Channel.id == supplier_id, Channel.wallet_balance.is_not(None))
            .values(wallet_balance=Channel.wallet_balance + amount)
            .execution_options(synchronize_session=False)
        )


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
