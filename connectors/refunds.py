"""Refunds a channel reports on an order, read from the order's body as stored: the canonical
record every connector that knows its platform's refunds returns."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from pydantic import BaseModel, ConfigDict


class RefundedLine(BaseModel):
    model_config = ConfigDict(frozen=True)

    sku: str | None
    quantity: int
    #: the channel's order line id it refunds, when it says
    line_external_id: str | None = None
    title: str = ""


class ChannelRefund(BaseModel):
    """One refund as the channel made it: its id, amount (positive), reason and refunded units
    (some platforms give units only elsewhere: then ``lines`` is empty)."""

    model_config = ConfigDict(frozen=True)

    external_id: str
    amount: Decimal
    reason: str = ""
    at: datetime | None = None
    lines: tuple[RefundedLine, ...] = ()
