"""Actors: thin. Each decodes its message and calls one sync step; the database is the truth,
so a lost or repeated message costs time, never an order."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import dramatiq
import structlog

from sync import catalogue, connect, forward, metrics, pull, reconcile, track
from sync.db import get_database
from sync.ingest import PageResult
from sync.settings import get_settings
from workers import reconciler
from workers.broker import ensure_broker

# Actors bind to the global broker when declared: make sure one exists that costs no connection.
ensure_broker()

log = structlog.get_logger(__name__)

RETRY: dict[str, Any] = {"max_retries": 12, "min_backoff": 500, "max_backoff": 120_000}


def _forward_ready(page: PageResult) -> None:
    for order_id in page.ready:
        forward_order.send(order_id)


@dramatiq.actor(queue_name="pull", **RETRY)
def pull_channel(channel_id: int) -> None:
    pull.pull_channel(get_database(), channel_id, connect.channel_for, after_commit=_forward_ready)


@dramatiq.actor(queue_name="forward", time_limit=300_000, **RETRY)
def forward_order(order_id: int) -> None:
    settings = get_settings()
    outcome = forward.forward(
        get_database(), order_id, connect.supplier_for,
        stale_after=timedelta(seconds=settings.stuck_after_seconds),
        wallet_ttl=timedelta(seconds=settings.wallet_ttl_seconds),
    )
    log.info("forward.done", order_id=order_id, result=outcome.result, detail=outcome.detail)


@dramatiq.actor(queue_name="track", **RETRY)
def poll_tracking() -> None:
    result = track.sweep(get_database(), connect.supplier_for)
    for shipment_id in result.to_push:
        push_tracking.send(shipment_id)
    log.info("tracking.swept", calls=result.calls, asked=result.asked, tracked=result.tracked)


@dramatiq.actor(queue_name="track", **RETRY)
def push_tracking(shipment_id: int) -> None:
    track.push(get_database(), shipment_id, connect.channel_for)


@dramatiq.actor(queue_name="default", max_retries=3, time_limit=3_600_000)
def refresh_stock() -> None:
    """The supplier's stock lists, paced by their own hourly buckets (a call may wait minutes)."""
    try:
        result = catalogue.refresh_stock(get_database(), connect.supplier_for)
    except (catalogue.NoSupplier, catalogue.CatalogueUnsupported) as exc:
        log.info("catalogue.not_refreshed", reason=str(exc))
        return
    log.info("catalogue.stock_refreshed", calls=result.calls, products=result.products, in_stock=result.in_stock)


@dramatiq.actor(queue_name="default", max_retries=3)
def reconcile_stuck() -> None:
    settings = get_settings()
    stuck = reconcile.find_stuck(get_database(), older_than=timedelta(seconds=settings.stuck_after_seconds))
    enqueue_stuck(stuck, horizon=settings.stuck_after_seconds)


def enqueue_stuck(stuck: reconcile.Stuck, broker: dramatiq.Broker | None = None, *,
                  horizon: float = 120.0) -> dict[str, int]:
    """Send again what no message stands for any more; returns how many of each kind were sent.

    Work still queued, delayed or held by a live worker is left alone (see ``reconciler``): during
    a backlog nearly every order is "stuck", and sending each again would only add duplicates."""
    from sync.review import judge_stored

    broker = broker or forward_order.broker
    db = get_database()
    sent = {"judge": 0, "forward": 0, "push": 0}
    for order_id in stuck.to_judge:
        with db.session() as session:
            ready = judge_stored(session, order_id)
        if ready:  # sent after the commit that makes it ready, never before
            forward_order.send(order_id)
        sent["judge"] += 1
    sent["forward"] = _send_unless_standing(broker, forward_order, stuck.to_forward, horizon)
    sent["push"] = _send_unless_standing(broker, push_tracking, stuck.to_push, horizon)
    for kind, n in sent.items():
        if n:
            metrics.RECONCILER.labels(kind).inc(n)
    if any(sent.values()):
        log.info("reconciler.re_enqueued", **sent, stuck=stuck.total)
    return sent


def _send_unless_standing(broker: dramatiq.Broker, actor: dramatiq.Actor[Any, Any], ids: list[int],
                          horizon: float) -> int:
    """Send ``actor`` for each id no queued, delayed or running message stands for."""
    if not ids:
        return 0
    queued = reconciler.standing(broker, actor.queue_name, actor.actor_name, horizon=horizon) or set()
    missing = [i for i in ids if i not in queued]
    for item in missing:
        actor.send(item)
    return len(missing)


ALL: list[dramatiq.Actor[Any, Any]] = [pull_channel, forward_order, poll_tracking, push_tracking, reconcile_stuck,
                                       refresh_stock]
