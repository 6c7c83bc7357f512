"""Tables of the seller's own stock: warehouses, the level of each SKU in each, and every movement
that changed a level (the ledger: a level is the sum of its movements)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from sync.models import Base, Id, UtcDateTime, utcnow


class Warehouse(Base):
    __tablename__ = "warehouses"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)


class StockLevel(Base):
    """What one warehouse holds of one SKU now; written only together with a movement."""

    __tablename__ = "stock_levels"

    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouses.id"), primary_key=True)
    sku: Mapped[str] = mapped_column(String(100), primary_key=True)
    quantity: Mapped[int] = mapped_column(Integer, default=0)


class StockMovement(Base):
    """One change of a level: positive in, negative out, with why and who."""

    __tablename__ = "stock_movements"
    __table_args__ = (Index("ix_stock_movements_warehouse_sku", "warehouse_id", "sku", "id"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouses.id"))
    sku: Mapped[str] = mapped_column(String(100))
    quantity: Mapped[int] = mapped_column(Integer)
    #: in the users' words: "return stock-in", "self-delivered order", "adjustment"...
    reason: Mapped[str] = mapped_column(Text, default="")
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id", ondelete="SET NULL"), index=True)
    #: what else the movement belongs to, e.g. "after_sales:12"
    reference: Mapped[str | None] = mapped_column(String(100), index=True)
    actor: Mapped[str] = mapped_column(String(100))
    at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    #: the same key twice is the same movement twice: refused (a second stock-in of one return)
    key: Mapped[str | None] = mapped_column(String(200), unique=True)
