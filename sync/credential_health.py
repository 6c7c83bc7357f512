"""Whether an account's credentials still work, from what the store already knows: the error the
last pull stored (``auth_broken: ...``), and a token's end written in the account's settings
(Shopee's single-use refresh token, ``refresh_expires_at``). No call is made to find out.

States, in the operators' words: ``ok``; ``revoked`` (the seller withdrew OrderHub's access, or
the token is spent: only a new authorisation helps); ``expiring`` (a token ends soon and no sync
has renewed it); ``failing`` (the last sync was refused for its credentials).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sync.pull import AUTH_BROKEN

#: a token this close to its end is shown as expiring
EXPIRING_WITHIN = timedelta(days=7)
#: Shopee's connector renews a refresh token this long before its end (connectors/shopee/tokens.py)
RENEWED_BEFORE_END = timedelta(days=5)
#: what the channels' connectors say when only the seller's new authorisation helps
_REAUTHORISE = ("authorise the app again", "invalid_grant")


@dataclass(frozen=True)
class CredentialHealth:
    state: str  # ok | revoked | expiring | failing
    message: str


def health(*, role: str, settings: dict[str, Any] | None, last_error: str | None,
           last_sync_at: datetime | None, now: datetime) -> CredentialHealth:
    error = last_error or ""
    if error.startswith(f"{AUTH_BROKEN}:"):
        detail = error.removeprefix(f"{AUTH_BROKEN}:").strip()
        if any(marker in detail for marker in _REAUTHORISE):
            return CredentialHealth("revoked", "Access was withdrawn or has run out: the seller must authorise "
                                               "OrderHub again, then put the new tokens in with Edit. Nothing is "
                                               "pulled until then; nothing is lost.")
        return CredentialHealth("failing", "The last sync was refused for its credentials: check them "
                                           "(Edit) and the app's permissions on the shop.")
    ends = token_end(settings)
    if ends is not None and role == "channel":
        renewed = last_sync_at is not None and last_sync_at >= ends - RENEWED_BEFORE_END
        if not renewed and ends <= now:
            return CredentialHealth("revoked", f"The refresh token ran out on {ends:%Y-%m-%d}: the seller must "
                                               "authorise OrderHub again, then put the new tokens in with Edit.")
        if not renewed and ends - now <= EXPIRING_WITHIN:
            days = max(0, (ends - now).days)
            return CredentialHealth("expiring", f"The refresh token runs out on {ends:%Y-%m-%d} (in {days} days) "
                                                "and no sync has renewed it yet: switch the channel on or sync "
                                                "it now, or authorise again.")
    return CredentialHealth("ok", "Credentials accepted." if last_sync_at else "Not used yet.")


def token_end(settings: dict[str, Any] | None) -> datetime | None:
    """When the account's refresh token ends, if its settings say (Unix seconds)."""
    raw = (settings or {}).get("refresh_expires_at")
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        return None
    try:
        return datetime.fromtimestamp(float(raw), UTC)
    except (OverflowError, OSError, ValueError):
        return None
