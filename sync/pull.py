"""Pull a channel: page through orders updated since the cursor (minus an overlap), storing
each page in its own transaction together with the cursor, so a crash resumes where it stopped."""

from __future__ import annotations

import math
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import structlog
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from connectors.base import ChannelConnector
from connectors.errors import AuthenticationFailed, ParseError
from connectors.records import OrderPage
from sync import metrics
from sync.db import Database
from sync.ingest import PageResult, store_page
from sync.ingest_known import known_bodies
from sync.models import Channel, Order, OrderIssue, QuarantinedBody, utcnow
from sync.states import SETTLED

log = structlog.get_logger(__name__)


@dataclass
class PullResult:
    pages: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    quarantined: int = 0
    changed_after_forwarding: int = 0
    ready: list[int] = field(default_factory=list)

    def add(self, page: PageResult) -> None:
        self.pages += 1
        self.inserted += page.inserted
        self.updated += page.updated
        self.unchanged += page.unchanged
        self.quarantined += page.quarantined
        self.changed_after_forwarding += page.changed_after_forwarding
        self.ready.extend(page.ready)


#: how far back a channel's first pull reaches when its ``first_pull_hours`` setting is not set:
#: older orders were most likely handled before OrderHub, and buying them again costs money
DEFAULT_FIRST_PULL_HOURS = 24


def first_pull_hours(settings: dict[str, Any] | None) -> float:
    raw = (settings or {}).get("first_pull_hours", DEFAULT_FIRST_PULL_HOURS)
    try:
        hours = float(raw)
    except (TypeError, ValueError):
        hours = -1.0
    if not math.isfinite(hours) or hours <= 0 or isinstance(raw, bool):
        raise ValueError("setting first_pull_hours must be a positive number of hours")
    return hours


#: what ``channels list`` shows for a channel whose credential was refused (a revoked grant)
AUTH_BROKEN = "auth_broken"


@dataclass
class _Start:
    connector: ChannelConnector
    name: str
    since: datetime | None
    token: str | None


def pull_channel(
    db: Database,
    channel_id: int,
    connector_for: Callable[[Channel], ChannelConnector],
    *,
    after_commit: Callable[[PageResult], None] | None = None,
    max_pages: int = 10_000,
) -> PullResult:
    """``after_commit`` receives each stored page, to enqueue its ready orders once they are visible."""
    start = _start(db, channel_id, connector_for)
    result = PullResult()
    # bodies stored already as they are (the overlap, a re-sync) are passed over unparsed
    start.connector.known_bodies = known_bodies(db, channel_id, start.connector.id_field)
    # the next page is fetched and parsed while this one is stored: the client's work and the
    # database's overlap (on two cores, or while the driver waits for the server)
    ahead = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"pull-{channel_id}")
    try:
        following = ahead.submit(start.connector.fetch_orders, start.since, start.token)
        for n in range(max_pages):
            page = _fetched(db, channel_id, start, following)
            if page.next_page and n + 1 < max_pages:
                following = ahead.submit(start.connector.fetch_orders, start.since, page.next_page)
            stored = _store(db, channel_id, start, page)
            result.add(stored)
            if after_commit:
                after_commit(stored)
            if not page.next_page:
                break
    finally:
        ahead.shutdown(wait=True, cancel_futures=True)
        start.connector.known_bodies = None
    log.info("pull.done", channel_id=channel_id, pages=result.pages, inserted=result.inserted,
             updated=result.updated, quarantined=result.quarantined)
    return result


def _start(db: Database, channel_id: int, connector_for: Callable[[Channel], ChannelConnector]) -> _Start:
    """Where this pull begins: the page an interrupted pull stopped at, else the cursor minus the
    overlap, else (a channel's first pull) ``first_pull_hours`` back from now."""
    with db.session() as session:
        channel = session.get(Channel, channel_id)
        if channel is None:
            raise LookupError(f"no channel {channel_id}")
        connector = connector_for(channel)
        state: dict[str, Any] = dict(channel.cursor_state or {})
        if state.get("since") is not None or state.get("page"):
            since = datetime.fromisoformat(state["since"]) if state.get("since") else None
            return _Start(connector, channel.name, since, state.get("page"))
        settings = channel.settings or {}
        if channel.cursor is None:
            return _Start(connector, channel.name, utcnow() - timedelta(hours=first_pull_hours(settings)), None)
        overlap = timedelta(seconds=int(settings.get("overlap_seconds", connector.overlap_seconds)))
        return _Start(connector, channel.name, channel.cursor - overlap, None)


def _fetched(db: Database, channel_id: int, start: _Start, following: Future[OrderPage]) -> OrderPage:
    """The page the thread fetched; what went wrong is recorded here, after the page before it is
    stored (which clears the channel's error), so the error stays on the channel."""
    try:
        return following.result()
    except ParseError as exc:
        # the whole body was unreadable: keep the error for an operator and stop this pull
        with db.session() as session:
            session.add(QuarantinedBody(channel_id=channel_id, error=f"page unreadable: {exc}", body=""))
            channel = session.get(Channel, channel_id)
            assert channel is not None
            channel.last_error = f"page unreadable: {exc}"
        metrics.QUARANTINED.labels(start.name).inc()
        raise
    except AuthenticationFailed as exc:
        # the operator sees it on the channel; the cursor is untouched, so the next pull after the
        # credential is fixed resumes where this one stood (a stored page clears the error)
        with db.session() as session:
            channel = session.get(Channel, channel_id)
            assert channel is not None
            channel.last_error = f"{AUTH_BROKEN}: {exc}"
        raise


def _store(db: Database, channel_id: int, start: _Start, page: OrderPage) -> PageResult:
    """The page and the cursor state to resume from, in one transaction."""
    since = start.since
    next_state = {"since": since.isoformat() if since else None, "page": page.next_page} if page.next_page else {}
    started = utcnow()
    with db.session() as session:
        stored = store_page(session, channel_id, page, cursor_state=next_state)
        flagged = _flagged(session, channel_id, page, since=started)
    _count(start.name, stored, flagged)  # after the commit: a rolled-back page counts nothing
    return stored


def _flagged(session: Session, channel_id: int, page: OrderPage, *, since: datetime) -> dict[str, int]:
    """Issues this page's store opened, by code. PageResult carries no codes, so they are read back
    in the page's own transaction: issues on the page's orders opened since the store began."""
    ids = [o.external_id for o in page.orders]
    if not ids:
        return {}
    rows = session.execute(
        select(OrderIssue.code, func.count())
        .join(Order, Order.id == OrderIssue.order_id)
        .where(Order.channel_id == channel_id, Order.external_id.in_(ids), OrderIssue.opened_at >= since,
               OrderIssue.closed_at.is_(None))
        .group_by(OrderIssue.code)
    ).all()
    return {code: int(n) for code, n in rows}


def _count(channel: str, page: PageResult, flagged: dict[str, int]) -> None:
    if page.inserted:
        metrics.ORDERS_INGESTED.labels(channel, "inserted").inc(page.inserted)
    if page.updated:
        metrics.ORDERS_INGESTED.labels(channel, "updated").inc(page.updated)
    if page.quarantined:
        metrics.QUARANTINED.labels(channel).inc(page.quarantined)
    for code, n in flagged.items():
        metrics.ORDERS_FLAGGED.labels(code).inc(n)
    for status, n in page.statuses.items():
        # ready goes on to the supplier; the settled verdicts (flagged, cancelled...) end here
        if status in SETTLED and n:
            metrics.ORDERS_SETTLED.labels(status).inc(n)
