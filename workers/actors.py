"""Actors: thin. Each decodes its message and calls one sync step; the database is the truth,
so a lost or repeated message costs time, never an order."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import dramatiq
import structlog
from dramatiq.middleware import Middleware

from sync import alerts, catalogue, connect, forward, payment_writeback, pull, track, wallet_auto, webhooks
from sync.db import get_database
from sync.ingest import PageResult
from sync.models import utcnow
from sync.settings import get_settings
from workers import account_gate, reconciler, retries
from workers.broker import ensure_broker

# Actors bind to the global broker when declared, so the broker is chosen first (the settings'
# one, or the in-process stub, which costs no connection).
ensure_broker()

log = structlog.get_logger(__name__)
RETRY = retries.OPTIONS


def _forward_ready(page: PageResult) -> None:
    for order_id in page.ready:
        forward_order.send(order_id)


@dramatiq.actor(queue_name="pull", **RETRY)
@retries.follow_error_tree
def pull_channel(channel_id: int) -> None:
    pull.pull_channel(get_database(), channel_id, connect.channel_for, after_commit=_forward_ready)


@dramatiq.actor(queue_name="pull", **RETRY)
@retries.follow_error_tree
def process_webhook(delivery_row: int) -> None:
    """Read the order a webhook delivery named as it stands now, and store it like a pull."""
    done = webhooks.process(get_database(), delivery_row, connect.channel_for, after_commit=_forward_ready)
    if done.pull and done.channel_id is not None:
        pull_channel.send(done.channel_id)


@dramatiq.actor(queue_name="forward", time_limit=300_000, **RETRY)
@retries.follow_error_tree
def forward_order(order_id: int, deferred: int = 0) -> None:
    settings = get_settings()
    with account_gate.turn(get_database(), order_id) as turn:
        if not turn.mine:  # the account's share of threads is busy: serve another seller meanwhile
            forward_order.send_with_options(args=(order_id,), kwargs={"deferred": deferred + 1},
                                            delay=turn.delay_ms)
            return
        outcome = forward.forward(
            get_database(), order_id, connect.supplier_for,
            stale_after=timedelta(seconds=settings.stuck_after_seconds),
            wallet_ttl=timedelta(seconds=settings.wallet_ttl_seconds),
        )
    log.info("forward.done", order_id=order_id, result=outcome.result, detail=outcome.detail)


@dramatiq.actor(queue_name="track", **RETRY)
@retries.follow_error_tree
def poll_tracking() -> None:
    try:
        result = track.sweep(get_database(), connect.supplier_for)
    except catalogue.NoSupplier as exc:  # nothing was sent anywhere yet: nothing to track
        log.info("tracking.not_swept", reason=str(exc))
        return
    for shipment_id in result.to_push:
        push_tracking.send(shipment_id)
    log.info("tracking.swept", calls=result.calls, asked=result.asked, tracked=result.tracked)


@dramatiq.actor(queue_name="track", **RETRY)
@retries.follow_error_tree
def push_tracking(shipment_id: int) -> None:
    track.push(get_database(), shipment_id, connect.channel_for)


@dramatiq.actor(queue_name="default", **RETRY)
@retries.follow_error_tree
def mark_paid_on_channel(order_id: int) -> None:
    result = payment_writeback.tell_channel(get_database(), order_id, connect.channel_for)
    log.info("payment.told_channel", order_id=order_id, result=result)


# not retried: the next tick (every STOCK_EVERY_SECONDS) is the retry
@dramatiq.actor(queue_name="default", max_retries=0, time_limit=3_600_000)
def refresh_stock() -> None:
    """The supplier's stock lists, paced by their own hourly buckets (a call may wait minutes)."""
    try:
        result = catalogue.refresh_stock(get_database(), connect.supplier_for)
    except (catalogue.NoSupplier, catalogue.CatalogueUnsupported) as exc:
        log.info("catalogue.not_refreshed", reason=str(exc))
        return
    log.info("catalogue.stock_refreshed", calls=result.calls, products=result.products, in_stock=result.in_stock)


# not retried: an operator asked for it and sees the catalogue's time on the page; asks again if need be
@dramatiq.actor(queue_name="default", max_retries=0, time_limit=3_600_000)
def sync_catalogue() -> None:
    """The supplier's whole catalogue (products, variations and stock), as ``orderhub catalogue sync``."""
    try:
        result = catalogue.sync_catalogue(get_database(), connect.supplier_for)
    except (catalogue.NoSupplier, catalogue.CatalogueUnsupported) as exc:
        log.info("catalogue.not_synced", reason=str(exc))
        return
    log.info("catalogue.synced", calls=result.calls, products=result.products, in_stock=result.in_stock)


# not retried: the next tick (every RECONCILE_EVERY_SECONDS) is the retry
@dramatiq.actor(queue_name="default", max_retries=0)
def reconcile_stuck() -> None:
    settings = get_settings()
    reconciler.sweep(get_database(), forward=forward_order, push=push_tracking,
                     older_than=timedelta(seconds=settings.stuck_after_seconds),
                     horizon=settings.stuck_after_seconds)
    try:
        reconciler.sweep_unpaid(get_database(), connect.channel_for, forward=forward_order,
                                older_than=timedelta(seconds=settings.unpaid_check_after_seconds),
                                limit=settings.unpaid_checks_per_sweep)
    except Exception:  # the stuck work above is done; unpaid orders wait for the next tick
        log.exception("reconciler.unpaid_failed")
    try:
        wallet_auto.resubmit_covered(get_database(), connect.supplier_for,
                                     ttl=timedelta(seconds=settings.wallet_ttl_seconds), after_commit=_forward_all)
    except Exception:  # the supplier did not answer the balance: the next tick reads it again
        log.exception("wallet.auto_resubmit_failed")
    try:
        reconciler.sweep_webhooks(get_database(), process=process_webhook,
                                  older_than=timedelta(seconds=settings.stuck_after_seconds),
                                  horizon=settings.stuck_after_seconds)
    except Exception:  # the next tick tries again; polling covers the channel meanwhile
        log.exception("reconciler.webhooks_failed")
    try:
        reconciler.expire_messenger_links(get_database())
    except Exception:  # the next tick voids them
        log.exception("reconciler.messenger_links_failed")


def _forward_all(order_ids: list[int]) -> None:
    for order_id in order_ids:
        forward_order.send(order_id)


# not retried: the next tick (every ALERT_EVERY_SECONDS) is the retry; a notice that failed is
# tried again by a later sweep
@dramatiq.actor(queue_name="default", max_retries=0)
def check_alerts() -> None:
    sweep = alerts.evaluate_alerts(get_database(), utcnow(), settings=get_settings())
    if sweep.delivery.failed:
        log.warning("alerts.not_all_sent", sent=sweep.delivery.sent, failed=sweep.delivery.failed)


ALL: list[dramatiq.Actor[Any, Any]] = [pull_channel, forward_order, poll_tracking, push_tracking, reconcile_stuck,
                                       refresh_stock, check_alerts, process_webhook,
                                       sync_catalogue, mark_paid_on_channel]


def install(broker: dramatiq.Broker, middleware: list[Middleware] | None = None) -> dramatiq.Broker:
    """Make ``broker`` the one every actor sends to: the embedded workers and tests start their
    own broker after this module was imported, so the declared actors move over to it."""
    for m in middleware or []:
        broker.add_middleware(m)
    dramatiq.set_broker(broker)
    for actor in ALL:
        actor.broker = broker
        broker.declare_actor(actor)
    return broker

