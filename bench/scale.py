"""Scaling out: the whole pipeline for many sellers with 1, 2 and 4 ``orderhub worker`` processes.

    .venv/bin/python bench/scale.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/test_h2 \
        --redis-url redis://127.0.0.1:6379/2                    # 20 channels x 2,000 orders, 4 accounts

``--channels`` sandbox shops (Shopify and WooCommerce in turn, ``seeding.bulk`` orders, every one
clean) are served in this process, with ``--accounts`` sandbox BigBuy servers: one per supplier
account, each with its own rate limit (``--supplier-rate`` calls per second, BigBuy's own is 1;
0 = no limit), its own wallet and its own order store. Channel ``i`` forwards to account
``i % accounts``, so 20 channels on 4 accounts are 5 sellers' shops per account.

For each worker count: a fresh schema (``bench_scale``) on PostgreSQL, the Redis db flushed (it
is the broker and holds the shared rate buckets), the workers started as real processes (as
production runs them, with one ``orderhub scheduler`` for the reconciler), then one
``pull_channel`` message per channel (what the scheduler sends) starts the clock. The clock stops
when every order is at its supplier account (``sent``) or at ``--deadline``.

Prints ONE JSON line: ``orders_per_s`` per worker count; ``lost`` (orders on the channels that did
not reach their account, summed over the runs; vanished, unsent or sent to the wrong account);
``duplicates_at_supplier`` (a supplier order created twice for one order: the sandbox's own count
of the same content twice, plus references held by two accounts); ``rate_used`` per account (its
supplier calls per second from its first call to its last, largest over the runs) beside
``rate_limit``; per run: seconds, orders, supplier calls and 429s per account, the busiest second
of each account, CPU seconds of the workers, and the load average. Progress goes to stderr.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from _common import REPO, emit, fresh_database, is_postgres, log, proc_cpu_s, service_cpu_s
from sqlalchemy import func, select
from sqlalchemy.engine import make_url
from sqlalchemy.orm import aliased

from admin.stack import load_catalogue, seeds_first_pull_hours
from sandbox import seeding
from sandbox.bigbuy import BigBuySandbox
from sandbox.server import Request, Response, Running
from sandbox.shopify import ShopifySandbox
from sandbox.woocommerce import WooCommerceSandbox
from sync.db import Database
from sync.models import Channel, Order, SupplierOrderRow

DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/14"
#: the sandbox BigBuy lets a call in this much early (``sandbox.bigbuy._TOLERANCE``)
TOLERANCE = 0.05


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--channels", type=int, default=20)
    p.add_argument("--orders-per-channel", type=int, default=2000)
    p.add_argument("--accounts", type=int, default=4, help="supplier accounts (channels are spread over them)")
    p.add_argument("--workers", default="1,2,4", help="worker process counts to run, e.g. 1,2,4")
    p.add_argument("--threads", type=int, default=4, help="threads per worker process (default: the worker's own, 4)")
    p.add_argument("--supplier-rate", type=float, default=0.0,
                   help="each account's rate limit at the sandbox, calls/s (BigBuy: 1; 0: no limit)")
    p.add_argument("--pace", type=float, default=0.0,
                   help="what the engine paces each account at (default: 90%% of the limit; 100/s with no limit)")
    p.add_argument("--deadline", type=float, default=900.0, help="seconds per run before giving up")
    p.add_argument("--database-url", default=os.environ.get("ORDERHUB_TEST_DATABASE_URL", ""),
                   help="PostgreSQL (default: $ORDERHUB_TEST_DATABASE_URL); the run works in schema bench_scale")
    p.add_argument("--redis-url", default=os.environ.get("ORDERHUB_TEST_REDIS_URL") or DEFAULT_REDIS_URL,
                   help="a Redis db of the benchmark's own: it is flushed before each run")
    p.add_argument("--schema", default="bench_scale", help="the PostgreSQL schema the run (re)creates")
    p.add_argument("--profile", default="", help="a folder: each worker runs under cProfile, its stats written there")
    p.add_argument("--logs", default="", help="where worker logs go (default: a new temporary folder)")
    args = p.parse_args(argv)
    if not is_postgres(args.database_url):
        p.error("--database-url: a PostgreSQL URL (worker processes on many machines share one PostgreSQL)")
    return args


class MeteredBigBuy(BigBuySandbox):
    """The sandbox BigBuy, noting when each API call it took arrived, and how many it refused (429)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.calls: list[float] = []
        self.throttled = 0

    def dispatch(self, request: Request) -> Response:
        arrived = time.time()
        response = super().dispatch(request)
        if request.path.startswith("/rest/"):
            with self.lock:
                if response.status == 429:
                    self.throttled += 1
                else:
                    self.calls.append(arrived)
        return response


