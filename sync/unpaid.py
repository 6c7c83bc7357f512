"""Unpaid orders read again from their channel.

An order whose payment arrived while its update never reached us (a lost webhook, a pull window
that skipped it) would wait in awaiting_payment for good: no later pull reads it unless it
changes again. The reconciler asks the channel for the current version of such orders and stores
it through the same ingest as a pull, so a paid one moves on like any updated order.

Only channels whose connector can read one order (``ChannelConnector.fetch_order``) are asked.
The orders are taken in random order, so that a backlog of long-unpaid orders (bank transfers
never made) does not keep the same few in every bounded sweep while the rest wait.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

import structlog
from sqlalchemy import func, select

from connectors.base import ChannelConnector
from connectors.errors import AuthenticationFailed, ConnectorError, FailLoudly, ParseError
from connectors.registry import available
from sync.db import Database
from sync.ingest import PageResult, store_page
from sync.models import Channel, Order, utcnow
from sync.states import Status

log = structlog.get_logger(__name__)


@dataclass
class Checked:
    asked: int = 0
    updated: int = 0
    #: orders that left awaiting_payment
    moved: int = 0
    ready: list[int] = field(default_factory=list)
    #: channels whose orders could not be read this time (named, never with credentials)
    failed: list[str] = field(default_factory=list)


def readable_kinds() -> list[str]:
    """Channel kinds whose connector reads one order by its external id."""
    return sorted(kind for kind, cls in available().items()
                  if issubclass(cls, ChannelConnector) and cls.fetch_order is not ChannelConnector.fetch_order)


def overdue(db: Database, *, older_than: timedelta, limit: int) -> dict[int, list[str]]:
    """External ids of orders unpaid for longer than ``older_than``, by channel: at most ``limit``."""
    kinds = readable_kinds()
    if not kinds or limit <= 0:
        return {}
    cutoff = utcnow() - older_than
    stmt = (
        select(Order.channel_id, Order.external_id)
        .join(Channel, Channel.id == Order.channel_id)
        .where(Order.status == Status.AWAITING_PAYMENT.value, Order.status_changed_at < cutoff,
               Channel.enabled.is_(True), Channel.role == "channel", Channel.kind.in_(kinds))
        .order_by(func.random())
        .limit(limit)
    )
    found: dict[int, list[str]] = defaultdict(list)
    with db.session() as session:
        for channel_id, external_id in session.execute(stmt):
            found[channel_id].append(external_id)
    return dict(found)


def check(db: Database, connector_for: Callable[[Channel], ChannelConnector], *, older_than: timedelta,
          limit: int, after_commit: Callable[[PageResult], None] | None = None) -> Checked:
    """Read the overdue unpaid orders again and store what the channels answer. A channel that
    fails is named in ``failed`` and the others go on."""
    checked = Checked()
    for channel_id, external_ids in overdue(db, older_than=older_than, limit=limit).items():
        name = str(channel_id)
        try:
            with db.session() as session:
                row = session.get(Channel, channel_id)
                if row is None:
                    continue
                name = row.name
                connector = connector_for(row)
            _check_channel(db, channel_id, connector, external_ids, checked, after_commit)
        except Exception as exc:  # noqa: BLE001 - one channel's failure never stops the others
            checked.failed.append(name)
            log.warning("unpaid.channel_failed", channel=name, error=_said(exc))
    if checked.asked:
        log.info("unpaid.checked", asked=checked.asked, updated=checked.updated, moved=checked.moved,
                 failed=len(checked.failed))
    return checked


def _check_channel(db: Database, channel_id: int, connector: ChannelConnector, external_ids: list[str],
                   checked: Checked, after_commit: Callable[[PageResult], None] | None) -> None:
    """One order at a time, each stored in its own transaction as soon as it is read. A refusal
    of one order (an id the channel rejects, a body it cannot parse) skips that order; anything
    else (refused credentials, the channel down or throttling) ends this channel's turn."""
    for external_id in external_ids:
        try:
            page = connector.fetch_order(external_id)
        except AuthenticationFailed:
            raise
        except (FailLoudly, ParseError) as exc:
            log.warning("unpaid.order_unreadable", channel_id=channel_id, external_id=external_id,
                        error=_said(exc))
            continue
        if page is None:  # this account's connector cannot read one order (its API, its version)
            return
        checked.asked += 1
        with db.session() as session:
            stored = store_page(session, channel_id, page, pulled=False)
            moved = session.scalar(select(func.count()).select_from(Order).where(
                Order.channel_id == channel_id, Order.external_id == external_id,
                Order.status != Status.AWAITING_PAYMENT.value))
        checked.updated += stored.updated
        checked.moved += int(bool(moved))
        checked.ready.extend(stored.ready)
        if after_commit:
            after_commit(stored)


def _said(exc: Exception) -> str:
    """What a failure says: connector errors carry no secrets nor buyer data by contract; of
    anything else only its class is told."""
    if isinstance(exc, ConnectorError):
        return f"{exc.__class__.__name__}: {exc}"[:300]
    return exc.__class__.__name__
