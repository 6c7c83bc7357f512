"""Fault-injection run: N orders through real ``orderhub worker`` processes while things break.

    python bench/chaos.py --orders 5000

The sandbox Shopify and WooCommerce (``seeding.bulk`` orders, split between them) and a faulty
sandbox BigBuy run in this process. BigBuy answers an HTML 5xx before storing 10% of creates,
stores then drops the connection on 5%, and answers bursts of 429. Its rate limit is raised from
BigBuy's 1/s to ``--supplier-rate`` (60/s) so that 5000 orders fit in minutes; the workers pace
themselves below it (``--pace``), through the shared token bucket in Redis.

The pipeline runs on PostgreSQL (database ``orderhub_chaos``, created when missing, its tables
dropped and migrated again on every run) and Redis (db 12, flushed at the start), with
``--workers`` ``orderhub worker`` subprocesses and one ``orderhub scheduler`` subprocess (pulls
every few seconds, the reconciler every few seconds, a short ``stuck_after``). Meanwhile:

- a random worker is SIGKILLed every few seconds, and started again;
- the Redis db is flushed once (every queued message lost) when 30% of the orders are settled;
- PostgreSQL is restarted once (``pg_ctlcluster ... restart``) when 60% are settled.

It ends when every order is settled (sent, shipped, pending_review or cancelled) or at the
deadline, and prints ONE JSON line: ``lost`` (orders on the channels not settled in the database,
never ingested ones included) and ``duplicates_at_supplier`` (orders whose content BigBuy holds
twice) must both be 0. Progress goes to stderr; worker logs to ``--logs``.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from admin import stack as sandbox_stack  # noqa: E402
from sandbox import seeding  # noqa: E402
from sandbox.bigbuy import BigBuyFaults  # noqa: E402
from sync.db import Database  # noqa: E402
from sync.models import Order, OrderIssue, SupplierOrderRow  # noqa: E402

DEFAULT_DATABASE_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/orderhub_chaos"
#: a Redis database of its own: the tests use 15 (and 13 for their chaos run), the benchmarks 14
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/12"
SETTLED = ("sent", "shipped", "pending_review", "cancelled")
#: counters read from every worker's /metrics, summed over every process that ever ran
SCRAPED = ("orderhub_reconciler_reenqueued_total", "orderhub_orders_forwarded_total", "orderhub_http_429_total",
           "orderhub_rate_limiter_wait_seconds_sum", "dramatiq_message_errors_total",
           "dramatiq_message_retries_total")


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--orders", type=int, default=5000)
    p.add_argument("--workers", type=int, default=3, help="orderhub worker processes")
    p.add_argument("--threads", type=int, default=8, help="threads per worker process")
    p.add_argument("--deadline", type=float, default=600.0, help="seconds before giving up")
    p.add_argument("--database-url", default=DEFAULT_DATABASE_URL)
    p.add_argument("--redis-url", default=DEFAULT_REDIS_URL)
    p.add_argument("--supplier-rate", type=float, default=60.0, help="the sandbox BigBuy's rate limit (calls/s)")
    p.add_argument("--pace", type=float, default=0.0, help="the workers' pace (default: 85%% of the limit)")
    p.add_argument("--kill-every", type=float, nargs=2, default=(4.0, 12.0), metavar=("MIN", "MAX"),
                   help="seconds between two SIGKILLs of a worker")
    p.add_argument("--flush-at", type=float, default=0.3, help="flush Redis when this share is settled (<0: never)")
    p.add_argument("--pg-restart-at", type=float, default=0.6,
                   help="restart PostgreSQL when this share is settled (<0: never)")
    p.add_argument("--pg-restart-cmd", default="", help="default: pg_ctlcluster <version> main restart")
    p.add_argument("--stuck-after", type=int, default=8, help="ORDERHUB_STUCK_AFTER_SECONDS for the workers")
    p.add_argument("--reconcile-every", type=int, default=3)
    p.add_argument("--pull-every", type=int, default=5)
    p.add_argument("--seed", type=int, default=11)
    p.add_argument("--logs", default="", help="where worker logs go (default: a new temporary folder)")
    p.add_argument("--log-level", default="WARNING", help="the workers' log level")
    return p.parse_args(argv)


# Set-up ---------------------------------------------------------------------------------------


def fresh_database(url: str) -> Database:
    """The run's own database, created when missing, with empty tables built by the migrations."""
    from sync.migrate import upgrade

    name = make_url(url).database
    admin = Database(make_url(url).set(database="postgres").render_as_string(hide_password=False),
                     pool_size=1, isolation_level="AUTOCOMMIT")
    with admin.engine.connect() as conn:
        if not conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}):
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    db = Database(url, pool_size=2)
    with db.engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    upgrade(db)
    return db


