"""Tables of messenger orders: payment methods, the order's messenger state beside its ``orders``
row, the buyer's links (only their hashes), payment slips (where their bytes are kept) and payment confirmation."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from sync.models import Base, Id, UtcDateTime, utcnow


class PaymentMethod(Base):
    __tablename__ = "payment_methods"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    #: shown to the buyer on their page (bank account, how to pay)
    instructions: Mapped[str] = mapped_column(Text, default="")
    #: paid before delivery, with a slip the seller confirms
    needs_proof: Mapped[bool] = mapped_column(Boolean, default=True)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)


class MessengerOrder(Base):
    """The messenger side of an order: its state before approval, and its payment confirmation."""

    __tablename__ = "messenger_orders"

    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), primary_key=True)
    #: waiting_to_add_info, waiting_to_approve, approved, voided, cancelled
    state: Mapped[str] = mapped_column(String(30), index=True)
    void_reason: Mapped[str] = mapped_column(Text, default="")
    payment_method_id: Mapped[int | None] = mapped_column(ForeignKey("payment_methods.id"))
    #: none (no proof needed), pending, confirmed, rejected
    payment_state: Mapped[str] = mapped_column(String(20), default="none", index=True)
    payment_reason: Mapped[str] = mapped_column(Text, default="")
    payment_by: Mapped[str | None] = mapped_column(String(100))
    payment_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    #: the slip's transaction reference: one reference confirms one order
    transaction_reference: Mapped[str | None] = mapped_column(String(100), unique=True)
    #: the buyer sent their details through the link (once)
    submitted_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    created_by: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class MessengerLink(Base):
    """A buyer's link: only the SHA-256 of its token is kept."""

    __tablename__ = "messenger_links"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class PaymentSlip(Base):
    """A payment proof as uploaded: its type is what its bytes are, never what it was called."""

    __tablename__ = "payment_slips"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    #: random, never the buyer's file name
    name: Mapped[str] = mapped_column(String(64), unique=True)
    content_type: Mapped[str] = mapped_column(String(50))
    size: Mapped[int] = mapped_column(Integer)
    #: which store of ``sync.blobs`` holds the bytes ("database", "s3"), under ``blob_key``
    storage: Mapped[str] = mapped_column(String(20), default="database", server_default="database")
    blob_key: Mapped[str | None] = mapped_column(String(250))
    #: the bytes of a slip kept before the stores existed (newer slips: None)
    data: Mapped[bytes | None] = mapped_column(LargeBinary)
    uploaded_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
