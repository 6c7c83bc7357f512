"""Hand work to the workers: a message on a real broker; done right here on the embedded
default, where no separate worker process is listening."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from dramatiq.brokers.stub import StubBroker

from sync import connect, forward
from sync.db import get_database
from sync.settings import get_settings
from workers import actors
from workers.broker import ensure_broker


def forward_soon(order_ids: Iterable[int]) -> list[str]:
    """Returns what happened to each order (``queued`` on a real broker)."""
    ids = list(order_ids)
    if not isinstance(ensure_broker(), StubBroker):
        for order_id in ids:
            actors.forward_order.send(order_id)
        return ["queued"] * len(ids)
    settings = get_settings()
    results = []
    for order_id in ids:
        try:
            outcome = forward.forward(get_database(), order_id, connect.supplier_for,
                                      stale_after=timedelta(seconds=settings.stuck_after_seconds),
                                      wallet_ttl=timedelta(seconds=settings.wallet_ttl_seconds))
            results.append(outcome.result)
        except Exception as exc:  # the order stays where forward() left it; the reconciler retries
            results.append(f"will retry: {exc.__class__.__name__}")
    return results
