"""Tables of the customer list beyond the customers themselves: statistics per currency, levels,
tiered and wholesale prices, and the counter that gives customer codes where the database has no
sequence (SQLite)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import BigInteger, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from sync.models import Base, Id, Money, UtcDateTime, utcnow


class CustomerStat(Base):
    """A customer's orders and spend in one currency: cancelled orders excluded, refunded included.
    Kept by adding each order's change (never by a rescan), so two writers add up."""

    __tablename__ = "customer_stats"

    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), primary_key=True)
    currency: Mapped[str] = mapped_column(String(3), primary_key=True)
    orders: Mapped[int] = mapped_column(Integer, default=0)
    spend: Mapped[Decimal] = mapped_column(Money, default=Decimal(0))


class CustomerLevel(Base):
    __tablename__ = "customer_levels"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class TieredPrice(Base):
    """The price of a SKU for customers of one level."""

    __tablename__ = "tiered_prices"
    __table_args__ = (UniqueConstraint("sku", "level_id"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    sku: Mapped[str] = mapped_column(String(100))
    level_id: Mapped[int] = mapped_column(ForeignKey("customer_levels.id", ondelete="CASCADE"), index=True)
    price: Mapped[Decimal] = mapped_column(Money)


class WholesalePrice(Base):
    """The price of a SKU for a quantity from ``min_quantity`` to ``max_quantity`` (None: no upper end)."""

    __tablename__ = "wholesale_prices"
    __table_args__ = (UniqueConstraint("sku", "min_quantity"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    sku: Mapped[str] = mapped_column(String(100))
    min_quantity: Mapped[int] = mapped_column(Integer)
    max_quantity: Mapped[int | None] = mapped_column(Integer)
    price: Mapped[Decimal] = mapped_column(Money)


class Counter(Base):
    """A named counter moved by one atomic UPDATE (customer codes on SQLite)."""

    __tablename__ = "counters"

    name: Mapped[str] = mapped_column(String(50), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger().with_variant(Integer(), "sqlite"), default=0)
