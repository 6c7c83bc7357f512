"""Connector instances for channel and supplier rows, one per process and account, sharing the
account's rate-limit bucket across every worker that uses the same storage.

A process holds one bucket per supplier account for its whole life: a connector rebuilt after an
edit of the account, or by ``forget()``, keeps pacing where the old one stopped. Which storage the
bucket lives in: Redis when there is one (every machine), else a file beside the SQLite database
(``orderhub serve`` and an operator's command on the same machine share it), else memory."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from connectors.base import ChannelConnector, ConnectorConfig, SupplierConnector
from connectors.http import make_transport
from connectors.ratelimit import TokenBucket
from connectors.registry import channel_class, supplier_class
from sync import metrics
from sync.credentials import keeper_for
from sync.db import get_database
from sync.models import Channel
from sync.settings import get_settings

_lock = threading.Lock()
_cache: dict[tuple[int, str, str], Any] = {}
_buckets: dict[tuple[str, float, str], TokenBucket] = {}
#: per supplier account (its name): when its bucket last kept a call of this process waiting
_paced_at: dict[str, float] = {}
#: a wait this long means the bucket is the bound, not a short queue of callers (at 100 calls a
#: second, 32 threads on one account wait up to ~1 s)
NOTABLE_WAIT_S = 2.0
#: tests and benchmarks may route connectors through their own transport
transport_factory: Callable[[Channel], httpx.BaseTransport | None] = lambda row: None  # noqa: E731


class MeteredTransport(httpx.BaseTransport):
    """Counts every call by account, endpoint and status, whatever the connector does with it."""

    def __init__(self, account: str, inner: httpx.BaseTransport | None = None) -> None:
        self.account = account
        self.inner = inner or make_transport()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        endpoint = metrics.endpoint_label(request.url.path)
        try:
            response = self.inner.handle_request(request)
        except httpx.TransportError as exc:
            metrics.CALLS.labels(self.account, endpoint, exc.__class__.__name__).inc()
            raise
        metrics.CALLS.labels(self.account, endpoint, str(response.status_code)).inc()
        if response.status_code == 429:
            metrics.THROTTLED.labels(self.account).inc()
        return response

    def close(self) -> None:
        self.inner.close()


class MeteredPacer:
    """The account's shared bucket, observing each wait: ``TokenBucket.waited`` is a running total
    shared by every thread of the process, so per-call waits are taken from ``wait()`` itself."""

    def __init__(self, account: str, inner: TokenBucket) -> None:
        self.account = account
        self.inner = inner

    @property
    def waited(self) -> float:
        return self.inner.waited

    def wait(self, cost: int = 1) -> float:
        seconds = self.inner.wait(cost)
        metrics.RATE_WAIT.labels(self.account).observe(seconds)
        if seconds >= NOTABLE_WAIT_S:
            _paced_at[self.account] = time.monotonic()
        return seconds

    def hold_until(self, epoch_seconds: float) -> None:
        self.inner.hold_until(epoch_seconds)


def paced_lately(account: str, within: float = 30.0) -> bool:
    """Whether the account's bucket kept a call of this process waiting in the last ``within`` s."""
    at = _paced_at.get(account)
    return at is not None and time.monotonic() - at < within


def _transport(row: Channel) -> httpx.BaseTransport:
    return MeteredTransport(row.name, transport_factory(row))


def config_for(row: Channel) -> ConnectorConfig:
    return ConnectorConfig(
        name=row.name, kind=row.kind, url=row.url,
        credentials={k: str(v) for k, v in (row.credentials or {}).items()},  # type: ignore[misc]
        settings=dict(row.settings or {}),
    )


def _key(row: Channel) -> tuple[int, str, str]:
    return (row.id, row.url, repr(sorted((row.credentials or {}).items())))


def channel_for(row: Channel) -> ChannelConnector:
    with _lock:
        key = _key(row)
        if key not in _cache:
            cls = channel_class(row.kind)
            connector = cls(config_for(row), transport=_transport(row))
            connector.credentials_keeper = keeper_for(row.id)
            connector.share_pacing(ratelimit_storage())
            _evict(row.id)
            _cache[key] = connector
        return _cache[key]  # type: ignore[no-any-return,unused-ignore]


def supplier_rate(settings: dict[str, Any] | None) -> float:
    """A supplier account's pace, calls per second: its own setting, else the installation's."""
    return float((settings or {}).get("rate_per_second") or get_settings().supplier_rate)


def supplier_for(row: Channel) -> SupplierConnector:
    with _lock:
        key = _key(row)
        if key not in _cache:
            pacer = MeteredPacer(row.name, bucket_for(f"supplier:{row.kind}:{row.id}", supplier_rate(row.settings)))
            cls = supplier_class(row.kind)
            _cache[key] = cls(config_for(row), transport=_transport(row), pacer=pacer)
        return _cache[key]  # type: ignore[no-any-return,unused-ignore]


def _evict(channel_id: int) -> None:
    """Older connectors of an account whose credentials changed (an edit, refreshed tokens written
    back) are dropped from the cache, not closed: a thread may still be using one."""
    for stale in [k for k in _cache if k[0] == channel_id]:
        del _cache[stale]


def bucket_for(key: str, rate: float) -> TokenBucket:
    """The process's one bucket for ``key`` at ``rate`` (callers hold ``_lock``)."""
    storage = ratelimit_storage()
    found = _buckets.get((key, rate, storage))
    if found is None:
        found = _buckets[(key, rate, storage)] = TokenBucket(key, rate, storage)
    return found


def ratelimit_storage() -> str:
    configured = get_settings().ratelimit_storage()
    if configured != "memory://":
        return configured
    db = get_database()
    path = db.url.split("///", 1)[-1] if db.is_sqlite else ""
    if path and path != ":memory:" and "mode=memory" not in path:
        return (Path(path).resolve().parent / "pacing").as_uri()
    return "memory://"


def forget() -> None:
    """Drop cached connectors (after credentials change, and between tests); buckets stay."""
    with _lock:
        for connector in _cache.values():
            connector.close()
        _cache.clear()
