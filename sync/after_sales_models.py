"""Tables of after-sales orders: the order itself (beside the ``orders`` row it is for, or none for
an offline sale), its returned and exchange items, its history, its refund orders and their
payment proofs."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from sync.models import Base, Id, KeptProof, UtcDateTime, utcnow

#: any ISO 4217 minor unit (up to 4 decimals); ``sync.money`` rounds to the currency's own
Amount = Numeric(18, 4)


class AfterSalesOrder(Base):
    __tablename__ = "after_sales_orders"
    # one channel-reported refund starts at most one after-sales order
    __table_args__ = (UniqueConstraint("order_id", "channel_refund_id"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    #: AS-000001...: given in order of creation, never reused
    number: Mapped[str] = mapped_column(String(30), unique=True)
    #: return_refund, refund_only, exchange
    kind: Mapped[str] = mapped_column(String(20))
    #: to_confirm, confirm_return, confirm_refund, confirm_exchange, received_return,
    #: refund_processing, completed, cancelled
    state: Mapped[str] = mapped_column(String(30), index=True)
    #: None for an offline sale (the buyer typed in below)
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"), index=True)
    #: a customer leaving the list leaves the after-sales order without one (like their orders)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id", ondelete="SET NULL"), index=True)
    #: an offline sale's buyer (an order's buyer is the order's)
    buyer_name: Mapped[str] = mapped_column(String(200), default="")
    buyer_phone: Mapped[str] = mapped_column(String(50), default="")
    buyer_email: Mapped[str] = mapped_column(String(320), default="")
    currency: Mapped[str] = mapped_column(String(3))
    #: the channel's refund id it started from (``sync.channel_refunds``)
    channel_refund_id: Mapped[str | None] = mapped_column(String(100))
    #: the buyer's parcel back: how the stock-in page finds the order
    return_tracking: Mapped[str | None] = mapped_column(String(100), index=True)
    warehouse_id: Mapped[int | None] = mapped_column(ForeignKey("warehouses.id"))
    #: the returned items at their prices, and the exchange items at theirs
    returned_amount: Mapped[Decimal] = mapped_column(Amount, default=Decimal(0))
    exchange_amount: Mapped[Decimal] = mapped_column(Amount, default=Decimal(0))
    #: the returned amount as the operator confirmed it (adjusted by hand or not)
    return_amount: Mapped[Decimal] = mapped_column(Amount, default=Decimal(0))
    exchange_order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"), unique=True)
    note: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    stocked_in_by: Mapped[str | None] = mapped_column(String(100))
    stocked_in_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    items: Mapped[list[AfterSalesItem]] = relationship(order_by="AfterSalesItem.id", cascade="all, delete-orphan")


class AfterSalesItem(Base):
    __tablename__ = "after_sales_items"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    after_sales_id: Mapped[int] = mapped_column(ForeignKey("after_sales_orders.id", ondelete="CASCADE"), index=True)
    #: returned (comes back from the buyer) or exchange (goes out to the buyer)
    kind: Mapped[str] = mapped_column(String(10))
    #: the order's line it returns (its price paid caps it), or None for an added item
    order_line_id: Mapped[int | None] = mapped_column(ForeignKey("order_lines.id", ondelete="SET NULL"), index=True)
    sku: Mapped[str] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(String(500), default="")
    quantity: Mapped[int] = mapped_column(Integer)
    unit_price: Mapped[Decimal] = mapped_column(Amount)
    received_quantity: Mapped[int] = mapped_column(Integer, default=0)


class AfterSalesEvent(Base):
    """The after-sales order's own history (an offline one has no order history to write to)."""

    __tablename__ = "after_sales_events"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    after_sales_id: Mapped[int] = mapped_column(ForeignKey("after_sales_orders.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    actor: Mapped[str] = mapped_column(String(100))
    from_state: Mapped[str | None] = mapped_column(String(30))
    to_state: Mapped[str | None] = mapped_column(String(30))
    reason: Mapped[str] = mapped_column(Text, default="")


class RefundOrder(Base):
    """Money back to the buyer for one after-sales order: requested, then confirmed or rejected."""

    __tablename__ = "refund_orders"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    after_sales_id: Mapped[int] = mapped_column(ForeignKey("after_sales_orders.id", ondelete="CASCADE"), index=True)
    #: the original order (copied, so the caps across its refund orders are one look-up)
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"), index=True)
    amount: Mapped[Decimal] = mapped_column(Amount)
    currency: Mapped[str] = mapped_column(String(3))
    payment_info: Mapped[str] = mapped_column(Text, default="")
    #: the proof's random name in ``refund_proofs`` (the row says where its bytes are kept)
    proof_key: Mapped[str | None] = mapped_column(String(64))
    #: requested, confirmed, rejected
    state: Mapped[str] = mapped_column(String(20), index=True)
    reason: Mapped[str] = mapped_column(Text, default="")
    requested_by: Mapped[str] = mapped_column(String(100))
    requested_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    decided_by: Mapped[str | None] = mapped_column(String(100))
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class RefundProof(KeptProof, Base):
    """A refund's payment proof, kept like a payment slip (through ``sync.blobs``): its type is what
    its bytes are."""

    __tablename__ = "refund_proofs"

    id: Mapped[int] = mapped_column(Id, primary_key=True)


