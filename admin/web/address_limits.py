"""How often one client address may use the buyer's public pages: ``RATE`` requests a window.

Kept in this process (a sliding window) unless a Redis URL is configured (``ORDERHUB_RATELIMIT_URL``,
else a Redis broker URL): then one budget per address lives in Redis and every admin instance
spends from it. The shared one is pyrate-limiter's GCRA (one timestamp per address, updated
atomically by its Lua script, expiring by itself): ``RATE`` at once, then one each
``WINDOW_SECONDS / RATE``. Should Redis not answer, the pages stay open (a warning is logged):
the limit guards against abuse, and the buyer must not pay for the outage."""

from __future__ import annotations

import math
import time
from collections import deque
from threading import Lock
from typing import Any, Protocol

import structlog
from pyrate_limiter import GCRA, Rate, RateItem, RedisStateStore, StateBucket, WallClock

from sync.settings import Settings

log = structlog.get_logger(__name__)

#: requests per address and window, for the whole public page (views and posts alike)
RATE = 30
WINDOW_SECONDS = 60.0


class Limiter(Protocol):
    def wait_for(self, address: str) -> float:
        """0 when the request may go (and it is counted); else the seconds until one may."""


class AddressLimiter:
    """A sliding window per client address, kept in this process."""

    def __init__(self, rate: int = RATE, window: float = WINDOW_SECONDS) -> None:
        self.rate, self.window = rate, window
        self.seen: dict[str, deque[float]] = {}
        self.lock = Lock()

    def wait_for(self, address: str) -> float:
        now = time.monotonic()
        with self.lock:
            if len(self.seen) > 10000:  # forget idle addresses rather than grow without end
                self.seen = {a: q for a, q in self.seen.items() if q and q[-1] > now - self.window}
            hits = self.seen.setdefault(address, deque())
            while hits and hits[0] <= now - self.window:
                hits.popleft()
            if len(hits) >= self.rate:
                return max(hits[0] + self.window - now, 0.001)
            hits.append(now)
            return 0.0


class SharedAddressLimiter:
    """One budget per address in Redis, shared by every admin instance using the same Redis."""

    def __init__(self, redis_url: str, rate: int = RATE, window: float = WINDOW_SECONDS,
                 prefix: str = "orderhub:buyer-page:") -> None:
        import redis

        self.client: Any = redis.Redis.from_url(redis_url, socket_timeout=2, socket_connect_timeout=2)
        self.rates = [Rate(rate, int(window * 1000), burst=rate)]
        self.prefix = prefix
        self.clock = WallClock()  # several machines: wall-clock time, as the Redis store expects

    def wait_for(self, address: str) -> float:
        import redis

        bucket = StateBucket(self.rates, algorithm=GCRA(), store=RedisStateStore(self.client, self.prefix + address),
                             clock=self.clock)
        try:
            decision: Any = bucket.put_decision(RateItem(address, int(bucket.now())))
        except redis.RedisError as exc:
            log.warning("buyer page limit not checked: Redis did not answer", error=type(exc).__name__)
            return 0.0
        if decision.allowed:
            return 0.0
        return max((decision.retry_after_ms or 1000) / 1000, 0.001)


def address_limiter(settings: Settings) -> Limiter:
    """Shared through Redis when the installation has one for rate limits, else this process's."""
    storage = settings.ratelimit_storage()
    if storage.startswith(("redis://", "rediss://", "unix://")):
        return SharedAddressLimiter(storage)
    return AddressLimiter()


def retry_after(seconds: float) -> str:
    return str(max(1, math.ceil(seconds)))