class ReadOnlyShopify(ShopifySandbox):
    """A shop whose orders nothing changes during the benchmark, each rendered once before the
    clock starts: a platform renders its pages on its own servers, not on the cores measured here
    (rendering 40,000 orders in this one process during the pulls held back every run's start)."""

    def __init__(self, specs: list[seeding.OrderSpec]) -> None:
        super().__init__(specs)
        self._rendered = {spec.order_id: super(ReadOnlyShopify, self)._render_spec(spec) for spec in specs}

    def _render_spec(self, spec: seeding.OrderSpec) -> dict[str, Any]:
        changed = spec.order_id in self._order_fulfillments or spec.order_id in self.refunds
        return (None if changed else self._rendered.get(spec.order_id)) or super()._render_spec(spec)


class ReadOnlyWooCommerce(WooCommerceSandbox):
    """As ``ReadOnlyShopify``, for WooCommerce."""

    def __init__(self, specs: list[seeding.OrderSpec]) -> None:
        super().__init__(specs)
        self._rendered = {spec.order_id: super(ReadOnlyWooCommerce, self).render(spec) for spec in specs}

    def render(self, spec: seeding.OrderSpec) -> dict[str, Any]:
        changed = spec.order_id in self._status  # the engine wrote a status back
        return (None if changed else self._rendered.get(spec.order_id)) or super().render(spec)


@dataclass
class Shops:
    """The channels' sandboxes: read only, so served once for every run."""

    running: list[Running] = field(default_factory=list)
    kinds: list[str] = field(default_factory=list)
    expected: int = 0

    def stop(self) -> None:
        for server in self.running:
            server.stop()


def start_shops(args: argparse.Namespace) -> Shops:
    shops = Shops()
    for i in range(args.channels):
        kind = "shopify" if i % 2 == 0 else "woocommerce"
        specs = seeding.bulk(kind, args.orders_per_channel, seed=11 + i, first_id=1_000_001 + i * 1_000_000)
        for spec in specs:  # the supplier counts a duplicate by content: every order's is its own
            spec.address2 = f"Door {i}-{spec.order_id}"
        app = ReadOnlyShopify(specs) if kind == "shopify" else ReadOnlyWooCommerce(specs)
        shops.running.append(Running(app, "127.0.0.1", 0).start())
        shops.kinds.append(kind)
        shops.expected += len(specs)
    return shops


def register(db: Database, shops: Shops, suppliers: list[Running], pace: float) -> None:
    with db.session() as session:
        for n, server in enumerate(suppliers):
            session.add(Channel(name=account_name(n), kind="bigbuy", role="supplier", url=server.url,
                                credentials={"api_key": server.app.api_key},  # type: ignore[attr-defined]
                                settings={"rate_per_second": pace, "carriers": ["gls", "correos"], "language": "en"}))
        for i, (server, kind) in enumerate(zip(shops.running, shops.kinds, strict=True)):
            credentials = {k: v for k, v in server.app.credentials().items() if k != "url"}  # type: ignore[attr-defined]
            session.add(Channel(name=f"{kind}-{i:02d}", kind=kind, role="channel", url=server.url,
                                credentials=credentials,
                                settings={"supplier_account": account_name(i % len(suppliers)),
                                          "pull_every_seconds": 86_400, "first_pull_hours": seeds_first_pull_hours()}))
        load_catalogue(session)


def account_name(n: int) -> str:
    return f"bigbuy-{n + 1}"


# The processes --------------------------------------------------------------------------------


def worker_env(args: argparse.Namespace) -> dict[str, str]:
    url = make_url(args.database_url).update_query_dict({"options": f"-csearch_path={args.schema}"})
    return {**os.environ, "ORDERHUB_DATABASE_URL": url.render_as_string(hide_password=False),
            "ORDERHUB_BROKER_URL": args.redis_url, "ORDERHUB_RATELIMIT_URL": args.redis_url,
            "ORDERHUB_LOG_LEVEL": "WARNING", "ORDERHUB_RECONCILE_EVERY_SECONDS": "30",
            "ORDERHUB_TRACK_EVERY_SECONDS": "86400", "PYTHONPATH": str(REPO)}