def channel_orders(total: int, seed: int) -> tuple[list[seeding.OrderSpec], list[seeding.OrderSpec]]:
    shopify = seeding.bulk("shopify", total // 2, seed=seed)
    woo = seeding.bulk("woocommerce", total - total // 2, seed=seed, first_id=2_000_001)
    for spec in shopify + woo:
        # the supplier sandbox counts duplicates by content: make every order's content its own
        spec.address2 = f"Door {spec.order_id}"
    return shopify, woo


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# The processes --------------------------------------------------------------------------------


@dataclass
class Proc:
    name: str
    argv: list[str]
    env: dict[str, str]
    log_path: Path
    port: int = 0
    popen: subprocess.Popen[bytes] | None = None
    incarnation: int = 0
    restart_at: float | None = None

    def start(self) -> None:
        self.incarnation += 1
        with open(self.log_path, "ab") as out:
            self.popen = subprocess.Popen(self.argv, env=self.env, cwd=REPO, stdout=out, stderr=out,
                                          stdin=subprocess.DEVNULL, start_new_session=True)
        self.restart_at = None

    @property
    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def kill(self) -> None:
        if self.popen is not None and self.popen.poll() is None:
            self.popen.send_signal(signal.SIGKILL)
            self.popen.wait()

    def stop(self, grace: float = 10.0) -> None:
        if self.popen is None or self.popen.poll() is not None:
            return
        self.popen.send_signal(signal.SIGTERM)
        try:
            self.popen.wait(grace)
        except subprocess.TimeoutExpired:
            self.kill()


@dataclass
class Scraper:
    """The last value of each ``SCRAPED`` counter per process incarnation: a SIGKILLed worker's
    counters die with it, so the totals are lower bounds (what was seen before each kill)."""

    seen: dict[tuple[str, int], dict[str, float]] = field(default_factory=dict)

    def scrape(self, proc: Proc) -> None:
        from prometheus_client.parser import text_string_to_metric_families

        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{proc.port}/metrics", timeout=1.0) as answer:
                body = answer.read().decode()
        except OSError:
            return
        values: dict[str, float] = {}
        for family in text_string_to_metric_families(body):
            for sample in family.samples:
                if sample.name in SCRAPED:
                    values[sample.name] = values.get(sample.name, 0.0) + float(sample.value)
        self.seen[(proc.name, proc.incarnation)] = values

    def totals(self) -> dict[str, float]:
        out: dict[str, float] = {}
        for values in self.seen.values():
            for name, value in values.items():
                out[name] = out.get(name, 0.0) + value
        return out


def restart_postgres(command: str) -> str:
    argv = command.split() if command else [
        "pg_ctlcluster", "--skip-systemctl-redirect", sorted(os.listdir("/etc/postgresql"))[-1], "main", "restart"]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} failed: {done.stderr.strip()[:300]}")
    return " ".join(argv)




def settled_count(db: Database) -> tuple[int, dict[str, int]] | None:
    try:
        with db.session() as s:
            by_status = {k: int(v) for k, v in s.execute(select(Order.status, func.count()).group_by(Order.status))}
    except Exception:  # PostgreSQL is restarting: ask again next time
        return None
    return sum(by_status.get(k, 0) for k in SETTLED), by_status


# The run --------------------------------------------------------------------------------------


def run(args: argparse.Namespace) -> dict[str, Any]:
    import redis

    rng = random.Random(args.seed)
    started = time.monotonic()
    pace = args.pace or round(args.supplier_rate * 0.85, 2)
    logs = Path(args.logs or tempfile.mkdtemp(prefix="orderhub-chaos-"))
    logs.mkdir(parents=True, exist_ok=True)
    db = fresh_database(args.database_url)
    broker = redis.Redis.from_url(args.redis_url)
    broker.flushdb()
    shopify, woo = channel_orders(args.orders, args.seed)
    faults = BigBuyFaults(error_before_store_rate=0.10, drop_after_store_rate=0.05, burst_429=3, burst_every=200,
                          seed=args.seed)
    stack = sandbox_stack.start(shopify_orders=shopify, woocommerce_orders=woo, bigbuy_rate=args.supplier_rate,
                                bigbuy_faults=faults, wallet=seeding.wallet_for(2 * args.orders), seed=args.seed)
    sandbox_stack.register(db, stack, supplier_rate=pace, channel_settings={"pull_every_seconds": args.pull_every})
    log(f"{args.orders} orders on the sandbox channels; BigBuy sandbox limit raised to {args.supplier_rate}/s "
        f"(BigBuy's own: 1/s), workers paced at {pace}/s; logs in {logs}")

    env = {**os.environ, "ORDERHUB_DATABASE_URL": args.database_url, "ORDERHUB_BROKER_URL": args.redis_url,
           "ORDERHUB_RATELIMIT_URL": args.redis_url, "ORDERHUB_STUCK_AFTER_SECONDS": str(args.stuck_after),
           "ORDERHUB_RECONCILE_EVERY_SECONDS": str(args.reconcile_every), "ORDERHUB_TRACK_EVERY_SECONDS": "3600",
           "ORDERHUB_LOG_LEVEL": args.log_level, "PYTHONPATH": str(REPO)}
    cli = [sys.executable, "-m", "admin.cli"]
    workers = []
    for i in range(args.workers):
        port = free_port()
        workers.append(Proc(f"worker-{i}", [*cli, "worker", "--threads", str(args.threads), "--metrics-port",
                                            str(port), "--metrics-host", "127.0.0.1"], env,
                            logs / f"worker-{i}.log", port=port))
    scheduler = Proc("scheduler", [*cli, "scheduler"], env, logs / "scheduler.log")
    scraper = Scraper()
    figures: dict[str, Any] = {"kills": 0, "worker_crashes": 0, "scheduler_restarts": 0, "redis_flushes": 0,
                               "postgres_restarts": 0}
    notes: list[str] = []
    try:
        for proc in [*workers, scheduler]:
            proc.start()
        next_kill = time.monotonic() + rng.uniform(*args.kill_every)
        last_scrape = last_report = 0.0
        settled, by_status = 0, dict[str, int]()
        while time.monotonic() - started < args.deadline:
            time.sleep(0.25)
            now = time.monotonic()
            counted = settled_count(db)
            if counted is not None:
                settled, by_status = counted
            share = settled / max(1, args.orders)
            if settled >= args.orders and figures["redis_flushes"] + figures["postgres_restarts"] >= _faults(args):
                break
            # workers: SIGKILL one now and then, start the dead ones again
            for proc in workers:
                if proc.alive or proc.popen is None:
                    continue
                if proc.restart_at is None:  # it died without being killed
                    figures["worker_crashes"] += 1
                    notes.append(f"{proc.name} exited with {proc.popen.returncode}")
                    proc.restart_at = now
                if now >= proc.restart_at:
                    proc.start()
            if now >= next_kill:
                victims = [p for p in workers if p.alive]
                if victims:
                    victim = rng.choice(victims)
                    scraper.scrape(victim)
                    victim.kill()
                    victim.restart_at = now + rng.uniform(0.3, 2.0)
                    figures["kills"] += 1
                next_kill = now + rng.uniform(*args.kill_every)
            if not scheduler.alive:
                figures["scheduler_restarts"] += 1
                notes.append(f"scheduler exited with {scheduler.popen.returncode if scheduler.popen else None}")
                scheduler.start()
            # the two big faults, once each
            if 0 <= args.flush_at <= share and not figures["redis_flushes"]:
                log(f"FLUSHDB on {args.redis_url} at {settled}/{args.orders} settled: every queued message is lost")
                broker.flushdb()
                figures["redis_flushes"] += 1
            elif 0 <= args.pg_restart_at <= share and not figures["postgres_restarts"]:
                log(f"restarting PostgreSQL at {settled}/{args.orders} settled")
                t0 = time.monotonic()
                try:
                    figures["postgres_restart_cmd"] = restart_postgres(args.pg_restart_cmd)
                    db.wait_until_reachable()
                    figures["postgres_restarts"] += 1
                    figures["postgres_down_seconds"] = round(time.monotonic() - t0, 1)
                except Exception as exc:
                    notes.append(f"PostgreSQL restart failed: {exc}")
                    args.pg_restart_at = -1.0
            if now - last_scrape > 2:
                last_scrape = now
                for proc in workers:
                    if proc.alive:
                        scraper.scrape(proc)
            if now - last_report > 10:
                last_report = now
                log(f"{settled}/{args.orders} settled {dict(sorted(by_status.items()))}; kills {figures['kills']}")
        for proc in workers:
            if proc.alive:
                scraper.scrape(proc)
    finally:
        for proc in [scheduler, *workers]:
            proc.stop()
        stack.stop()
    return summarise(args, db, stack, figures, scraper, notes, started, pace, logs)


def _faults(args: argparse.Namespace) -> int:
    """How many of the once-only faults this run still has to apply before it may end."""
    return int(args.flush_at >= 0) + int(args.pg_restart_at >= 0)


def _held_after_lookup(s: Any) -> int:
    found = select(SupplierOrderRow.order_id).where(SupplierOrderRow.source == "lookup")
    flagged = select(OrderIssue.order_id).where(OrderIssue.code == "supplier_rejected", OrderIssue.closed_at.is_(None))
    return int(s.scalar(select(func.count()).select_from(Order).where(
        Order.status == "pending_review", Order.id.in_(found), Order.id.in_(flagged))) or 0)


def summarise(args: argparse.Namespace, db: Database, stack: sandbox_stack.SandboxStack, figures: dict[str, Any],
              scraper: Scraper, notes: list[str], started: float, pace: float, logs: Path) -> dict[str, Any]:
    db.wait_until_reachable()
    with db.session() as s:
        by_status = {k: int(v) for k, v in s.execute(select(Order.status, func.count()).group_by(Order.status))}
        recorded = set(s.scalars(select(SupplierOrderRow.internal_reference)))
        found_by_lookup = s.scalar(select(func.count()).select_from(SupplierOrderRow)
                                   .where(SupplierOrderRow.source == "lookup")) or 0
        held_after_lookup = _held_after_lookup(s)
        ingested = sum(by_status.values())
    state = stack.bigbuy_app.state()
    with stack.bigbuy_app.lock:
        at_supplier = set(stack.bigbuy_app.orders_by_reference)
    settled = sum(by_status.get(k, 0) for k in SETTLED)
    sent = by_status.get("sent", 0) + by_status.get("shipped", 0)
    scraped = scraper.totals()
    return {
        "orders": args.orders,
        "sent": sent,
        "pending_review": by_status.get("pending_review", 0),
        "lost": args.orders - settled,
        "duplicates_at_supplier": state["duplicates"],
        "kills": figures["kills"],
        "seconds": round(time.monotonic() - started, 1),
        "ingested": ingested,
        "by_status": dict(sorted(by_status.items())),
        "supplier_orders": state["orders"],
        "supplier_references": state["references"],
        # orders the supplier holds that the database does not know it sent: must be 0 too
        "unrecorded_at_supplier": len(at_supplier - recorded),
        "found_by_lookup": int(found_by_lookup),
        # split orders whose look-up (after a lost answer) found only one warehouse's order: held
        # for an operator as supplier_rejected, never settled as sent on part of their lines
        "held_after_lookup": held_after_lookup,
        "supplier_calls": stack.bigbuy_app.requests,
        "supplier_calls_per_sent": round(stack.bigbuy_app.requests / sent, 2) if sent else None,
        "redis_flushes": figures["redis_flushes"],
        "postgres_restarts": figures["postgres_restarts"],
        "postgres_down_seconds": figures.get("postgres_down_seconds"),
        "worker_crashes": figures["worker_crashes"],
        "scheduler_restarts": figures["scheduler_restarts"],
        "reconciler_reenqueued": int(scraped.get("orderhub_reconciler_reenqueued_total", 0)),
        "scraped_lower_bounds": {k: round(v, 1) for k, v in sorted(scraped.items())},
        "workers": args.workers,
        "threads": args.threads,
        "supplier_rate_limit": args.supplier_rate,
        "pace": pace,
        "note": f"BigBuy sandbox rate limit raised from BigBuy's 1/s to {args.supplier_rate}/s so the run fits in "
                "minutes; faults: 10% 5xx before storing creates, 5% stored then connection dropped, 429 bursts",
        "notes": notes,
        "logs": str(logs),
        "wallet": str(Decimal(state["wallet"])),
    }


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    figures = run(args)
    print(json.dumps(figures, default=str), flush=True)
    return 0 if figures["lost"] == 0 and figures["duplicates_at_supplier"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
