"""bench/scale.py run tiny as its own process, with real worker processes on PostgreSQL and Redis:
one JSON line with the documented keys, nothing lost and nothing created twice at the supplier,
every account's calls taken inside its limit. Never a time: this is not a timed test."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PG_URL = os.environ.get("ORDERHUB_TEST_DATABASE_URL", "")
REDIS_URL = os.environ.get("ORDERHUB_TEST_REDIS_URL", "")
SCHEMA = "smoke_scale"

pytestmark = [pytest.mark.postgres, pytest.mark.redis]


def _drop_schema() -> None:
    import psycopg

    with psycopg.connect("postgresql://" + PG_URL.split("://", 1)[1], autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{SCHEMA}" CASCADE')


def test_scale_sends_every_order_once_to_its_own_account_with_one_and_two_workers(tmp_path: Path) -> None:
    if not (PG_URL and REDIS_URL):
        pytest.skip("needs PostgreSQL and Redis (ORDERHUB_TEST_DATABASE_URL, ORDERHUB_TEST_REDIS_URL)")
    try:
        done = subprocess.run(
            [sys.executable, str(REPO / "bench" / "scale.py"), "--channels", "4", "--orders-per-channel", "30",
             "--accounts", "2", "--workers", "1,2", "--threads", "2", "--supplier-rate", "20",
             "--database-url", PG_URL, "--redis-url", REDIS_URL, "--schema", SCHEMA, "--deadline", "150",
             "--logs", str(tmp_path)],
            cwd=REPO, capture_output=True, text=True, timeout=400, check=False)
    finally:
        _drop_schema()
    lines = [line for line in done.stdout.splitlines() if line.strip()]
    assert len(lines) == 1, f"stdout must be one JSON line: {done.stdout[-2000:]!r} {done.stderr[-3000:]}"
    f = json.loads(lines[0])
    assert done.returncode == 0, done.stderr[-3000:]
    assert set(f) >= {"orders_per_s", "lost", "duplicates_at_supplier", "rate_used", "rate_limit", "runs"}
    assert set(f["orders_per_s"]) == {"1", "2"} and all(v > 0 for v in f["orders_per_s"].values())
    assert f["lost"] == 0 and f["duplicates_at_supplier"] == 0
    assert set(f["rate_used"]) == {"bigbuy-1", "bigbuy-2"}
    for run in f["runs"]:
        assert run["orders"] == run["ingested"] == run["sent"] == 120
        for account in run["accounts"].values():
            # the calls the supplier took stayed inside its limit (a 429 is retried, not lost)
            assert account["busiest_second"] <= 20 and account["http_429"] >= 0
            assert account["calls"] >= 60  # one create per order of its two channels, at least
