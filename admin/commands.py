"""What each ``orderhub`` command does. Each calls sync services; output is JSON or plain lines."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from admin.commands_base import InputError, emit
from admin.processes import cmd_scheduler, cmd_serve, cmd_worker, wait_for_signal

__all__ = ["InputError", "dispatch"]


def dispatch(args: argparse.Namespace) -> int:
    handler = {
        "demo": cmd_demo, "db": cmd_db, "worker": cmd_worker, "scheduler": cmd_scheduler, "serve": cmd_serve,
        "channels": cmd_channels, "orders": cmd_orders, "inspect": cmd_inspect, "sandbox": cmd_sandbox,
        "health": cmd_health, "catalogue": cmd_catalogue, "customers": cmd_customers, "prices": cmd_prices,
        "messenger": cmd_messenger, "after-sales": cmd_after_sales,
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
        raise InputError(f"{path} does not hold {args.channel} orders: {exc}") from None
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
    from rich.console import Console

    from admin import demo
    from admin.demo_view import DemoView, summary_table

    workdir = Path(args.workdir) if args.workdir else None
    out = Console(highlight=False)

    def show(summary: dict[str, Any]) -> None:
        if args.json:
            emit(summary)
            return
        out.print(summary_table(summary))
        if "database" in summary:
            out.print(f"the database is kept: {summary['database']}")

    then = _serve_after_demo(args, show) if args.serve else None
    if args.json:
        summary = demo.run(workdir=workdir, threads=args.threads, then=then)
        if then is None:
            show(summary)
        return 0
    view = DemoView(demo.status_counts)
    view.step("starting the sandbox shops and supplier on loopback")

    def told(db: Any, stack: Any, summary: dict[str, Any]) -> None:
        view.close()
        if then is not None:
            then(db, stack, summary)

    try:
        summary = demo.run(workdir=workdir, threads=args.threads, progress=view.step, then=told)
    except BaseException:
        view.abandon()  # the error says what happened; no counts from a database that may not be there
        raise
    if then is None:
        show(summary)
    return 0


def _serve_after_demo(args: argparse.Namespace, show: Any) -> Any:
    def then(db: Any, stack: Any, summary: dict[str, Any]) -> None:
        from admin import demo_serve

        show(summary)
        demo_serve.hold(db, host=args.admin_host, port=args.admin_port, supplier_url=stack.bigbuy.url,
                        say=lambda line: print(line, flush=True))

    return then


def cmd_db(args: argparse.Namespace) -> int:
    from sync.migrate import upgrade

    revision = upgrade()
    print(f"database at revision {revision}")
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


def cmd_catalogue(args: argparse.Namespace) -> int:
    from admin.catalogue import cmd_catalogue as run

    return run(args, InputError)


def cmd_customers(args: argparse.Namespace) -> int:
    from admin.customer_commands import cmd_customers as run

    return run(args, InputError)


def cmd_messenger(args: argparse.Namespace) -> int:
    from admin.messenger_commands import cmd_messenger as run

    return run(args, InputError)


def cmd_after_sales(args: argparse.Namespace) -> int:
    from admin.after_sales_commands import cmd_after_sales as run

    return run(args, InputError)


def cmd_prices(args: argparse.Namespace) -> int:
    from admin.customer_commands import cmd_prices as run

    return run(args, InputError)


def cmd_channels(args: argparse.Namespace) -> int:
    from admin import channel_commands

    return channel_commands.run(args)


def cmd_orders(args: argparse.Namespace) -> int:
    from admin import order_commands

    return order_commands.run(args)


def add_sandbox_flags(p: argparse.ArgumentParser) -> None:
    from admin import argtypes as t

    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--shopify-port", type=t.port, default=0)
    p.add_argument("--woocommerce-port", type=t.port, default=0)
    p.add_argument("--bigbuy-port", type=t.port, default=0)
    p.add_argument("--shopee-port", type=t.port, default=0)
    p.add_argument("--amazon-port", type=t.port, default=0)
    p.add_argument("--amazon-token-seconds", type=t.seconds, default=3600,
                   help="how long the Amazon sandbox's access tokens live (token expiry)")
    p.add_argument("--amazon-revoked", action="store_true",
                   help="the Amazon sandbox refuses the refresh token (invalid_grant), as after a revoked grant")
    p.add_argument("--seed", type=t.seed, default=7)
    p.add_argument("--latency-ms", type=t.milliseconds, default=0, help="added to every answer")
    p.add_argument("--http-429-rate", type=t.fraction, default=0.0, help="share of calls answered 429 (0..1)")
    p.add_argument("--http-5xx-rate", type=t.fraction, default=0.0, help="share of calls answered 5xx (0..1)")
    p.add_argument("--drop-after-store-rate", type=t.fraction, default=0.0,
                   help="share of supplier creates stored and then left unanswered (connection dropped)")
    p.add_argument("--error-before-store-rate", type=t.fraction, default=0.0,
                   help="share of supplier creates answered with an HTML 5xx page before storing")
    p.add_argument("--quirk-rate", type=t.fraction, default=0.0,
                   help="share of supplier calls answered with a known BigBuy quirk (errors in a 200, ...)")
    p.add_argument("--burst-429", type=t.count, default=0,
                   help="supplier answers 429 to this many calls in a row, now and then")
    p.add_argument("--empty-wallet", action="store_true", help="the supplier wallet starts at 0.00")
    p.add_argument("--wallet", default=None, help="the supplier wallet balance (default: covers 36 orders)")
    p.add_argument("--out-of-stock", nargs="*", default=[], metavar="SKU")
    p.add_argument("--rate-per-second", type=t.rate, default=1.0, help="the supplier's rate limit (0: none)")


def cmd_sandbox(args: argparse.Namespace) -> int:
    from decimal import Decimal, InvalidOperation

    from admin import stack as sandbox_stack
    from sandbox.bigbuy import BigBuyFaults
    from sandbox.server import Faults

    try:
        wallet = Decimal("0") if args.empty_wallet else (Decimal(args.wallet) if args.wallet else None)
    except InvalidOperation:
        raise InputError(f"--wallet must be an amount, got {args.wallet[:40]!r}") from None
    if wallet is not None and (not wallet.is_finite() or wallet < 0 or wallet > Decimal("1e9")):
        raise InputError(f"--wallet must be an amount from 0 to 1000000000, got {args.wallet[:40]!r}")
    channel_faults = Faults(latency_ms=args.latency_ms, http_429_rate=args.http_429_rate,
                            http_5xx_rate=args.http_5xx_rate, seed=args.seed)
    bigbuy_faults = BigBuyFaults(latency_ms=args.latency_ms, http_429_rate=args.http_429_rate,
                                 http_5xx_rate=args.http_5xx_rate, seed=args.seed,
                                 drop_after_store_rate=args.drop_after_store_rate,
                                 error_before_store_rate=args.error_before_store_rate,
                                 quirk_rate=args.quirk_rate, burst_429=args.burst_429)
    amazon = sandbox_stack.amazon_sandbox(seed=args.seed, faults=channel_faults,
                                          token_seconds=args.amazon_token_seconds, revoked=args.amazon_revoked)
    try:
        stack = sandbox_stack.start(wallet=wallet, bigbuy_rate=args.rate_per_second, seed=args.seed,
                                    channel_faults=channel_faults, bigbuy_faults=bigbuy_faults, host=args.host,
                                    ports=(args.shopify_port, args.woocommerce_port, args.bigbuy_port),
                                    shopee_port=args.shopee_port, amazon=amazon, amazon_port=args.amazon_port)
    except OSError as exc:
        raise InputError(f"cannot serve the sandbox on {args.host[:60]}: {exc.strerror or exc}") from None
    if args.out_of_stock:
        stack.bigbuy_app.out_of_stock.update(args.out_of_stock)
    emit(stack.describe())
    # a channel's first pull reaches back 24 hours by default; the seeded orders are older
    print(f"channels added for these shops need --setting first_pull_hours={sandbox_stack.seeds_first_pull_hours()}"
          " to read the seeded orders", file=sys.stderr, flush=True)
    stop = wait_for_signal()
    try:
        stop.wait()
    finally:
        stack.stop()
    return 0
