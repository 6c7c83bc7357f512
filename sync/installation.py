"""Facts about this installation, written once in its database.

The supplier reference prefix: BigBuy has no idempotency key and finds orders by reference, so two
installations on one supplier account (a second shop, a staging copy) must never make the same
reference. The first value (``ORDERHUB_REFERENCE_PREFIX``, or ``OH`` and four random characters)
is stored and kept: changing it later would make every order in flight look new to the supplier.
"""

from __future__ import annotations

import secrets

import structlog
from sqlalchemy import select
from sqlalchemy.orm import Session

from sync.models import Installation
from sync.settings import get_settings
from sync.upsert import insert_ignore

log = structlog.get_logger(__name__)

PREFIX_KEY = "reference_prefix"
_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I for an operator to misread


def reference_prefix(session: Session) -> str:
    stored = session.scalar(select(Installation.value).where(Installation.key == PREFIX_KEY))
    configured = get_settings().reference_prefix
    if stored is None:
        chosen = configured or "OH" + "".join(secrets.choice(_ALPHABET) for _ in range(4))
        insert_ignore(session, Installation.__table__, [{"key": PREFIX_KEY, "value": chosen}],  # type: ignore[arg-type]
                      keys=["key"])
        stored = session.scalar(select(Installation.value).where(Installation.key == PREFIX_KEY))
        assert stored is not None
    elif configured and configured != stored:
        log.warning("installation.prefix_kept", stored=stored, configured=configured,
                    reason="references already made keep the stored prefix")
    return stored
