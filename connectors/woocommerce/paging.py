"""Paging wc/v3 orders without gaps.

``orderby=modified`` over page numbers skips an order: when an order of page 1 changes while page
2 is read, it moves to the end of the list and every later order shifts up by one. So each page is
asked by position, not offset: ``modified_after`` a second before the last order read (the filter
is exclusive and dates have whole seconds, so orders of that same second are read again, never
skipped), from page 1. Only when a whole page shares one second does the page number grow. The
token carries the position itself, so resuming one on a later pull reads from where it was, never
from an offset into a list that has moved since.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import NamedTuple

import httpx

from connectors.records import ChannelOrder
from connectors.woocommerce.errors import WooRequestRejected


class Position(NamedTuple):
    after: datetime | None
    page: int


def format_since(since: datetime) -> str:
    """``modified_after`` as wc/v3 reads it with ``dates_are_gmt=true``: UTC, no offset."""
    if since.tzinfo is not None:
        since = since.astimezone(UTC)
    return since.replace(tzinfo=None, microsecond=0).isoformat()


def encode(position: Position) -> str:
    after = format_since(position.after) if position.after is not None else ""
    return f"{after}|{position.page}"


def decode(token: str | None, since: datetime | None) -> Position:
    if token is None:
        return Position(since, 1)
    after, sep, page = token.partition("|")
    if not sep or not (page.isascii() and page.isdigit()) or int(page) < 1:
        raise WooRequestRejected("invalid page token for woocommerce")
    try:
        moment = datetime.fromisoformat(after).replace(tzinfo=UTC) if after else None
    except ValueError:
        raise WooRequestRejected("invalid page token for woocommerce") from None
    return Position(moment, int(page))


def total_pages(response: httpx.Response) -> int | None:
    try:
        return int(response.headers["X-WP-TotalPages"])
    except (KeyError, ValueError):
        return None


def next_position(position: Position, response: httpx.Response, served: int, page_size: int,
                  orders: list[ChannelOrder]) -> Position | None:
    """Where the next page starts; None when this page was the last of the query."""
    pages = total_pages(response)
    last = position.page >= pages if pages is not None else served < page_size
    if last or served == 0:
        return None
    if not orders:  # a whole page of unreadable bodies: no date to move on from
        return Position(position.after, position.page + 1)
    newest = max(o.updated_at for o in orders).replace(microsecond=0)
    after = newest - timedelta(seconds=1)
    if position.after is not None and after <= position.after.astimezone(UTC):
        return Position(position.after, position.page + 1)  # the whole page is one second
    return Position(after, 1)