@contextmanager
def processes(args: argparse.Namespace, count: int, logs: Path) -> Iterator[list[subprocess.Popen[bytes]]]:
    """``count`` workers and one scheduler, each a process of its own; stopped with SIGTERM."""
    cli = [sys.executable, "-m", "admin.cli"]
    env = worker_env(args)
    started: list[subprocess.Popen[bytes]] = []
    try:
        worker = [*cli, "worker", "--threads", str(args.threads)]
        for n, argv in enumerate([worker] * count + [[*cli, "scheduler"]]):
            if args.profile and n < count:
                argv = [sys.executable, "-m", "cProfile", "-o", f"{args.profile}/worker-{count}-{n}.prof",
                        "-m", "admin.cli", *argv[3:]]
            with open(logs / f"run{count}-{n}.log", "wb") as out:
                started.append(subprocess.Popen(argv, env=env, cwd=REPO, stdout=out, stderr=out,
                                                stdin=subprocess.DEVNULL, start_new_session=True))
        _wait_ready(logs, count, started)
        yield started  # the workers, then the scheduler
    finally:
        for proc in started:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in started:
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def _wait_ready(logs: Path, count: int, started: list[subprocess.Popen[bytes]]) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        dead = [p for p in started if p.poll() is not None]
        if dead:
            raise RuntimeError(f"a process exited with {dead[0].returncode}: see {logs}")
        ready = sum("worker running" in (logs / f"run{count}-{n}.log").read_text(errors="replace")
                    for n in range(count))
        if ready == count:
            return
        time.sleep(0.2)
    raise RuntimeError(f"the workers did not start within 120 s: see {logs}")


def send_pulls(db: Database, redis_url: str) -> None:
    """One pull message per channel, as the scheduler sends them, through the shared broker."""
    from dramatiq.brokers.redis import RedisBroker

    broker = RedisBroker(url=redis_url)
    with db.session() as session:
        ids = list(session.scalars(select(Channel.id).where(Channel.role == "channel").order_by(Channel.id)))
    import dramatiq

    for channel_id in ids:
        broker.enqueue(dramatiq.Message(queue_name="pull", actor_name="pull_channel", args=(channel_id,),
                                        kwargs={}, options={}))
    broker.close()


# One run --------------------------------------------------------------------------------------


def one_run(args: argparse.Namespace, shops: Shops, count: int, pace: float, logs: Path) -> dict[str, Any]:
    import redis

    db = fresh_database(args.database_url, args.schema, pool_size=2)
    redis.Redis.from_url(args.redis_url).flushdb()
    suppliers = [Running(MeteredBigBuy(api_key=f"bb-key-{n}", rate_per_second=args.supplier_rate,
                                       wallet=seeding.wallet_for(2 * shops.expected)), "127.0.0.1", 0).start()
                 for n in range(args.accounts)]
    try:
        register(db, shops, suppliers, pace)
        with processes(args, count, logs) as procs:
            before = _cpu_split(procs)
            started = time.monotonic()
            send_pulls(db, args.redis_url)
            sent, seconds = _until_sent(db, shops.expected, started, args.deadline, count)
            cpu = {k: round(v - before[k], 1) for k, v in _cpu_split(procs).items()}
        return _figures(db, shops, suppliers, count, sent, seconds, cpu)
    finally:
        for server in suppliers:
            server.stop()
        db.dispose()


def _cpu_split(procs: list[subprocess.Popen[bytes]]) -> dict[str, float]:
    """CPU seconds so far, by who spent them: where the machine's cores went during a run."""
    return {"workers": sum(proc_cpu_s(p.pid) for p in procs[:-1]), "scheduler": proc_cpu_s(procs[-1].pid),
            "postgres": service_cpu_s("postgres"), "redis": service_cpu_s("redis-server"),
            "sandboxes": time.process_time()}  # this process: the shops' and the suppliers' servers


def _until_sent(db: Database, expected: int, started: float, deadline: float, count: int) -> tuple[int, float]:
    sent, last_report = 0, 0.0
    while time.monotonic() - started < deadline:
        time.sleep(0.5)  # each count is PostgreSQL's work too: not more often than needed
        with db.session() as session:
            sent = int(session.scalar(select(func.count()).select_from(Order).where(Order.status == "sent")) or 0)
        now = time.monotonic()
        if sent >= expected:
            break
        if now - last_report > 10:
            last_report = now
            log(f"{count} worker(s): {sent}/{expected} sent after {now - started:.0f} s")
    return sent, time.monotonic() - started


