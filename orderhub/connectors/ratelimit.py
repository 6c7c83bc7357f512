"""Pacing outgoing calls: one bucket per account, shared by every worker that holds the same
storage (``memory://`` in one process, ``redis://`` across machines).

A connector is handed a ``Pacer`` (``Connector(config, pacer=...)``) and calls ``wait()`` before
each request to a limited endpoint; on a 429 it calls ``hold_until()`` with the platform's reset
time so every worker sharing the bucket pauses, not just the one that was refused.
"""

from __future__ import annotations

import time
from typing import Protocol, cast

from limits import RateLimitItemPerSecond, storage, strategies


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


class TokenBucket:
    """``rate`` calls per second for ``key``, kept in a ``limits`` storage.

    Paced below the documented limit by the caller's choice of ``rate``; the hold set after a
    429 lives in the same storage, so it is shared too.
    """

    def __init__(
        self,
        key: str,
        rate: float,
        storage_uri: str = "memory://",
        *,
        sleep: object = time.sleep,
        clock: object = time.time,
    ) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.key = key
        self.rate = rate
        self._storage = storage.storage_from_string(storage_uri)
        self._limiter = strategies.MovingWindowRateLimiter(self._storage)
        # limits counts whole calls per whole seconds: express fractional rates over a longer window
        window = 1
        while rate * window != int(rate * window) and window < 60:
            window += 1
        self._item = RateLimitItemPerSecond(max(1, int(rate * window)), window)
        self._sleep = sleep
        self._clock = clock
        self.waited = 0.0

    def _hold_key(self) -> str:
        return f"orderhub-hold/{self.key}"

    def _held_until(self) -> float:
        # the hold is stored as a counter whose expiry is the hold's end
        # limits' storages are typed for sync and async use alike; these are the sync ones
        count = cast(int, self._storage.get(self._hold_key()))
        if count > 0:
            return float(cast(float, self._storage.get_expiry(self._hold_key())))
        return 0.0

    def hold_until(self, epoch_seconds: float) -> None:
        now = self._clock()  # type: ignore[operator]
        seconds = int(max(1, round(epoch_seconds - now + 0.5)))
        self._storage.clear(self._hold_key())
        self._storage.incr(self._hold_key(), seconds)

    def wait(self, cost: int = 1) -> float:
        waited = 0.0
        while True:
            held = self._held_until() - self._clock()  # type: ignore[operator]
            if held > 0:
                self._sleep(min(held, 5.0))  # type: ignore[operator]
                waited += min(held, 5.0)
                continue
            if self._limiter.hit(self._item, self.key, cost=cost):
                self.waited += waited
                return waited
            stats = self._limiter.get_window_stats(self._item, self.key)
            pause = max(0.01, min(stats.reset_time - self._clock(), 1.0 / self.rate))  # type: ignore[operator]
            self._sleep(pause)  # type: ignore[operator]
            waited += pause
