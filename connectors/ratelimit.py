"""Pacing outgoing calls: one bucket per account, shared by every worker that uses the same
storage (``memory://`` within one process, ``redis://`` across processes and machines).

A connector is handed a ``Pacer`` (``Connector(config, pacer=...)``) and calls ``wait()`` before
each request to a limited endpoint; on a 429 it calls ``hold_until()`` with the platform's reset
time so every worker sharing the bucket pauses, not just the one that was refused.

The bucket is pyrate-limiter's GCRA (a leaky bucket kept as one timestamp, updated atomically in
Redis by a Lua script) with no burst: calls are spaced evenly, which is what an API that counts
"1 request per second" needs; a bucket that allowed bursts would be refused at the burst.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any, Protocol

from pyrate_limiter import GCRA, InMemoryStateStore, Limiter, Rate, RedisStateStore, StateBucket, WallClock


class Pacer(Protocol):
    def wait(self, cost: int = 1) -> float:
        """Block until a call may go; returns the seconds waited."""

    def hold_until(self, epoch_seconds: float) -> None:
        """No call may go before this moment (the platform said so)."""


class Unpaced:
    def wait(self, cost: int = 1) -> float:
        return 0.0

    def hold_until(self, epoch_seconds: float) -> None:
        return None


class _LocalHold:
    def __init__(self) -> None:
        self._until = 0.0
        self._lock = threading.Lock()

    def get(self) -> float:
        with self._lock:
            return self._until

    def set(self, until: float) -> None:
        with self._lock:
            self._until = max(self._until, until)


class _RedisHold:
    def __init__(self, client: Any, key: str) -> None:
        self._client = client
        self._key = key

    def get(self) -> float:
        value = self._client.get(self._key)
        return float(value) if value else 0.0

    def set(self, until: float) -> None:
        ttl_ms = int(max(1.0, until - time.time()) * 1000) + 1000
        self._client.set(self._key, repr(until), px=ttl_ms)


class TokenBucket:
    """``rate`` calls per second for ``key``, evenly spaced, shared through ``storage_uri``."""

    def __init__(
        self,
        key: str,
        rate: float,
        storage_uri: str = "memory://",
        *,
        sleep: Callable[[float], Any] = time.sleep,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.key = key
        self.rate = rate
        # Rate takes whole units per whole milliseconds: scale up so fractional rates stay exact
        spec = Rate(max(1, round(rate * 1000)), 1_000_000, burst=1)
        if storage_uri.startswith(("redis://", "rediss://", "unix://")):
            import redis

            client = redis.Redis.from_url(storage_uri)
            store: Any = RedisStateStore(client, key=f"orderhub:pace:{key}")
            self._hold: _LocalHold | _RedisHold = _RedisHold(client, f"orderhub:hold:{key}")
        elif storage_uri.startswith("memory://"):
            store = InMemoryStateStore()
            self._hold = _LocalHold()
        else:
            raise ValueError(f"unsupported rate-limit storage: {storage_uri.split(':', 1)[0]}")
        # wall-clock time, so processes on several machines agree on the bucket's timestamp
        bucket = StateBucket([spec], algorithm=GCRA(), store=store, clock=WallClock())
        self._limiter = Limiter(bucket, buffer_ms=0)
        self._sleep = sleep
        self._clock = clock
        self.waited = 0.0

    def hold_until(self, epoch_seconds: float) -> None:
        self._hold.set(epoch_seconds)

    def wait(self, cost: int = 1) -> float:
        started = time.monotonic()
        while (held := self._hold.get() - self._clock()) > 0:
            self._sleep(min(held, 5.0))
        self._limiter.try_acquire(self.key, weight=cost, blocking=True)
        waited = time.monotonic() - started
        self.waited += waited
        return waited