def _figures(db: Database, shops: Shops, suppliers: list[Running], count: int, sent: int,
             seconds: float, cpu: dict[str, float]) -> dict[str, Any]:
    apps: list[MeteredBigBuy] = [s.app for s in suppliers]  # type: ignore[misc]
    with db.session() as session:
        shop = aliased(Channel)
        placed = session.execute(select(SupplierOrderRow.order_id, SupplierOrderRow.internal_reference, Channel.name,
                                        shop.settings)
                                 .join(Channel, Channel.id == SupplierOrderRow.supplier_id)
                                 .join(Order, Order.id == SupplierOrderRow.order_id)
                                 .join(shop, shop.id == Order.channel_id)
                                 .where(Order.status == "sent")).all()
        stored = int(session.scalar(select(func.count()).select_from(Order)) or 0)
    holders: dict[str, list[str]] = {}
    for n, app in enumerate(apps):
        with app.lock:
            for reference in app.orders_by_reference:
                holders.setdefault(reference, []).append(account_name(n))
    # sent, at the account the database recorded (its channel's), and held there by the supplier
    # (a split order is several supplier orders under one reference: counted once)
    arrived = len({order_id for order_id, reference, account, settings in placed
                   if holders.get(reference) == [account] == [settings["supplier_account"]]})
    return {
        "workers": count, "seconds": round(seconds, 1), "orders": shops.expected, "ingested": stored, "sent": sent,
        "orders_per_s": round(sent / seconds, 1) if seconds else None,
        "lost": shops.expected - arrived,
        "duplicates_at_supplier": sum(a.state()["duplicates"] for a in apps)
        + sum(1 for accounts in holders.values() if len(accounts) > 1),
        "accounts": {account_name(n): _account_figures(app) for n, app in enumerate(apps)},
        "worker_cpu_s": cpu["workers"],
        # the cores' time during the run by who spent it, and per order (ms): which one bounds it
        "cpu_s": cpu, "cpu_ms_per_order": {k: round(v * 1000 / max(sent, 1), 2) for k, v in cpu.items()},
        "loadavg": [round(x, 2) for x in os.getloadavg()],
    }


def _account_figures(app: MeteredBigBuy) -> dict[str, Any]:
    with app.lock:
        calls = sorted(app.calls)
        throttled = app.throttled
    span = calls[-1] - calls[0] if len(calls) > 1 else 0.0
    busiest, j = 0, 0
    for i, at in enumerate(calls):  # the most calls taken inside any one second (less the
        while calls[j] <= at - 1.0 + TOLERANCE:  # sandbox's tolerance for the client's clock)
            j += 1
        busiest = max(busiest, i - j + 1)
    return {"calls": len(calls), "http_429": throttled, "supplier_orders": len(app.orders),
            "rate_used": round(len(calls) / span, 2) if span else None, "busiest_second": busiest}


# The runs -------------------------------------------------------------------------------------


def run(args: argparse.Namespace) -> dict[str, Any]:
    counts = [int(n) for n in args.workers.split(",") if n.strip()]
    pace = args.pace or (round(args.supplier_rate * 0.9, 3) if args.supplier_rate > 0 else 100.0)
    logs = Path(args.logs or tempfile.mkdtemp(prefix="orderhub-scale-"))
    logs.mkdir(parents=True, exist_ok=True)
    shops = start_shops(args)
    log(f"{args.channels} channels x {args.orders_per_channel} orders on {args.accounts} supplier accounts, "
        f"limit {args.supplier_rate or 'none'}/s per account, paced at {pace}/s; logs in {logs}")
    runs: list[dict[str, Any]] = []
    own_cpu = time.process_time()
    try:
        for count in counts:
            runs.append(one_run(args, shops, count, pace, logs))
            log(f"{count} worker(s): {runs[-1]['orders_per_s']} orders/s, lost {runs[-1]['lost']}")
    finally:
        shops.stop()
    return summary(args, runs, pace, time.process_time() - own_cpu)


def summary(args: argparse.Namespace, runs: list[dict[str, Any]], pace: float, own_cpu: float) -> dict[str, Any]:
    per_s = {str(r["workers"]): r["orders_per_s"] for r in runs}
    rate_used: dict[str, float] = {}
    for r in runs:
        for account, figures in r["accounts"].items():
            rate_used[account] = max(rate_used.get(account, 0.0), figures["rate_used"] or 0.0)
    base = per_s.get("1")
    return {
        "orders_per_s": per_s,
        "lost": sum(r["lost"] for r in runs),
        "duplicates_at_supplier": sum(r["duplicates_at_supplier"] for r in runs),
        "rate_used": rate_used,
        "rate_limit": args.supplier_rate or None,
        "pace": pace,
        "speedup": {k: round(v / base, 2) for k, v in per_s.items()} if base else None,
        "channels": args.channels, "orders_per_channel": args.orders_per_channel, "accounts": args.accounts,
        "threads": args.threads, "cores": os.cpu_count(),
        # with BigBuy's own limit, what the accounts allow together is the bound, not the workers
        "supplier_allows_orders_per_s": args.supplier_rate * args.accounts or None,
        "sandboxes_cpu_s": round(own_cpu, 1),
        "runs": runs,
    }


def main(argv: list[str] | None = None) -> int:
    from admin.logs import configure

    configure("WARNING")
    # stopped from outside: the servers and the worker processes are stopped on the way out
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    figures = run(parse(argv))
    emit(figures)
    return 0 if figures["lost"] == 0 and figures["duplicates_at_supplier"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
