"""Each benchmark script, run tiny as its own process: it prints exactly one JSON line on stdout,
with the documented keys and values that make sense. Never a time: these are not timed tests.

On PostgreSQL (ORDERHUB_TEST_DATABASE_URL) each run uses a schema of its own (``smoke_*``); without
it the benchmarks that can run on SQLite do, and the ingest one (COPY) is skipped.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
PG_URL = os.environ.get("ORDERHUB_TEST_DATABASE_URL", "")
REDIS_URL = os.environ.get("ORDERHUB_TEST_REDIS_URL", "")


def run(script: str, tmp_path: Path, *args: str, needs_postgres: bool = False) -> dict[str, Any]:
    if needs_postgres and not PG_URL:
        pytest.skip("needs PostgreSQL (ORDERHUB_TEST_DATABASE_URL)")
    name = Path(script).stem
    database = ["--database-url", PG_URL, "--schema", f"smoke_{name}"] if PG_URL else [
        "--database-url", f"sqlite:///{tmp_path / f'{name}.sqlite3'}"]
    try:
        done = subprocess.run([sys.executable, str(REPO / "bench" / script), *args, *database], cwd=REPO,
                              capture_output=True, text=True, timeout=240, check=False)
    finally:
        if PG_URL:
            drop_schema(f"smoke_{name}")
    assert done.returncode == 0, done.stderr[-3000:]
    lines = [line for line in done.stdout.splitlines() if line.strip()]
    assert len(lines) == 1, f"stdout must be one JSON line, got: {done.stdout[-2000:]!r}"
    figures = json.loads(lines[0])
    assert isinstance(figures, dict)
    return figures


def drop_schema(schema: str) -> None:
    import psycopg

    with psycopg.connect("postgresql://" + PG_URL.split("://", 1)[1], autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def has(figures: dict[str, Any], *keys: str) -> None:
    missing = [k for k in keys if k not in figures]
    assert not missing, f"missing keys {missing} in {figures}"


def test_ingest_prints_throughput_against_copy(tmp_path: Path) -> None:
    f = run("ingest.py", tmp_path, "--orders", "600", needs_postgres=True)
    has(f, "orders", "stored", "orders_per_s", "copy_orders_per_s", "ratio", "seconds", "copy_seconds")
    assert f["orders"] == f["stored"] == 600
    assert f["lines"] >= 600 and f["customers"] >= 1
    assert f["orders_per_s"] > 0 and f["copy_orders_per_s"] > 0
    assert f["ratio"] == pytest.approx(f["orders_per_s"] / f["copy_orders_per_s"], rel=0.01)
    # the re-sync of the same orders passes every one over and rewrites nothing
    has(f, "resync_seconds", "resync_share")
    assert f["resync_unchanged"] == 600 and f["resync_rewrote"] is False


def test_forward_prints_calls_per_order_rate_used_and_latency(tmp_path: Path) -> None:
    broker = ["--broker", "redis", "--redis-url", REDIS_URL] if REDIS_URL and PG_URL else ["--broker", "stub"]
    f = run("forward.py", tmp_path, "--orders", "12", "--rate", "40", "--threads", "2", "--timeout", "120", *broker)
    has(f, "supplier_calls_per_order", "rate_used", "http_429", "p95_ready_to_sent_s", "sent")
    assert f["sent"] == f["ready"] == 12
    assert f["supplier_calls_per_order"] >= 1.0  # every order needs its create
    assert f["supplier_calls"] >= 12
    assert 0 < f["rate_used"] <= 1.2
    # the engine's shared bucket paces below the supplier's limit: the supplier never throttles
    assert f["http_429"] == 0
    assert 0 <= f["p50_ready_to_sent_s"] <= f["p95_ready_to_sent_s"]
    assert f["duplicates_at_supplier"] == 0


def test_tracking_prints_calls_for_one_sweep(tmp_path: Path) -> None:
    f = run("tracking.py", tmp_path, "--orders", "150")
    has(f, "supplier_calls", "orders_tracked")
    assert f["orders_tracked"] == f["shipped_orders"] == 150
    assert 2 <= f["supplier_calls"] <= 10  # two batches of tracking, and the carriers once
    assert f["orders_per_call"] > 10


def test_memory_prints_peak_rss_and_samples(tmp_path: Path) -> None:
    f = run("memory.py", tmp_path, "--orders", "300", "--channels", "2")
    has(f, "peak_rss_mb", "rss_mb_at_25pct", "rss_mb_at_50pct", "rss_mb_at_75pct", "rss_mb_at_100pct",
        "rss_growth_mb")
    assert f["stored"] == 300
    samples = [f[f"rss_mb_at_{m}pct"] for m in (25, 50, 75, 100)]
    assert all(s is not None and s > 0 for s in samples)
    assert max(samples) <= f["peak_rss_mb"] + 1


def test_customers_prints_the_incremental_update_and_the_list_p95(tmp_path: Path) -> None:
    f = run("customers.py", tmp_path, "--customers", "300", "--orders", "3000", "--changed", "400", "--rounds", "3",
            needs_postgres=True)
    has(f, "customers", "orders", "incremental_update_s", "customer_list_p95_ms")
    assert (f["customers"], f["orders"], f["changed_orders"]) == (300, 3000, 400)
    assert f["stats_match_recount"] is True
    assert f["incremental_update_s"] > 0 and f["customer_list_p95_ms"] > 0


def test_admin_prints_the_p95_of_the_queue_the_search_and_the_order_page(tmp_path: Path) -> None:
    f = run("admin_pages.py", tmp_path, "--orders", "600", "--repeat", "3")
    has(f, "orders", "pending_review_p95_ms", "search_p95_ms", "order_page_p95_ms", "pending_review",
        "searches_found_share", "pending_review.deep_page_p95_ms", "search.tracking_p95_ms",
        "order_page.shipped_p95_ms")
    assert f["orders"] == 600
    assert 30 <= f["pending_review"] <= 100  # a tenth of the orders, give or take the draw
    assert f["searches_found_share"] == 1.0  # every search finds the order it was made from
    for group in ("pending_review", "search", "order_page"):
        kinds = [k[: -len("_p95_ms")] for k in f if k.startswith(f"{group}.") and k.endswith("_p95_ms")]
        assert kinds, group
        assert all(0 < f[f"{k}_p50_ms"] <= f[f"{k}_p95_ms"] for k in kinds)
        assert 0 < f[f"{group}_p95_ms"] <= max(f[f"{k}_p95_ms"] for k in kinds) * 1.01 + 5
