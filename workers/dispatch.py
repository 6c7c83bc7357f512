"""Hand work to the workers: a message on a real broker; done right here on the embedded
default, where no separate worker process is listening."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import structlog
from dramatiq.brokers.stub import StubBroker

from connectors.errors import RetryLater
from sync import connect, forward, payment_writeback, pull, webhooks
from sync.db import get_database
from sync.ingest import PageResult
from sync.settings import get_settings
from workers import actors
from workers.broker import ensure_broker

log = structlog.get_logger(__name__)

#: tries per order when the supplier says "later" (a 429, a 5xx): the shared bucket then holds
#: every caller until the supplier's reset, so a second try usually goes through
ATTEMPTS = 4
#: the longest pause between two tries; a longer "later" is left to the reconciler
MAX_PAUSE_SECONDS = 30.0


def forward_soon(order_ids: Iterable[int], *, sleep: Callable[[float], object] = time.sleep) -> list[str]:
    """Returns what happened to each order (``queued`` on a real broker)."""
    ids = list(order_ids)
    if not isinstance(ensure_broker(), StubBroker):
        for order_id in ids:
            actors.forward_order.send(order_id)
        return ["queued"] * len(ids)
    return [_forward_here(order_id, sleep) for order_id in ids]


def _forward_here(order_id: int, sleep: Callable[[float], object]) -> str:
    settings = get_settings()
    for attempt in range(1, ATTEMPTS + 1):
        try:
            outcome = forward.forward(get_database(), order_id, connect.supplier_for,
                                      stale_after=timedelta(seconds=settings.stuck_after_seconds),
                                      wallet_ttl=timedelta(seconds=settings.wallet_ttl_seconds))
            if outcome.result == "pending_review" and outcome.detail:
                return f"{outcome.result} ({outcome.detail})"  # the codes that hold it, as resubmit says them
            return outcome.result
        except RetryLater as exc:
            pause = min(exc.retry_after if exc.retry_after is not None else 2.0 ** attempt, MAX_PAUSE_SECONDS)
            if attempt == ATTEMPTS or (exc.retry_after or 0) > MAX_PAUSE_SECONDS:
                return f"will retry: {exc.__class__.__name__}"
            log.info("forward.retrying_here", order_id=order_id, attempt=attempt, pause=pause)
            sleep(pause)
        except Exception as exc:  # the order stays where forward() left it; the reconciler retries
            return f"will retry: {exc.__class__.__name__}"
    return "will retry"


#: the embedded default's webhook work, off the request: two at a time is plenty for a small shop
_webhook_pool: ThreadPoolExecutor | None = None


def process_webhook_soon(delivery_row: int) -> None:
    """A message on a real broker; on the embedded default, a thread of this process (the admin
    runs no worker). Either way the reconciler sends again what was lost."""
    global _webhook_pool
    if not isinstance(ensure_broker(), StubBroker):
        actors.process_webhook.send(delivery_row)
        return
    if _webhook_pool is None:
        _webhook_pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="webhook")
    _webhook_pool.submit(_process_here, delivery_row)


def _forward_page(page: PageResult) -> None:
    forward_soon(page.ready)


def _process_here(delivery_row: int) -> None:
    db = get_database()
    try:
        done = webhooks.process(db, delivery_row, connect.channel_for, after_commit=_forward_page)
        if done.pull and done.channel_id is not None:
            forward_soon(pull.pull_channel(db, done.channel_id, connect.channel_for).ready)
    except Exception as exc:  # left unprocessed: the reconciler sends it again
        log.warning("webhook.not_processed", delivery=delivery_row, error=exc.__class__.__name__)


def mark_paid_soon(order_id: int) -> str:
    """Tell the channel of a payment confirmed in OrderHub (``sync.payment_writeback``): a message
    on a real broker; here, at once (a failure is logged; the order itself is not affected)."""
    if not isinstance(ensure_broker(), StubBroker):
        actors.mark_paid_on_channel.send(order_id)
        return "queued"
    try:
        return payment_writeback.tell_channel(get_database(), order_id, connect.channel_for)
    except Exception as exc:  # noqa: BLE001 - the confirmation stands; the shop is marked by hand
        log.warning("payment.not_told_channel", order_id=order_id, error=exc.__class__.__name__)
        return f"not told: {exc.__class__.__name__}"
