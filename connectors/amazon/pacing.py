"""Amazon's usage plans: one token bucket per operation, with its documented rate and burst,
resynchronised from the ``x-amzn-RateLimit-Limit`` header Amazon returns (the rate it applies to
this seller and operation) and emptied by a 429.

A burst matters here: searchOrders refills one request every three minutes, so a bucket without
burst would hold a pull of a few pages for many minutes Amazon itself allows at once.

Amazon counts per seller and application, not per process: with a Redis rate-limit storage the
buckets live there (one hash per account and operation, changed only by a Lua script, so two
workers never take the same token) and every worker follows the rate the header last announced.
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


#: one call on the shared bucket: refill from the stored stamp at the stored (else the default) rate,
#: then take a token, tell the wait, set the rate or empty it; answers the wait as text (a Lua number
#: returned to Redis would lose its fraction)
_SCRIPT = """
local now, burst, op = tonumber(ARGV[1]), tonumber(ARGV[3]), ARGV[4]
local rate = tonumber(redis.call('HGET', KEYS[1], 'rate') or ARGV[2])
local tokens = tonumber(redis.call('HGET', KEYS[1], 'tokens') or ARGV[3])
local stamp = tonumber(redis.call('HGET', KEYS[1], 'stamp') or ARGV[1])
if now > stamp then
  tokens = math.min(burst, tokens + (now - stamp) * rate)
  stamp = now
end
local wait = 0
if op == 'rate' then
  rate = tonumber(ARGV[5])
elseif op == 'empty' then
  tokens = math.min(tokens, 0)
elseif tokens < 1 - 1e-6 then
  wait = (1 - tokens) / rate
elseif op == 'take' then
  tokens = math.max(0, tokens - 1)
end
redis.call('HSET', KEYS[1], 'rate', tostring(rate), 'tokens', tostring(tokens), 'stamp', tostring(stamp))
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[6]))
return {tostring(wait), tostring(rate)}
"""


class SharedOperationBucket:
    """The same bucket kept in Redis for every process and machine of one account. Times are wall
    clock seconds, so machines agree on them."""

    def __init__(self, client: Any, key: str, plan: UsagePlan, *, clock: Callable[[], float] = time.time,
                 sleep: Callable[[float], Any] = time.sleep) -> None:
        self.key = key
        self.default_rate = plan.rate
        self.burst = plan.burst
        self._script = client.register_script(_SCRIPT)
        self._clock = clock
        self._sleep = sleep
        #: long enough for an idle bucket to refill completely before it is forgotten
        self._ttl = int(max(3600.0, 2 * plan.burst / plan.rate))

    def _call(self, op: str, rate: float = 0.0) -> tuple[float, float]:
        wait, current = self._script(keys=[self.key], args=[repr(self._clock()), repr(self.default_rate),
                                                           self.burst, op, repr(rate), self._ttl])
        return float(wait), float(current)

    @property
    def rate(self) -> float:
        return self._call("due")[1]

    def due(self) -> float:
        return self._call("due")[0]

    def take(self) -> float:
        waited = 0.0
        while (pause := self._call("take")[0]) > 0:
            self._sleep(pause)
            waited += pause
        return waited

    def resync(self, header: str | None) -> None:
        try:
            rate = float(header or "")
        except ValueError:
            return
        if math.isfinite(rate) and rate > 0:
            self._call("rate", rate)

    def empty(self) -> None:
        self._call("empty")


class Buckets:
    """One bucket per operation: in this process (``memory://``), or shared by every process of
    the account through Redis (``account`` names the seller and application, never a secret)."""

    def __init__(self, storage: str = "memory://", account: str = "", *, clock: Callable[[], float] | None = None,
                 sleep: Callable[[float], Any] = time.sleep) -> None:
        self._buckets: dict[str, OperationBucket | SharedOperationBucket] = {}
        if storage.startswith(("redis://", "rediss://", "unix://")):
            import redis

            client = redis.Redis.from_url(storage)
            for name, plan in USAGE_PLANS.items():
                self._buckets[name] = SharedOperationBucket(client, f"orderhub:amazon:pace:{account}:{name}", plan,
                                                            clock=clock or time.time, sleep=sleep)
        else:
            for name, plan in USAGE_PLANS.items():
                self._buckets[name] = OperationBucket(plan, clock=clock or time.monotonic, sleep=sleep)

    @property
    def shared(self) -> bool:
        return any(isinstance(b, SharedOperationBucket) for b in self._buckets.values())

    def __getitem__(self, operation: str) -> OperationBucket | SharedOperationBucket:
        return self._buckets[operation]

    def __setitem__(self, operation: str, bucket: OperationBucket | SharedOperationBucket) -> None:
        self._buckets[operation] = bucket
