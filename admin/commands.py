"""What each ``orderhub`` command does. Each calls sync services; output is JSON or plain lines."""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from pathlib import Path
from typing import Any

from admin import queries
from admin.commands_base import emit


class InputError(Exception):
    """The command was given something it cannot use: exit 2, one line."""


def dispatch(args: argparse.Namespace) -> int:
    handler = {
        "demo": cmd_demo, "db": cmd_db, "worker": cmd_worker, "scheduler": cmd_scheduler,
        "channels": cmd_channels, "orders": cmd_orders, "inspect": cmd_inspect, "sandbox": cmd_sandbox,
        "health": cmd_health,
    }[args.command]
    return handler(args)


def cmd_inspect(args: argparse.Namespace) -> int:
    from connectors.errors import ParseError
    from connectors.registry import UnknownConnector, channel_class
    from sync.evaluate import judge
    from validation import Context

    try:
        cls = channel_class(args.channel)
    except UnknownConnector as exc:
        raise InputError(str(exc)) from None
    path = Path(args.file)
    try:
        body = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"no such file: {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read {path}: {exc.__class__.__name__}") from None
    except json.JSONDecodeError as exc:
        raise InputError(f"{path} is not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None
    try:
        bodies = cls.order_bodies(body)
    except ParseError as exc:
        raise InputError(f"{path} is not a {args.channel} orders body: {exc}") from None
    out: list[dict[str, Any]] = []
    rejected: list[dict[str, Any]] = []
    for index, item in enumerate(bodies):
        try:
            order = cls.parse_order(item)
        except ParseError as exc:
            rejected.append({"index": index, "error": str(exc)})
            continue
        # no catalogue and no channel settings: the state the order would enter with no network
        verdict = judge(order, Context(), {})
        out.append({"order": order.model_dump(mode="json", exclude={"raw"}), "status": verdict.status.value,
                    "reason": verdict.reason, "issues": [i.model_dump() for i in verdict.issues]})
    result: dict[str, Any] = {"orders": out}
    if rejected:
        result["rejected"] = rejected
    emit(result)
    return 1 if rejected else 0


def cmd_demo(args: argparse.Namespace) -> int:
    from admin import demo

    def say(message: str) -> None:
        if not args.json:
            print(f"- {message}", file=sys.stderr, flush=True)

    summary = demo.run(workdir=Path(args.workdir) if args.workdir else None, threads=args.threads, progress=say)
    if args.json:
        emit(summary)
    else:
        print(json.dumps(summary, indent=2, default=str))
    return 0


def cmd_db(args: argparse.Namespace) -> int:
    from sync.migrate import upgrade

    revision = upgrade()
    print(f"database at revision {revision}")
    return 0


def _wait_for_signal() -> threading.Event:
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    return stop


def cmd_worker(args: argparse.Namespace) -> int:
    """Workers on the configured broker. ``--metrics-port N`` serves this process's metrics (the
    pipeline's and dramatiq's queue metrics) on N; several worker processes on one machine each
    take their own port (see ``workers.exposition``)."""
    import dramatiq

    from sync.settings import get_settings
    from workers import broker as broker_setup
    from workers.embedded import QUEUES

    queues = set(args.queues) if args.queues else set(QUEUES)
    unknown = queues - set(QUEUES)
    if unknown:
        raise InputError(f"unknown queue: {sorted(unknown)[0]} (queues: {', '.join(QUEUES)})")
    middleware = []
    if args.metrics_port is not None:
        from workers import exposition

        if not 0 < args.metrics_port < 65536:
            raise InputError(f"--metrics-port must be a port number, got {args.metrics_port}")
        middleware.append(exposition.queue_metrics())
        try:
            exposition.serve(args.metrics_port, args.metrics_host)
        except OSError as exc:
            where = f"{args.metrics_host}:{args.metrics_port}"
            raise InputError(f"cannot serve metrics on {where}: {exc.strerror}") from None
    broker = broker_setup.install(broker_setup.make_broker(get_settings().broker_url), middleware)
    worker = dramatiq.Worker(broker, queues=queues, worker_threads=args.threads)
    stop = _wait_for_signal()
    worker.start()
    where = f", metrics on :{args.metrics_port}" if args.metrics_port is not None else ""
    print(f"worker running ({args.threads} threads, queues: {', '.join(sorted(queues))}{where})",
          file=sys.stderr, flush=True)
    stop.wait()
    worker.stop()
    broker.close()
    return 0


def cmd_health(args: argparse.Namespace) -> int:
    from workers import health

    report = health.run()
    if args.json:
        emit(report)
    else:
        for name, check in report["checks"].items():
            print(f"{'ok  ' if check['ok'] else 'FAIL'}  {name}: {check['detail']}")
        print("healthy" if report["ok"] else "unhealthy")
    return 0 if report["ok"] else 1


def cmd_scheduler(args: argparse.Namespace) -> int:
    from sync.db import get_database
    from sync.settings import get_settings
    from workers import broker as broker_setup
    from workers import scheduler

    broker_setup.install_from_settings()
    stop = _wait_for_signal()
    scheduler.run(get_database(), get_settings(), should_stop=stop.is_set)
    return 0


def cmd_channels(args: argparse.Namespace) -> int:
    return queries.channels(args, InputError)


def cmd_orders(args: argparse.Namespace) -> int:
    return queries.orders(args, InputError)


def add_sandbox_flags(p: argparse.ArgumentParser) -> None:
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--shopify-port", type=int, default=0)
    p.add_argument("--woocommerce-port", type=int, default=0)
    p.add_argument("--bigbuy-port", type=int, default=0)
    p.add_argument("--amazon-port", type=int, default=0)
    p.add_argument("--amazon-token-seconds", type=int, default=3600,
                   help="how long the Amazon sandbox's access tokens live (token expiry)")
    p.add_argument("--amazon-revoked", action="store_true",
                   help="the Amazon sandbox refuses the refresh token (invalid_grant), as after a revoked grant")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--latency-ms", type=int, default=0, help="added to every answer")
    p.add_argument("--http-429-rate", type=float, default=0.0, help="share of calls answered 429 (0..1)")
    p.add_argument("--http-5xx-rate", type=float, default=0.0, help="share of calls answered 5xx (0..1)")
    p.add_argument("--drop-after-store-rate", type=float, default=0.0,
                   help="share of supplier creates stored and then left unanswered (connection dropped)")
    p.add_argument("--error-before-store-rate", type=float, default=0.0,
                   help="share of supplier creates answered with an HTML 5xx page before storing")
    p.add_argument("--quirk-rate", type=float, default=0.0,
                   help="share of supplier calls answered with a known BigBuy quirk (errors in a 200, ...)")
    p.add_argument("--burst-429", type=int, default=0,
                   help="supplier answers 429 to this many calls in a row, now and then")
    p.add_argument("--empty-wallet", action="store_true", help="the supplier wallet starts at 0.00")
    p.add_argument("--wallet", default=None, help="the supplier wallet balance (default: covers 36 orders)")
    p.add_argument("--out-of-stock", nargs="*", default=[], metavar="SKU")
    p.add_argument("--rate-per-second", type=float, default=1.0, help="the supplier's rate limit (0: none)")


def cmd_sandbox(args: argparse.Namespace) -> int:
    from decimal import Decimal, InvalidOperation

    from admin import stack as sandbox_stack
    from sandbox.bigbuy import BigBuyFaults
    from sandbox.server import Faults

    for name in ("http_429_rate", "http_5xx_rate", "drop_after_store_rate", "error_before_store_rate", "quirk_rate"):
        if not 0.0 <= getattr(args, name) <= 1.0:
            raise InputError(f"--{name.replace('_', '-')} must be between 0 and 1")
    try:
        wallet = Decimal("0") if args.empty_wallet else (Decimal(args.wallet) if args.wallet else None)
    except InvalidOperation:
        raise InputError(f"--wallet must be an amount, got {args.wallet!r}") from None
    channel_faults = Faults(latency_ms=args.latency_ms, http_429_rate=args.http_429_rate,
                            http_5xx_rate=args.http_5xx_rate, seed=args.seed)
    bigbuy_faults = BigBuyFaults(latency_ms=args.latency_ms, http_429_rate=args.http_429_rate,
                                 http_5xx_rate=args.http_5xx_rate, seed=args.seed,
                                 drop_after_store_rate=args.drop_after_store_rate,
                                 error_before_store_rate=args.error_before_store_rate,
                                 quirk_rate=args.quirk_rate, burst_429=args.burst_429)
    if args.amazon_token_seconds < 1:
        raise InputError("--amazon-token-seconds must be a positive number of seconds")
    amazon = sandbox_stack.amazon_sandbox(seed=args.seed, faults=channel_faults,
                                          token_seconds=args.amazon_token_seconds, revoked=args.amazon_revoked)
    stack = sandbox_stack.start(wallet=wallet, bigbuy_rate=args.rate_per_second, seed=args.seed,
                                channel_faults=channel_faults, bigbuy_faults=bigbuy_faults, host=args.host,
                                ports=(args.shopify_port, args.woocommerce_port, args.bigbuy_port),
                                amazon=amazon, amazon_port=args.amazon_port)
    if args.out_of_stock:
        stack.bigbuy_app.out_of_stock.update(args.out_of_stock)
    emit(stack.describe())
    # a channel's first pull reaches back 24 hours by default; the seeded orders are older
    print(f"channels added for these shops need --setting first_pull_hours={sandbox_stack.seeds_first_pull_hours()}"
          " to read the seeded orders", file=sys.stderr, flush=True)
    stop = _wait_for_signal()
    try:
        stop.wait()
    finally:
        stack.stop()
    return 0
