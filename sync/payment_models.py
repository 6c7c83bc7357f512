"""The payment confirmation an order may need before it is forwarded: one row per such order,
whatever its channel (a messenger order's slip, a bank transfer or cash on delivery of a shop)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from sync.models import Base, UtcDateTime, utcnow


class PaymentConfirmation(Base):
    """An order whose payment the seller confirms (or rejects) by hand. No row: none is needed."""

    __tablename__ = "payment_confirmations"

    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), primary_key=True)
    #: pending, confirmed, rejected
    state: Mapped[str] = mapped_column(String(20), index=True)
    #: how the buyer pays: the platform's code ("bacs", "cod") or the messenger payment method's name
    method: Mapped[str] = mapped_column(String(100), default="")
    reason: Mapped[str] = mapped_column(Text, default="")
    #: who confirmed or rejected it: "user:<name>", "cli", or "channel" (the channel reported it paid)
    decided_by: Mapped[str | None] = mapped_column(String(100))
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    #: the payment's transaction reference: one reference confirms one order, across all channels
    transaction_reference: Mapped[str | None] = mapped_column(String(100), unique=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
