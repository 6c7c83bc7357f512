"""Amazon's usage plans: one token bucket per operation, with its documented rate and burst,
resynchronised from the ``x-amzn-RateLimit-Limit`` header Amazon returns (the rate it applies to
this seller and operation) and emptied by a 429.

A burst matters here: searchOrders refills one request every three minutes, so a bucket without
burst would hold a pull of a few pages for many minutes Amazon itself allows at once.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

RATE_LIMIT_HEADER = "x-amzn-RateLimit-Limit"


@dataclass(frozen=True)
class UsagePlan:
    rate: float  # requests per second
    burst: int


#: the defaults of the models' usage plans (orders_2026-01-01.json, ordersV0.json)
USAGE_PLANS = {
    "searchOrders": UsagePlan(0.0056, 20),
    "getOrder": UsagePlan(0.5, 30),
    "confirmShipment": UsagePlan(2.0, 10),
}


class OperationBucket:
    """A token bucket in this process: ``burst`` calls at once, then one every ``1/rate`` seconds."""

    def __init__(self, plan: UsagePlan, *, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], Any] = time.sleep) -> None:
        self.rate = plan.rate
        self.burst = plan.burst
        self._tokens = float(plan.burst)
        self._clock = clock
        self._sleep = sleep
        self._stamp = clock()
        self._lock = threading.Lock()

    def _refill(self) -> None:
        now = self._clock()
        self._tokens = min(float(self.burst), self._tokens + (now - self._stamp) * self.rate)
        self._stamp = now

    def due(self) -> float:
        """Seconds until a token is there (0 when one is)."""
        with self._lock:
            self._refill()
            return 0.0 if self._tokens >= 1 - 1e-6 else (1 - self._tokens) / self.rate

    def take(self) -> float:
        """Wait for a token and take it; returns the seconds waited."""
        waited = 0.0
        while True:
            with self._lock:
                self._refill()
                # a hair short of a token is a token: float time must not spin on a rounding error
                if self._tokens >= 1 - 1e-6:
                    self._tokens = max(0.0, self._tokens - 1)
                    return waited
                pause = (1 - self._tokens) / self.rate
            self._sleep(pause)
            waited += pause

    def resync(self, header: str | None) -> None:
        """Amazon's own figure for this seller wins over the documented default."""
        try:
            rate = float(header or "")
        except ValueError:
            return
        if math.isfinite(rate) and rate > 0:
            with self._lock:
                self._refill()
                self.rate = rate

    def empty(self) -> None:
        """A 429: Amazon's bucket is empty whatever ours thought."""
        with self._lock:
            self._refill()
            self._tokens = min(self._tokens, 0.0)


class Buckets:
    def __init__(self, *, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], Any] = time.sleep) -> None:
        self._buckets = {name: OperationBucket(plan, clock=clock, sleep=sleep)
                         for name, plan in USAGE_PLANS.items()}

    def __getitem__(self, operation: str) -> OperationBucket:
        return self._buckets[operation]

    def __setitem__(self, operation: str, bucket: OperationBucket) -> None:
        self._buckets[operation] = bucket
