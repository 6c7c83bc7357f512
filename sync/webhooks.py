"""Webhook deliveries: checked, stored once, then the order they name read again from the channel.

A delivery is only a hint that an order changed. It arrives late, twice or out of order, so its
body is never ingested: the order is read as it stands now (``ChannelConnector.fetch_order``,
the path the reconciler's unpaid check takes) and stored through the same ingest as a pull,
whose comparison of the channel's updated-at keeps the newest version. A channel whose connector
cannot read one order is pulled instead. Pulls go on as the safety net, further apart while
deliveries arrive (``pull_every``).

``receive`` is what the web endpoint calls: no channel call, one short transaction, so the
platform gets its answer at once; ``process`` is the worker's part.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import structlog
from sqlalchemy import delete, func, select, update

from connectors.base import ChannelConnector
from connectors.errors import AuthenticationFailed, ConnectorError, FailLoudly, ParseError
from connectors.registry import UnknownConnector, channel_class
from connectors.webhooks import BadSignature, Delivery
from sync.db import Database
from sync.ingest import PageResult, store_page
from sync.models import Channel, WebhookDelivery, utcnow
from sync.pull import AUTH_BROKEN
from sync.upsert import insert_for

log = structlog.get_logger(__name__)

#: the credential a channel's deliveries are signed with
SECRET_KEY = "webhook_secret"
#: pulls of a channel receiving webhooks run this far apart, unless ``webhook_poll_minutes`` says
DEFAULT_WEBHOOK_POLL_MINUTES = 30
#: how long deliveries are kept to recognise a re-delivery (platforms retry for hours, not days)
KEEP_DAYS = 7
UNINSTALLED = f"{AUTH_BROKEN}: the app was uninstalled from the shop (app/uninstalled); install it again, " \
              "set the new access token and enable the channel"


class Refused(Exception):
    """Not a delivery of this channel: unknown channel, no secret, or a bad signature. Answered
    alike, so an answer tells nobody which channels exist."""


@dataclass(frozen=True)
class Received:
    #: "stored" (work to do), "duplicate", "ping", "ignored" (a topic not followed, or a disabled
    #: channel), "uninstalled"
    status: str
    #: the stored delivery, for the worker message (status "stored")
    delivery_row: int | None = None
    channel: str = ""


def receive(db: Database, kind: str, channel_name: str, headers: Mapping[str, str], body: bytes) -> Received:
    """Check a delivery against the channel's secret and store it once. Raises ``Refused``."""
    with db.session() as session:
        row = session.scalar(select(Channel).where(Channel.name == channel_name, Channel.kind == kind,
                                                   Channel.role == "channel"))
        if row is None:
            raise Refused("no such channel")
        channel_id, name, enabled = row.id, row.name, row.enabled
        secret = (row.credentials or {}).get(SECRET_KEY)
    try:
        cls = channel_class(kind)
        delivery = cls.read_webhook(headers, body, str(secret) if secret else None)
    except (UnknownConnector, BadSignature) as exc:
        raise Refused(str(exc)) from None
    if delivery.action == "ping":
        return Received("ping", channel=name)
    if delivery.action == "ignore" or (delivery.action == "order" and not enabled):
        return Received("ignored", channel=name)
    return _record(db, channel_id, name, delivery)


def _record(db: Database, channel_id: int, name: str, delivery: Delivery) -> Received:
    now = utcnow()
    with db.session() as session:
        values = {"channel_id": channel_id, "delivery_id": delivery.delivery_id, "topic": delivery.topic,
                  "action": delivery.action, "external_id": delivery.external_id, "received_at": now}
        stmt = insert_for(session, WebhookDelivery.__table__).values(**values)  # type: ignore[arg-type]
        # the unique (channel, delivery id) decides, also between two instances receiving at once
        row_id = session.scalar(stmt.on_conflict_do_nothing(index_elements=["channel_id", "delivery_id"])
                                .returning(WebhookDelivery.id))
        if row_id is None:
            return Received("duplicate", channel=name)
        if delivery.action == "uninstalled":
            # the token died with the app: nothing can be read until an operator installs it again
            session.execute(update(Channel).where(Channel.id == channel_id).values(
                enabled=False, last_error=UNINSTALLED))
            session.execute(update(WebhookDelivery).where(WebhookDelivery.id == row_id).values(
                processed_at=now, outcome="channel disabled"))
            log.warning("webhook.app_uninstalled", channel=name)
            return Received("uninstalled", row_id, name)
    log.info("webhook.received", channel=name, topic=delivery.topic, external_id=delivery.external_id)
    return Received("stored", row_id, name)


@dataclass(frozen=True)
class Processed:
    outcome: str
    channel_id: int | None = None
    #: the channel cannot read one order: pull it instead
    pull: bool = False


