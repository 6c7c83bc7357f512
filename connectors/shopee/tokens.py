"""Shopee's access tokens (4 hours) and refresh tokens (30 days, each usable once), shared by every
worker of an account and refreshed ahead of time, one refresh at a time.

The state lives in Redis when the channel's ``token_storage`` setting names it (several processes),
in this process otherwise. The lock is Redis's own lock or a process lock; after taking it the
state is read again, so a worker that waited uses the tokens another one just got instead of
spending the (single-use) refresh token a second time.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, replace
from typing import Any, Protocol

from connectors.shopee.errors import ShopeeUnavailable

ACCESS_SECONDS = 4 * 3600
REFRESH_SECONDS = 30 * 24 * 3600
#: an access token this close to its end is refreshed before the call, not after a refusal
ACCESS_MARGIN = 600.0
#: a refresh token this close to its end is spent early, so an idle channel does not lose it
REFRESH_MARGIN = 5 * 24 * 3600.0


@dataclass(frozen=True)
class Tokens:
    access_token: str
    refresh_token: str
    access_expires_at: float | None = None  # Unix seconds; None: unknown, used until refused
    refresh_expires_at: float | None = None
    #: the fingerprint of the configured refresh token these descend from: new credentials (the
    #: shop authorised again) replace whatever was refreshed from the old ones
    origin: str = ""

    def due(self, now: float) -> bool:
        """Whether a refresh should happen before the next call."""
        if self.access_expires_at is not None and now >= self.access_expires_at - ACCESS_MARGIN:
            return True
        return self.refresh_expires_at is not None and now >= self.refresh_expires_at - REFRESH_MARGIN


def fingerprint(token: str) -> str:
    """A refresh token's name that reveals nothing of it: it may be kept beside the channel's
    settings and compared, never used."""
    return hashlib.sha256(token.encode()).hexdigest()[:24]


class TokenStore(Protocol):
    def load(self) -> Tokens | None: ...

    def save(self, tokens: Tokens) -> None: ...

    def lock(self) -> Any: ...


_local_states: dict[str, Tokens] = {}
_local_locks: dict[str, threading.Lock] = {}
_local_guard = threading.Lock()


class LocalTokenStore:
    """Within one process: every connector of the same account shares the state and the lock."""

    def __init__(self, key: str) -> None:
        self.key = key
        with _local_guard:
            self._lock = _local_locks.setdefault(key, threading.Lock())

    def load(self) -> Tokens | None:
        return _local_states.get(self.key)

    def save(self, tokens: Tokens) -> None:
        _local_states[self.key] = tokens

    def lock(self) -> Any:
        return self._lock


class RedisTokenStore:
    """Across processes and machines. The tokens are secrets: the key holds no buyer data, and the
    value is only read back by this class."""

    def __init__(self, client: Any, key: str, *, lock_seconds: float = 60.0) -> None:
        self.client = client
        self.key = f"orderhub:shopee:tokens:{key}"
        self.lock_seconds = lock_seconds

    def load(self) -> Tokens | None:
        raw = self.client.get(self.key)
        if not raw:
            return None
        try:
            return Tokens(**json.loads(raw))
        except (ValueError, TypeError):
            return None

    def save(self, tokens: Tokens) -> None:
        self.client.set(self.key, json.dumps(asdict(tokens)), ex=REFRESH_SECONDS + 86400)

    def lock(self) -> Any:
        return self.client.lock(self.key + ":lock", timeout=self.lock_seconds,
                                blocking_timeout=self.lock_seconds)


def make_store(storage: str, key: str) -> TokenStore:
    if storage.startswith(("redis://", "rediss://", "unix://")):
        import redis

        return RedisTokenStore(redis.Redis.from_url(storage), key)
    return LocalTokenStore(key)


class TokenKeeper:
    """Hands out a good access token and refreshes it under the store's lock."""

    def __init__(self, store: TokenStore, initial: Tokens, refresh: Callable[[str], Tokens],
                 clock: Callable[[], float] = time.time) -> None:
        self.store = store
        self.initial = initial
        self._refresh = refresh
        self.clock = clock
        #: called under the refresh lock with the new tokens and the refresh token they spent, so
        #: they are kept with the channel before another worker can refresh again
        self.on_refresh: Callable[[Tokens, str], None] | None = None

    def current(self) -> Tokens:
        stored = self.store.load()
        # states written before origins were fingerprints name the refresh token itself
        if stored is not None and self.initial.origin in (stored.origin, fingerprint(stored.origin)):
            return stored
        return self.initial

    def access_token(self) -> str:
        tokens = self.current()
        if tokens.due(self.clock()):
            tokens = self.refresh(stale=tokens.access_token)
        return tokens.access_token

    def refresh(self, *, stale: str) -> Tokens:
        """Refresh unless another worker did since ``stale`` was read."""
        with self._locked():
            tokens = self.current()
            if tokens.access_token != stale and not tokens.due(self.clock()):
                return tokens
            fresh = replace(self._refresh(tokens.refresh_token), origin=self.initial.origin)
            self.store.save(fresh)
            if self.on_refresh is not None:
                self.on_refresh(fresh, tokens.refresh_token)
        return fresh

    @contextmanager
    def _locked(self) -> Iterator[None]:
        lock = self.store.lock()
        if not lock.acquire():
            raise ShopeeUnavailable("another worker is refreshing the Shopee tokens; try again")
        try:
            yield
        finally:
            lock.release()
