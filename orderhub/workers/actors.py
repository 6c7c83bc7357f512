"""Actors: thin. Each decodes its message and calls one sync step; the database is the truth,
so a lost or repeated message costs time, never an order."""

from __future__ import annotations

from datetime import timedelta

import dramatiq
import structlog

from orderhub.settings import get_settings
from orderhub.sync import connect, forward, pull, reconcile, track
from orderhub.sync.db import get_database
from orderhub.sync.ingest import PageResult
from orderhub.workers.broker import ensure_broker

# Actors bind to the global broker when declared: make sure one exists that costs no connection.
ensure_broker()

log = structlog.get_logger(__name__)

RETRY = {"max_retries": 12, "min_backoff": 500, "max_backoff": 120_000}


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


@dramatiq.actor(queue_name="default", max_retries=3)
def reconcile_stuck() -> None:
    settings = get_settings()
    stuck = reconcile.find_stuck(get_database(), older_than=timedelta(seconds=settings.stuck_after_seconds))
    enqueue_stuck(stuck)


def enqueue_stuck(stuck: reconcile.Stuck) -> None:
    from orderhub.sync.review import judge_stored

    db = get_database()
    for order_id in stuck.to_judge:
        with db.session() as session:
            if judge_stored(session, order_id):
                forward_order.send(order_id)
    for order_id in stuck.to_forward:
        forward_order.send(order_id)
    for shipment_id in stuck.to_push:
        push_tracking.send(shipment_id)
    if stuck.total:
        log.info("reconciler.re_enqueued", orders=len(stuck.to_forward) + len(stuck.to_judge), pushes=len(stuck.to_push))


ALL = [pull_channel, forward_order, poll_tracking, push_tracking, reconcile_stuck]
