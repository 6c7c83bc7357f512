"""Orders the store holds already, as they are: a page read again (a pull's overlap, a re-sync
of the same orders) costs one look-up per page, and its unchanged orders no rows and no customer
or statistics work; for a connector whose orders are read from their bodies alone, no parse either.

Each stored order keeps a digest of the channel's body it was stored from. A body whose digest
equals the stored one is the same body, so passing it over can never lose a change, whatever
else is stored meanwhile: a newer version already stored stays, as an older one never
overwrites it. Only the cursor moves on, to the stored order's time.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any, NamedTuple

import orjson
from sqlalchemy import String, any_, bindparam, select
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session

from sync.db import Database
from sync.models import Order
from sync.records import internal_reference
from sync.supplier_accounts import prefix_for_channel


class StoredVersion(NamedTuple):
    """What tells a re-read from a change: the channel's time, the body's digest, and the columns
    a version of the same time is compared on (``ingest._differs``)."""

    updated_at: datetime
    digest: str | None
    payment_status: str
    channel_status: str
    cancelled_on_channel: bool
    is_test: bool
    total: Any
    shipping_edited: bool
    content_fingerprint: str


#: hashlib lets other threads run while it hashes 2 KiB or more at once; a pull's store thread then
#: waits for the page-reading thread to give the interpreter back (up to 5 ms each time). Bodies
#: are a few kB: fed in smaller pieces, the digest is the same and the store keeps the interpreter
_GIL_KEPT = 2047


def body_digest(body: Any) -> str | None:
    """The body's digest, or None when it cannot be serialised as it is (never passed over then)."""
    try:
        data = memoryview(orjson.dumps(body))
    except (TypeError, ValueError):  # orjson.JSONEncodeError is a TypeError
        return None
    digest = hashlib.blake2b(digest_size=16)
    for start in range(0, len(data), _GIL_KEPT):
        digest.update(data[start : start + _GIL_KEPT])
    return digest.hexdigest()


def page_prefix(session: Session, channel_id: int) -> str:
    """The reference prefix of the channel's orders (its supplier account's, else the
    installation's), read once per transaction (a page asks for it twice)."""
    return prefix_for_channel(session, channel_id)


def stored_versions(session: Session, channel_id: int, external_ids: Iterable[str]) -> dict[str, StoredVersion]:
    """The channel's time and body digest of each of these orders that is stored: one query, by the
    deterministic reference's single-column unique index."""
    prefix = page_prefix(session, channel_id)
    references = [internal_reference(channel_id, e, prefix) for e in set(external_ids)]
    if not references:
        return {}
    rows = session.execute(
        select(Order.external_id, Order.channel_id, Order.channel_updated_at, Order.body_digest,
               Order.payment_status, Order.channel_status, Order.cancelled_on_channel, Order.is_test, Order.total,
               Order.shipping_edited, Order.content_fingerprint)
        .where(among(session, Order.internal_reference, references)))
    return {r.external_id: StoredVersion(*r[2:]) for r in rows if r.channel_id == channel_id}


def among(session: Session, column: Any, values: list[str]) -> Any:
    """``column IN values``; on PostgreSQL ``= ANY(array)``: one parameter however many values, so
    the statement's text is the same for every page (a list of 250 parameters costs more to send,
    parse and plan than the look-up itself)."""
    if session.get_bind().dialect.name == "postgresql":
        return column == any_(bindparam("values", values, type_=postgresql.ARRAY(String)))
    return column.in_(values)


def known_bodies(db: Database, channel_id: int, id_field: str) -> Callable[[list[Any]], dict[int, datetime]]:
    """The look-up a pull hands its connector (``ChannelConnector.known_bodies``): positions of the
    page's bodies stored already as they are -> the stored order's channel time."""

    def known(bodies: list[Any]) -> dict[int, datetime]:
        ids: dict[int, str] = {}
        for i, body in enumerate(bodies):
            value = body.get(id_field) if isinstance(body, dict) else None
            if isinstance(value, str | int) and not isinstance(value, bool):
                ids[i] = str(value).strip()
        if not ids:
            return {}
        with db.session() as session:
            stored = stored_versions(session, channel_id, ids.values())
        found: dict[int, datetime] = {}
        for i, external_id in ids.items():
            version = stored.get(external_id)
            if version is not None and version.digest is not None and version.digest == body_digest(bodies[i]):
                found[i] = version.updated_at
        return found

    return known
