"""Shared plumbing for the benchmarks: arguments, a private database schema, output.

Every benchmark prints its figures as ONE JSON line on stdout; progress goes to stderr. Each one
works in its own PostgreSQL schema (``bench_<name>``, dropped and created again on every run via
``search_path``), so it never touches the test schema ``public``. A ``sqlite:///`` URL works too
for the benchmarks that need no PostgreSQL feature (handy for the smoke tests).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import text

from sync.db import Database

DEFAULT_DATABASE_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
#: a Redis database of its own: a broker run flushes it (the tests use /15)
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/14"
REPO = Path(__file__).resolve().parents[1]


def parser(description: str, *, orders: int) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--orders", type=int, default=orders, help=f"how many orders (default {orders})")
    p.add_argument("--database-url", default=os.environ.get("ORDERHUB_TEST_DATABASE_URL") or DEFAULT_DATABASE_URL,
                   help="PostgreSQL (default: $ORDERHUB_TEST_DATABASE_URL or the local server)")
    p.add_argument("--redis-url", default=DEFAULT_REDIS_URL,
                   help=f"Redis for runs that use it (default {DEFAULT_REDIS_URL}; flushed by broker runs)")
    p.add_argument("--schema", default="", help="PostgreSQL schema to (re)create for this run")
    return p


def quiet_logs(level: str = "WARNING") -> None:
    """The project's logs to stderr (stdout carries only the figures), warnings and worse."""
    from admin.logs import configure

    configure(level)


def counter(family: Any, **labels: str) -> float:
    """The sum of a Prometheus counter's samples whose labels match (``sync.metrics``)."""
    total = 0.0
    for metric in family.collect():
        for sample in metric.samples:
            if sample.name.endswith("_total") and all(sample.labels.get(k) == v for k, v in labels.items()):
                total += sample.value
    return total


def calls_by_endpoint(account: str) -> dict[str, float]:
    """``metrics.CALLS`` of one account as {"<endpoint> <status>": count}."""
    from sync import metrics

    out: dict[str, float] = {}
    for metric in metrics.CALLS.collect():
        for s in metric.samples:
            if s.name.endswith("_total") and s.labels.get("account") == account:
                key = f"{s.labels['endpoint']} {s.labels['status']}"
                out[key] = out.get(key, 0.0) + s.value
    return out


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def emit(figures: dict[str, Any]) -> None:
    """The one line on stdout."""
    print(json.dumps(figures, sort_keys=False, default=str), flush=True)


def is_postgres(url: str) -> bool:
    return url.startswith("postgresql")


def psycopg_dsn(url: str) -> str:
    """A SQLAlchemy URL as a libpq one (``postgresql+psycopg://`` -> ``postgresql://``)."""
    scheme, rest = url.split("://", 1)
    return "postgresql://" + rest


def open_database(url: str, schema: str, **engine_kwargs: Any) -> Database:
    """The database ``fresh_database`` made, as another process opens it."""
    if is_postgres(url):
        connect_args = dict(engine_kwargs.pop("connect_args", {}))
        connect_args["options"] = f"-csearch_path={schema}"
        connect_args.setdefault("application_name", f"orderhub-{schema}")
        return Database(url, connect_args=connect_args, **engine_kwargs)
    return Database(url if "///" in url else f"sqlite:///{_sqlite_path(url, schema)}", **engine_kwargs)


def _sqlite_path(url: str, schema: str) -> str:
    path = url.split("///", 1)[-1] if "///" in url else ""
    if not path or path == ":memory:":
        path = str(Path(tempfile.gettempdir()) / f"orderhub-{schema}.sqlite3")
    return path


def fresh_database(url: str, schema: str, **engine_kwargs: Any) -> Database:
    """A database with the project's tables in an empty schema of its own.

    PostgreSQL: ``schema`` is dropped and created, and every connection's ``search_path`` is
    set to it. SQLite: the URL's file is replaced (a temporary file when the URL names none).
    """
    if is_postgres(url):
        setup = Database(url, pool_size=1)
        with setup.engine.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        setup.dispose()
    else:
        path = _sqlite_path(url, schema)
        for suffix in ("", "-wal", "-shm"):
            Path(path + suffix).unlink(missing_ok=True)
        url = f"sqlite:///{path}"
    db = open_database(url, schema, **engine_kwargs)
    db.create_all()
    return db


def drop_schema(url: str, schema: str) -> None:
    if not is_postgres(url):
        return
    setup = Database(url, pool_size=1)
    with setup.engine.begin() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    setup.dispose()


def percentile(values: list[float], pct: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1))))
    return ordered[k]


def backend_cpu_s(db: Database) -> float:
    """CPU seconds spent so far by this engine's PostgreSQL backends (local server, Linux /proc):
    with the client's own ``time.process_time()``, a split of the work that the load of other
    processes on the machine disturbs far less than wall-clock time does."""
    with db.engine.connect() as conn:
        app = conn.exec_driver_sql("SHOW application_name").scalar()
        pids = conn.exec_driver_sql(
            "SELECT pid FROM pg_stat_activity WHERE application_name = %(app)s", {"app": app}).scalars().all()
    return sum(proc_cpu_s(pid) for pid in pids)


def _stat(pid: int | str) -> tuple[str, list[str]] | None:
    """A local process's name and the fields after it in ``/proc/PID/stat`` (Linux), or None."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            head, _, rest = f.read().rpartition(")")
    except OSError:
        return None
    return head.partition("(")[2], rest.split()


def proc_cpu_s(pid: int) -> float:
    """User + system CPU seconds of a local process (NaN when it cannot be read)."""
    stat = _stat(pid)
    if stat is None:
        return float("nan")
    return (int(stat[1][11]) + int(stat[1][12])) / os.sysconf("SC_CLK_TCK")


def service_cpu_s(name: str) -> float:
    """CPU seconds spent so far by every local process called ``name`` (``postgres``,
    ``redis-server``), counting the children they reaped: PostgreSQL's backends that ended are in
    the postmaster's children's time. Linux /proc; 0 when none is visible."""
    total = 0.0
    for stat in (_stat(entry) for entry in os.listdir("/proc") if entry.isdigit()):
        if stat is not None and stat[0] == name:
            total += sum(int(v) for v in stat[1][11:15])  # utime stime cutime cstime
    return total / os.sysconf("SC_CLK_TCK")


def rss_mb() -> float:
    """This process's resident set size now (Linux)."""
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 1024 / 1024
