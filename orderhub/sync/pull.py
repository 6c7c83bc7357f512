"""Pull a channel: page through orders updated since the cursor (minus an overlap), storing
each page in its own transaction together with the cursor, so a crash resumes where it stopped."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import structlog

from orderhub.connectors.base import ChannelConnector
from orderhub.connectors.errors import ParseError
from orderhub.sync.db import Database
from orderhub.sync.ingest import PageResult, store_page
from orderhub.sync.models import Channel, QuarantinedBody

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


def pull_channel(
    db: Database,
    channel_id: int,
    connector_for: Callable[[Channel], ChannelConnector],
    *,
    after_commit: Callable[[PageResult], None] | None = None,
    max_pages: int = 10_000,
) -> PullResult:
    """``after_commit`` receives each stored page, to enqueue its ready orders once they are visible."""
    with db.session() as session:
        channel = session.get(Channel, channel_id)
        if channel is None:
            raise LookupError(f"no channel {channel_id}")
        connector = connector_for(channel)
        state: dict[str, Any] = dict(channel.cursor_state or {})
        if state.get("since") is not None or state.get("page"):
            since = datetime.fromisoformat(state["since"]) if state.get("since") else None
            token = state.get("page")
        else:
            overlap = timedelta(seconds=int((channel.settings or {}).get("overlap_seconds", connector.overlap_seconds)))
            since = channel.cursor - overlap if channel.cursor else None
            token = None
    result = PullResult()
    for _ in range(max_pages):
        try:
            page = connector.fetch_orders(since, token)
        except ParseError as exc:
            # the whole body was unreadable: keep the error for an operator and stop this pull
            with db.session() as session:
                session.add(QuarantinedBody(channel_id=channel_id, error=f"page unreadable: {exc}", body=""))
                channel = session.get(Channel, channel_id)
                assert channel is not None
                channel.last_error = f"page unreadable: {exc}"
            raise
        next_state = {"since": since.isoformat() if since else None, "page": page.next_page} if page.next_page else {}
        with db.session() as session:
            stored = store_page(session, channel_id, page, cursor_state=next_state)
        result.add(stored)
        if after_commit:
            after_commit(stored)
        if not page.next_page:
            break
        token = page.next_page
    log.info("pull.done", channel_id=channel_id, pages=result.pages, inserted=result.inserted,
             updated=result.updated, quarantined=result.quarantined)
    return result
