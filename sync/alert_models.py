"""Tables of the operators' alerts: one row per condition (its state), and the notices that tell
operators of a change of state, kept until each destination took them (an outbox: a notice is
written in the transaction that changes the state and sent after it commits)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from sync.models import Base, Id, Json, UtcDateTime, utcnow


class Alert(Base):
    """A condition operators are told of, by its key (``review_overdue``, ``channel_silent:<id>``,
    ``channel_auth:<id>``, ``wallet_short:<account>``); raised while ``active``."""

    __tablename__ = "alerts"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    kind: Mapped[str] = mapped_column(String(50))
    active: Mapped[bool] = mapped_column(Boolean, default=False)
    raised_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    cleared_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    #: what the condition was when it last changed state, in words (counts and order numbers only)
    summary: Mapped[str] = mapped_column(Text, default="")
    details: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)


class AlertNotice(Base):
    """One change of an alert's state for one destination (``email`` or ``webhook``)."""

    __tablename__ = "alert_notices"
    __table_args__ = (Index("ix_alert_notices_due", "sent_at", "next_try_at"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    alert_key: Mapped[str] = mapped_column(ForeignKey("alerts.key", ondelete="CASCADE"), index=True)
    #: "raised" or "cleared"
    event: Mapped[str] = mapped_column(String(20))
    destination: Mapped[str] = mapped_column(String(20))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    payload: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    #: a sender took it; a claim older than a few minutes (a killed sender) may be taken again
    claimed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    next_try_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
