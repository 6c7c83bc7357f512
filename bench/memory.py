"""A worker's memory over a long run: peak RSS while it ingests and validates 100,000 orders.

    .venv/bin/python bench/memory.py --orders 100000

What is measured is the worker's own path for channel orders, in a child process that does only
that: ``sync.pull.pull_channel`` over HTTP against Shopify sandboxes (the real connector,
its parser, the rules, ``store_page`` into PostgreSQL), one channel after another, the orders
split over ``--channels`` shops (10 by default: a worker serves many shops). Forwarding is not
part of it (at the supplier's 1 request/s, 100,000 orders would take a day). The sandboxes and
their seeded orders live in this (parent) process, so they do not count.

Prints one JSON line: peak_rss_mb (the child's maximum resident set, from
``getrusage(RUSAGE_CHILDREN)``), rss_mb_at_25pct/_50pct/_75pct/_100pct (the child's RSS after
that share of the orders was stored), rss_growth_mb (100% minus 25%: near 0 means flat).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from typing import Any

from _common import emit, fresh_database, log, open_database, parser, quiet_logs, rss_mb

from admin.stack import load_catalogue, seeds_first_pull_hours
from sandbox import seeding
from sandbox.server import Running
from sandbox.shopify import ShopifySandbox
from sync.models import Channel

SCHEMA = "bench_memory"
MARKS = (25, 50, 75, 100)


def parent(args: Any) -> int:
    schema = args.schema or SCHEMA
    db = fresh_database(args.database_url, schema)
    per = [args.orders // args.channels + (1 if n < args.orders % args.channels else 0) for n in range(args.channels)]
    # The worker is started before the orders are seeded in this process: a child's peak RSS as
    # getrusage tells it counts the parent's image at the fork, which must stay small.
    command = [sys.executable, __file__, "--child", "--orders", str(args.orders), "--database-url",
               args.database_url, "--schema", schema]
    worker = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert worker.stdin is not None and worker.stdout is not None
    servers: list[Running] = []
    ids: list[int] = []
    try:
        log(f"seeding {args.orders} orders over {args.channels} Shopify sandboxes")
        with db.session() as session:
            load_catalogue(session)
            for n, count in enumerate(per):
                specs = seeding.bulk("shopify", count, seed=100 + n, first_id=10_000_000 * (n + 1))
                shop = ShopifySandbox(specs, bucket_size=1_000_000, leak_rate=1_000_000.0)
                servers.append(Running(shop).start())
                row = Channel(name=f"shopify-{n}", kind="shopify", role="channel", url=servers[-1].url,
                              credentials=shop.credentials(),
                              settings={"first_pull_hours": seeds_first_pull_hours()})
                session.add(row)
                session.flush()
                ids.append(row.id)
        db.dispose()
        started = time.monotonic()
        out, _ = worker.communicate(json.dumps(ids) + "\n")
        seconds = time.monotonic() - started
        peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # KiB on Linux
    finally:
        if worker.poll() is None:
            worker.kill()
        for server in servers:
            server.stop()
    if worker.returncode != 0:
        log(f"the worker process failed ({worker.returncode})")
        return 1
    seen = json.loads(out.strip().splitlines()[-1])
    samples = seen["samples"]
    emit({
        "bench": "memory", "orders": args.orders, "channels": args.channels, "stored": seen["stored"],
        "path": "pull over HTTP + parse + validate + store_page; no forwarding",
        "peak_rss_mb": round(peak_kb / 1024, 1), "peak_rss_mb_vmhwm": seen["peak_mb"],
        "rss_mb_at_start": seen["rss_mb_at_start"], **{f"rss_mb_at_{m}pct": samples.get(str(m)) for m in MARKS},
        "rss_growth_mb": round(samples["100"] - samples["25"], 1) if "25" in samples and "100" in samples else None,
        "seconds": round(seconds, 1), "orders_per_s": round(seen["stored"] / seen["seconds"], 1),
    })
    return 0


def child(args: Any) -> int:
    """The worker: pull each channel to the end, noting its RSS as the orders go by."""
    quiet_logs()
    from sync import connect, pull
    from sync.db import use_database

    channel_ids = [int(i) for i in json.loads(sys.stdin.readline())]  # once the parent has seeded them
    db = open_database(args.database_url, args.schema or SCHEMA)
    use_database(db)
    samples: dict[str, float] = {}
    done = 0
    start_rss = rss_mb()

    def note(page: Any) -> None:
        nonlocal done
        done += page.inserted + page.updated + page.unchanged + page.quarantined
        for mark in MARKS:
            if str(mark) not in samples and done >= args.orders * mark / 100:
                samples[str(mark)] = round(rss_mb(), 1)
                log(f"{mark}%: {done} orders, rss {samples[str(mark)]} MB, peak so far {peak_mb():.1f} MB")

    log(f"worker ready: rss {start_rss:.1f} MB, peak so far {peak_mb():.1f} MB")
    started = time.monotonic()
    for channel_id in channel_ids:
        pull.pull_channel(db, channel_id, connect.channel_for, after_commit=note)
    seconds = time.monotonic() - started
    connect.forget()
    db.dispose()
    print(json.dumps({"stored": done, "samples": samples, "rss_mb_at_start": round(start_rss, 1),
                      "peak_mb": round(peak_mb(), 1), "seconds": round(seconds, 2)}), flush=True)
    return 0


def peak_mb() -> float:
    """This process's peak resident set so far (Linux VmHWM)."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def main(argv: list[str] | None = None) -> int:
    p = parser(__doc__.splitlines()[0], orders=100_000)
    p.add_argument("--channels", type=int, default=10, help="shops the orders are split over (default 10)")
    p.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    return child(args) if args.child else parent(args)


if __name__ == "__main__":
    sys.exit(main())