def process(db: Database, delivery_row: int, connector_for: Callable[[Channel], ChannelConnector], *,
            after_commit: Callable[[PageResult], None] | None = None) -> Processed:
    """Read the delivery's order again and store it as a pull would. A delivery done already (a
    repeated message) does nothing. ``RetryLater`` is raised for the worker to retry; a refusal no
    retry cures marks the delivery done with the reason."""
    with db.session() as session:
        row = session.get(WebhookDelivery, delivery_row)
        if row is None or row.processed_at is not None:
            return Processed("done already")
        channel = session.get(Channel, row.channel_id)
        if channel is None or not channel.enabled or row.action != "order" or not row.external_id:
            row.processed_at, row.outcome = utcnow(), "nothing to do (channel disabled)"
            return Processed(row.outcome)
        channel_id, external_id, name = channel.id, row.external_id, channel.name
        connector = connector_for(channel)
    try:
        page = connector.fetch_order(external_id)
    except AuthenticationFailed as exc:
        _done(db, delivery_row, f"failed: {_said(exc)}", channel_error=f"{AUTH_BROKEN}: {exc}")
        raise
    except (FailLoudly, ParseError) as exc:
        log.warning("webhook.order_unreadable", channel=name, external_id=external_id, error=_said(exc))
        return Processed(_done(db, delivery_row, f"failed: {_said(exc)}"), channel_id)
    if page is None:
        return Processed(_done(db, delivery_row, "pulled (the channel cannot read one order)"), channel_id,
                         pull=True)
    with db.session() as session:
        stored = store_page(session, channel_id, page, pulled=False)
        outcome = (f"read again: {stored.inserted} new, {stored.updated} updated, {stored.unchanged} unchanged"
                   if page.orders or page.rejected else "not on the channel any more")
        session.execute(update(WebhookDelivery).where(WebhookDelivery.id == delivery_row).values(
            processed_at=utcnow(), outcome=outcome))
    log.info("webhook.processed", channel=name, external_id=external_id, inserted=stored.inserted,
             updated=stored.updated, quarantined=stored.quarantined)
    if after_commit:
        after_commit(stored)
    return Processed(outcome, channel_id)


def _done(db: Database, delivery_row: int, outcome: str, *, channel_error: str | None = None) -> str:
    with db.session() as session:
        row = session.get(WebhookDelivery, delivery_row)
        if row is not None:
            row.processed_at, row.outcome = utcnow(), outcome[:300]
            if channel_error is not None:
                session.execute(update(Channel).where(Channel.id == row.channel_id).values(
                    last_error=channel_error[:2000]))
    return outcome


def _said(exc: Exception) -> str:
    """Connector errors carry no secret nor buyer data by contract."""
    return f"{exc.__class__.__name__}: {exc}"[:250] if isinstance(exc, ConnectorError) else exc.__class__.__name__


# what the scheduler and the reconciler ask -------------------------------------------------


def last_deliveries(db: Database) -> dict[int, datetime]:
    """The newest delivery stored per channel (deliveries are kept ``KEEP_DAYS``)."""
    with db.session() as session:
        rows = session.execute(select(WebhookDelivery.channel_id, func.max(WebhookDelivery.received_at))
                               .group_by(WebhookDelivery.channel_id)).all()
    return {channel_id: _aware(at) for channel_id, at in rows if at is not None}


def _aware(at: Any) -> datetime:
    # max() over a SQLite column comes back as text or a naive datetime, not through the column type
    value = datetime.fromisoformat(at) if isinstance(at, str) else at
    return value if value.tzinfo else value.replace(tzinfo=utcnow().tzinfo)


def pull_every(settings: Mapping[str, Any], usual: int, last_delivery: datetime | None,
               now: datetime | None = None) -> int:
    """Seconds between pulls: ``webhook_poll_minutes`` (never shorter than ``usual``) while a
    verified delivery came within that many minutes; else ``usual``."""
    minutes = int(settings.get("webhook_poll_minutes") or DEFAULT_WEBHOOK_POLL_MINUTES)
    if last_delivery is None or (now or utcnow()) - last_delivery > timedelta(minutes=minutes):
        return usual
    return max(usual, minutes * 60)


def unprocessed(db: Database, *, older_than: timedelta, limit: int = 500) -> list[int]:
    """Deliveries whose message was lost (a broker flushed, an admin without workers)."""
    cutoff = utcnow() - older_than
    with db.session() as session:
        return list(session.scalars(select(WebhookDelivery.id).where(
            WebhookDelivery.processed_at.is_(None), WebhookDelivery.received_at < cutoff)
            .order_by(WebhookDelivery.id).limit(limit)))


def prune(db: Database, *, older_than: timedelta = timedelta(days=KEEP_DAYS)) -> int:
    cutoff = utcnow() - older_than
    with db.session() as session:
        result = session.execute(delete(WebhookDelivery).where(WebhookDelivery.received_at < cutoff))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
