"""Forwarding throughput against the supplier's rate limit: ready orders -> BigBuy sandbox.

    .venv/bin/python bench/forward.py                       # 2,000 orders, 20 req/s, 4 worker threads

The BigBuy sandbox (``sandbox.bigbuy.BigBuySandbox``) is served over loopback with
``rate_per_second=--rate``; the supplier row asks the engine's shared token bucket for
``--pace`` x that (19/s by default). The orders are ingested (``store_page``) before the clock
starts, so all of them are ``ready``; then one ``forward_order`` message each goes to
``EmbeddedWorkers`` (``--threads`` worker threads; ``--broker redis`` puts the broker and the token
bucket in Redis, as in production).

Prints one JSON line: supplier_calls_per_order (every call the supplier account made, counted by
``sync.metrics.CALLS``, over the orders sent), rate_used (supplier calls per second over the
allowed rate, first call to last), http_429 (``metrics.THROTTLED``), p95_ready_to_sent_s (from the
ingest event that made the order ready to its ``sent`` event: with every order ready at once, it
is mostly time spent queued behind the rate limit).
"""

from __future__ import annotations

import os
import sys
import time

from _common import calls_by_endpoint, counter, emit, fresh_database, log, parser, percentile, quiet_logs
from sqlalchemy import func, select

from admin.stack import load_catalogue
from connectors.base import parse_bodies
from connectors.shopify import ShopifyConnector
from sandbox import seeding
from sandbox.bigbuy import BigBuySandbox
from sandbox.server import Running
from sandbox.shopify import ShopifySandbox
from sync import connect, metrics
from sync.db import Database, use_database
from sync.ingest import store_page
from sync.models import Channel, Order, OrderEvent
from sync.states import Status

SCHEMA = "bench_forward"
SUPPLIER = "bigbuy-bench"


def setup(db: Database, bigbuy_url: str, api_key: str, pace: float) -> tuple[int, int]:
    with db.session() as session:
        shop = Channel(name="shopify-bench", kind="shopify", role="channel", url="http://shop.invalid",
                       credentials={"access_token": "t"}, settings={})
        supplier = Channel(name=SUPPLIER, kind="bigbuy", role="supplier", url=bigbuy_url,
                           credentials={"api_key": api_key},
                           settings={"rate_per_second": pace, "carriers": ["gls", "correos"], "language": "en"})
        session.add_all([shop, supplier])
        session.flush()
        load_catalogue(session)
        return shop.id, supplier.id


def ingest_ready(db: Database, channel_id: int, count: int) -> list[int]:
    shop = ShopifySandbox([])
    bodies = [shop._render_spec(spec) for spec in seeding.bulk("shopify", count)]
    ready: list[int] = []
    for start in range(0, len(bodies), 250):
        page = parse_bodies(ShopifyConnector, bodies[start : start + 250])
        with db.session() as session:
            ready.extend(store_page(session, channel_id, page).ready)
    return ready


def use_broker(broker: str, redis_url: str) -> str:
    """The broker URL for EmbeddedWorkers; the token bucket follows it (Redis, or memory)."""
    from sync.settings import get_settings

    url = redis_url if broker == "redis" else ""
    os.environ["ORDERHUB_BROKER_URL"] = url
    os.environ["ORDERHUB_RATELIMIT_URL"] = url
    get_settings.cache_clear()
    return url


def wait_sent(db: Database, expected: int, timeout: float) -> int:
    deadline = time.monotonic() + timeout
    busy_states = (Status.READY.value, Status.FORWARDING.value)
    last = -1
    while time.monotonic() < deadline:
        with db.session() as session:
            busy = session.scalar(select(func.count()).select_from(Order).where(Order.status.in_(busy_states))) or 0
            sent = session.scalar(select(func.count()).select_from(Order).where(Order.status == "sent")) or 0
        if sent != last and sent % 100 < 10:
            log(f"sent {sent}/{expected}, {busy} still ready or forwarding")
        last = sent
        if not busy:
            return int(sent)
        time.sleep(0.5)
    raise TimeoutError(f"forwarding did not finish within {timeout:.0f}s")


