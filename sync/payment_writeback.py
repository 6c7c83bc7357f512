"""A payment the seller confirmed in OrderHub, told to the channel (WooCommerce: the order moves
from ``on-hold`` to ``processing``, as when the shop owner marks it paid there).

Asked for per channel, with the setting ``mark_paid_on_channel`` (the shop then also sends its
buyer whatever it sends for a paid order). Done after the confirmation's commit, by a worker; safe
to repeat: the connector writes only while the channel still shows the order unpaid. Nothing is
told for a confirmation the channel made itself, nor for messenger orders (no channel to tell)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import structlog

from connectors.base import ChannelConnector
from sync.db import Database
from sync.models import Channel, Order
from sync.payment_models import PaymentConfirmation
from sync.states import note

log = structlog.get_logger(__name__)
CHANNEL = "channel"


def wanted(channel_settings: dict[str, Any]) -> bool:
    return bool(channel_settings.get("mark_paid_on_channel"))


def tell_channel(db: Database, order_id: int, channel_for: Callable[[Channel], ChannelConnector]) -> str:
    """What was done: "marked paid", or why nothing was (the channel's errors are raised, for
    the worker's retries)."""
    with db.session() as session:
        order = session.get(Order, order_id)
        found = session.get(PaymentConfirmation, order_id)
        if order is None or found is None or found.state != "confirmed" or found.decided_by == CHANNEL:
            return "nothing to tell"
        channel = order.channel
        if channel.role != "channel" or not wanted(channel.settings or {}):
            return "not asked"
        connector = channel_for(channel)
        external_id = order.external_id
    if not connector.mark_paid(external_id):
        return "nothing to write"
    with db.session() as session:
        note(session, order_id, "the channel was told the payment arrived", actor="worker")
    log.info("payment.marked_paid_on_channel", order_id=order_id)
    return "marked paid"
