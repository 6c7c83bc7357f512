"""Credential health from what the store knows: the last pull's error and a token's end."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sync.credential_health import health

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def _state(**kw) -> str:  # type: ignore[no-untyped-def]
    base = {"role": "channel", "settings": {}, "last_error": None, "last_sync_at": NOW - timedelta(minutes=5)}
    return health(**{**base, **kw}, now=NOW).state  # type: ignore[arg-type]


def test_states_from_the_last_error() -> None:
    assert _state() == "ok"
    assert _state(last_error="page unreadable: total") == "ok"  # not a credential problem
    assert _state(last_error="auth_broken: HTTP 401") == "failing"
    assert _state(last_error="auth_broken: x: the refresh token is used up or expired; the shop owner must "
                             "authorise the app again") == "revoked"
    assert _state(last_error="auth_broken: refused the refresh token (invalid_grant)") == "revoked"


def test_a_refresh_token_near_its_end_is_expiring_unless_a_sync_renewed_it() -> None:
    ends = NOW + timedelta(days=3)
    settings = {"refresh_expires_at": ends.timestamp()}
    assert _state(settings=settings, last_sync_at=None) == "expiring"
    assert _state(settings=settings, last_sync_at=ends - timedelta(days=10)) == "expiring"
    # a sync after the connector's renewal point had to renew the token first
    assert _state(settings=settings, last_sync_at=ends - timedelta(days=4)) == "ok"
    assert _state(settings={"refresh_expires_at": (NOW + timedelta(days=20)).timestamp()}) == "ok"
    ended = {"refresh_expires_at": (NOW - timedelta(days=1)).timestamp()}
    assert _state(settings=ended, last_sync_at=None) == "revoked"
    assert _state(settings={"refresh_expires_at": "soon"}) == "ok"
    assert _state(settings={"refresh_expires_at": 1e300}) == "ok"