def latencies(db: Database, started: float) -> list[float]:
    """Seconds from ready (or from the start of the run, for orders ready before it) to sent."""
    with db.session() as session:
        ready = dict(session.execute(
            select(OrderEvent.order_id, func.min(OrderEvent.at)).where(OrderEvent.to_status == "ready")
            .group_by(OrderEvent.order_id)).all())
        sent = dict(session.execute(
            select(OrderEvent.order_id, func.max(OrderEvent.at)).where(OrderEvent.to_status == "sent")
            .group_by(OrderEvent.order_id)).all())
    return [sent[i].timestamp() - max(ready[i].timestamp(), started) for i in sent if i in ready]


def main(argv: list[str] | None = None) -> int:
    p = parser(__doc__.splitlines()[0], orders=2000)
    p.add_argument("--rate", type=float, default=20.0, help="the sandbox supplier's limit, requests/s (default 20)")
    p.add_argument("--pace", type=float, default=0.95, help="the engine's bucket as a share of --rate (default 0.95)")
    p.add_argument("--threads", "--workers", dest="threads", type=int, default=4, help="worker threads (default 4)")
    p.add_argument("--broker", choices=("stub", "redis"), default="redis",
                   help="redis (default): broker and token bucket in Redis; stub: in-process")
    p.add_argument("--timeout", type=float, default=1800.0)
    args = p.parse_args(argv)
    quiet_logs()
    broker_url = use_broker(args.broker, args.redis_url)
    from workers import actors
    from workers.embedded import EmbeddedWorkers

    db = fresh_database(args.database_url, args.schema or SCHEMA, pool_size=args.threads + 4)
    use_database(db)
    connect.forget()
    cost = seeding.STANDARD_COST
    bigbuy = BigBuySandbox(wallet=cost * args.orders * 3, rate_per_second=args.rate)
    server = Running(bigbuy).start()
    try:
        shop_id, _ = setup(db, server.url, bigbuy.api_key, round(args.rate * args.pace, 3))
        log(f"ingesting {args.orders} orders")
        ready = ingest_ready(db, shop_id, args.orders)
        log(f"{len(ready)} ready; forwarding with {args.threads} threads at {args.rate * args.pace:g}/s "
            f"against a limit of {args.rate:g}/s ({args.broker} broker)")
        calls0, throttled0 = counter(metrics.CALLS, account=SUPPLIER), counter(metrics.THROTTLED, account=SUPPLIER)
        by_endpoint0 = calls_by_endpoint(SUPPLIER)
        with EmbeddedWorkers(threads=args.threads, broker_url=broker_url):
            started = time.time()
            for order_id in ready:
                actors.forward_order.send(order_id)
            sent = wait_sent(db, len(ready), args.timeout)
        calls = counter(metrics.CALLS, account=SUPPLIER) - calls0
        throttled = counter(metrics.THROTTLED, account=SUPPLIER) - throttled0
        by_endpoint = {k: v - by_endpoint0.get(k, 0.0) for k, v in calls_by_endpoint(SUPPLIER).items()}
        waits = latencies(db, started)
        with db.session() as session:
            last_sent = session.scalar(select(func.max(OrderEvent.at)).where(OrderEvent.to_status == "sent"))
        window = (last_sent.timestamp() - started) if last_sent else 0.0
        state = bigbuy.state()
    finally:
        server.stop()
        connect.forget()
        use_database(None)
        db.dispose()
    log(f"supplier calls by endpoint: {by_endpoint}")
    emit({
        "bench": "forward", "orders": args.orders, "ready": len(ready), "sent": sent, "threads": args.threads,
        "broker": args.broker, "rate_limit": args.rate, "paced_at": round(args.rate * args.pace, 3),
        "supplier_calls": int(calls), "supplier_calls_per_order": round(calls / sent, 4) if sent else None,
        "seconds": round(window, 2), "calls_per_s": round(calls / window, 3) if window else None,
        "rate_used": round(calls / window / args.rate, 3) if window else None,
        "http_429": int(throttled),
        "p50_ready_to_sent_s": round(percentile(waits, 50), 2), "p95_ready_to_sent_s": round(percentile(waits, 95), 2),
        "supplier_orders": state["orders"], "duplicates_at_supplier": state["duplicates"],
        "wallet_left": state["wallet"],
    })
    return 0


if __name__ == "__main__":
    sys.exit(main())
