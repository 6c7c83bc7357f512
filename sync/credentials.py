"""Credentials a platform hands out while OrderHub runs (Shopee's single-use refresh tokens) are
written back to the channel's row, so that a restart, with or without Redis, starts from them and
not from the spent ones the operator first entered."""

from __future__ import annotations

from typing import Any

import structlog
from sqlalchemy import select

from connectors.base import CredentialsKeeper
from sync.db import Database, get_database
from sync.models import Channel

log = structlog.get_logger(__name__)


def keeper_for(channel_id: int, db: Database | None = None) -> CredentialsKeeper:
    """Keeps refreshed credentials on channel ``channel_id`` (the process's database by default)."""

    def keep(replaces: dict[str, str], credentials: dict[str, str], settings: dict[str, Any]) -> bool:
        return keep_credentials(db or get_database(), channel_id, replaces, credentials, settings)

    return keep


def keep_credentials(db: Database, channel_id: int, replaces: dict[str, str], credentials: dict[str, str],
                     settings: dict[str, Any]) -> bool:
    """A conditional write: only a row that still holds ``replaces`` takes the new values; a row
    the operator changed meanwhile keeps the operator's, and the lost race is reported."""
    with db.session() as session:
        row = session.execute(select(Channel).where(Channel.id == channel_id).with_for_update()).scalar_one_or_none()
        if row is None:
            log.warning("credentials.channel_gone", channel_id=channel_id)
            return False
        stored = dict(row.credentials or {})
        if any(str(stored.get(key)) != value for key, value in replaces.items()):
            log.warning("credentials.changed_meanwhile", channel=row.name, keys=sorted(credentials))
            return False
        row.credentials = {**stored, **credentials}
        row.settings = {**(row.settings or {}), **{k: v for k, v in settings.items() if v is not None}}
    log.info("credentials.kept", channel=row.name, keys=sorted(credentials))
    return True
