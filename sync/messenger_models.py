"""Tables of messenger orders: payment methods, the order's messenger state beside its ``orders``
row, the buyer's links (only their hashes) and payment slips (where their bytes are kept); the payment
confirmation is every order's (``sync.payment_models``)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, Select, String, Text, select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from sync.models import Base, Id, KeptProof, UtcDateTime, utcnow
from sync.payment_models import PaymentConfirmation


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
    #: the buyer sent their details through the link (once)
    submitted_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    created_by: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    #: supplier (forwarded after approval and payment, tracking synced back) or self_delivery
    #: (never sent to the supplier: the seller ships it and types carrier and tracking)
    logistics: Mapped[str] = mapped_column(String(20), default="supplier", server_default="supplier")
    #: the warehouse of ours a self-delivered order leaves from (None: the supplier's)
    warehouse_id: Mapped[int | None] = mapped_column(ForeignKey("warehouses.id"))
    #: bumped by every edit of the lines: an editor who saw an older one lost the race
    revision: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    #: the payment confirmation, kept with every other order's (``sync.payment_models``); loaded
    #: with the row, so that what a caller read is what it acts on
    payment: Mapped[PaymentConfirmation | None] = relationship(
        primaryjoin="MessengerOrder.order_id == foreign(PaymentConfirmation.order_id)", viewonly=True,
        lazy="joined", uselist=False)

    @property
    def payment_state(self) -> str:
        """none (no proof needed), pending, confirmed, rejected"""
        return self.payment.state if self.payment is not None else "none"

    @property
    def payment_reason(self) -> str:
        return self.payment.reason if self.payment is not None else ""

    @property
    def payment_by(self) -> str | None:
        return self.payment.decided_by if self.payment is not None else None

    @property
    def payment_at(self) -> datetime | None:
        return self.payment.decided_at if self.payment is not None else None

    @property
    def transaction_reference(self) -> str | None:
        return self.payment.transaction_reference if self.payment is not None else None


class MessengerLink(Base):
    """A buyer's link: only the SHA-256 of its token is kept."""

    __tablename__ = "messenger_links"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class PaymentSlip(KeptProof, Base):
    """A payment proof as uploaded: its type is what its bytes are, never what it was called."""

    __tablename__ = "payment_slips"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)


SELF_DELIVERY = "self_delivery"


def self_delivered() -> Select[int]:
    """The ids of self-delivered orders: the forward path and resubmission refuse them whatever
    state they are in, so no mistake elsewhere can send one to the supplier."""
    return select(MessengerOrder.order_id).where(MessengerOrder.logistics == SELF_DELIVERY)
