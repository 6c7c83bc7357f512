"""Web admin latency at scale: an order book of --orders orders (10 % pending review) in the
database, then the server-side time of the operators' pages, measured inside the ASGI app.

    .venv/bin/python bench/admin_pages.py --orders 1000000 --reuse

Prints one JSON line: orders, pending_review_p95_ms, search_p95_ms, order_page_p95_ms, and the p95
of each request kind. Filling 1,000,000 orders takes a few minutes (COPY); ``--reuse`` keeps an
order book already there (same size, same schema) and goes straight to the measurements.

What is timed: each request handled by the real app (``admin.web.app.create_app``: session
cookie, CSRF, permissions, queries, the red-dot count, template rendering) from the moment the
app is called until its last response byte is sent, by a wrapper around the ASGI app; the
requests come from Starlette's in-process TestClient, whose transport is not timed.
"""

from __future__ import annotations

import hashlib
import random
import re
import sys
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from _admin_data import CHANNELS, Written, fill, number_of, person, supplier_order_id_of, tracking_of
from _common import emit, is_postgres, log, open_database, parser, percentile, quiet_logs
from sqlalchemy import select, text

from sync.db import Database
from sync.models import Base, Order

SCHEMA = "bench_admin"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
PASSWORD = "bench-password-1"

Scope = MutableMapping[str, Any]
Asgi = Callable[[Scope, Any, Any], Awaitable[None]]


class Timed:
    """The app, timed from its call to the end of its response (server side only)."""

    def __init__(self, app: Asgi) -> None:
        self.app = app
        self.last_ms = 0.0

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        t0 = time.perf_counter()
        try:
            await self.app(scope, receive, send)
        finally:
            self.last_ms = (time.perf_counter() - t0) * 1000


def schema_mark() -> str:
    """The models' tables, columns and indexes: a reused order book must have been made by them."""
    parts = []
    for table in sorted(Base.metadata.tables.values(), key=lambda t: t.name):
        parts.append(table.name + ":" + ",".join(c.name for c in table.columns))
        parts += sorted(f"{i.name}:{[c.name for c in i.columns]}" for i in table.indexes)
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:16]


def prepare(url: str, schema: str, orders: int, reuse: bool) -> Database:
    mark = f"{orders}:{schema_mark()}"
    if reuse:
        db = open_database(url, schema)
        try:
            with db.engine.connect() as conn:
                found = conn.execute(text("SELECT value FROM installation WHERE key = 'bench_admin'")).scalar()
        except Exception:
            found = None
        if found == mark:
            log(f"reusing the order book in {schema} ({orders:,} orders)")
            return db
        db.dispose()
        log("no order book of this size and schema to reuse: filling one")
    from _common import fresh_database

    db = fresh_database(url, schema)
    log(f"filling {orders:,} orders")
    t0 = time.perf_counter()
    written: Written = fill(db, orders, log)
    with db.engine.begin() as conn:
        conn.execute(text("INSERT INTO installation (key, value) VALUES ('bench_admin', :v)"), {"v": mark})
    log(f"filled in {time.perf_counter() - t0:.0f}s: {written.counts}")
    if is_postgres(url):
        log("vacuum analyze")
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
    return db


def sign_in(db: Database) -> Any:
    from fastapi.testclient import TestClient

    from admin.web.app import create_app
    from sync import accounts

    accounts.set_hash_cost(1, 8, 1)  # signing in is not what is measured
    with db.session() as session:
        if session.execute(text("SELECT 1 FROM accounts WHERE username = 'bench'")).first() is None:
            accounts.create_account(session, "bench", PASSWORD, main=True)
    timed = Timed(create_app(db, forward=lambda ids: [], sync_now=lambda _c: None, secret="bench-secret"))
    client = TestClient(timed, follow_redirects=False)  # type: ignore[arg-type]
    found = CSRF.search(client.get("/signin").text)
    assert found, "no CSRF token on the sign-in page"
    answer = client.post("/signin", data={"username": "bench", "password": PASSWORD, "csrf_token": found.group(1)})
    assert answer.status_code == 303, answer.text[:500]
    return client, timed


def targets(db: Database, orders: int, rng: random.Random) -> dict[str, Any]:
    """What to ask for: ids of each kind, a cursor deep in the queue, searchable values."""
    spread = max(1, min(97, orders // 5000))  # a sample from all over the table, however small
    with db.engine.connect() as conn:
        def ids(where: str, limit: int = 200) -> list[int]:
            stmt = f"SELECT id FROM orders WHERE {where} AND id % {spread} = :k LIMIT {limit}"
            return list(conn.execute(text(stmt), {"k": rng.randrange(spread)}).scalars())

        queue = conn.execute(text("SELECT count(*) FROM orders WHERE status = 'pending_review'")).scalar() or 0
        deep = conn.execute(select(Order.status_changed_at, Order.id).where(Order.status == "pending_review")
                            .order_by(Order.status_changed_at, Order.id).offset(max(0, queue * 3 // 4))
                            .limit(1)).first()
        reasons = list(conn.execute(text("SELECT code FROM order_issues WHERE closed_at IS NULL "
                                         "GROUP BY code ORDER BY count(*) DESC")).scalars())
        shipped = ids("status = 'shipped'")
        tracked = list(conn.execute(text(f"SELECT tracking_number FROM shipments WHERE id % {spread} = :k "
                                         "LIMIT 200"), {"k": rng.randrange(spread)}).scalars())
        supplier = list(conn.execute(text(f"SELECT supplier_order_id FROM supplier_orders WHERE id % {spread} = :k "
                                          "LIMIT 200"), {"k": rng.randrange(spread)}).scalars())
        return {"queue": queue, "deep": deep, "reasons": reasons or ["invalid_postcode"],
                "review": ids("status = 'pending_review'"), "shipped": shipped, "any": ids("true"),
                "tracking": tracked or [tracking_of(1)], "supplier": supplier or [supplier_order_id_of(1)]}


def requests(t: dict[str, Any], orders: int, rng: random.Random) -> dict[str, list[Callable[[], str]]]:
    """Request kinds, each a maker of URLs (a fresh target per call), grouped as reported."""
    def one(values: list[Any]) -> Any:
        return rng.choice(values)

    def some_order() -> int:
        return rng.randrange(1, orders + 1)

    deep = f"{t['deep'][0].isoformat()}|{t['deep'][1]}" if t["deep"] else ""
    rare = t["reasons"][-1]
    phone = lambda: person(some_order())["phone"].replace(" ", "")  # noqa: E731
    return {
        "pending_review": [
            lambda: "/orders",
            lambda: f"/orders?status=pending_review&after={deep}",
            lambda: f"/orders?status=pending_review&channel={rng.randrange(1, len(CHANNELS) + 1)}",
            lambda: f"/orders?status=pending_review&reason={t['reasons'][0]}",
            lambda: f"/orders?status=pending_review&reason={rare}",
            lambda: f"/orders?status=pending_review&channel={rng.randrange(1, len(CHANNELS) + 1)}&reason={rare}",
            lambda: "/fragments/review-count",
        ],
        "search": [
            lambda: f"/orders?status=all&q={_q(number_of(1 + (n := some_order()) % len(CHANNELS), n))}",
            lambda: f"/orders?status=all&q={_q(person(some_order())['email'])}",
            lambda: f"/orders?status=all&q={one(t['tracking'])}",
            lambda: f"/orders?status=all&q={_q(_name(person(some_order())))}",
            lambda: f"/orders?status=all&q={_q(person(some_order())['last_name'])}",
            lambda: f"/orders?status=all&q={_q(phone())}",
            lambda: f"/orders?status=all&q={one(t['supplier'])}",
            lambda: f"/orders?q={_q(person(one(t['review']))['email'])}",
        ],
        "order_page": [
            lambda: f"/orders/{one(t['review'])}",
            lambda: f"/orders/{one(t['shipped'])}",
            lambda: f"/orders/{some_order()}",
        ],
    }


KIND_NAMES = {
    "pending_review": ["first_page", "deep_page", "channel", "reason_common", "reason_rare", "channel_reason",
                       "badge"],
    "search": ["number", "email", "tracking", "name", "surname", "phone", "supplier_reference",
               "email_in_review_tab"],
    "order_page": ["pending_review", "shipped", "any"],
}


def _name(p: dict[str, Any]) -> str:
    return f"{p['first_name']} {p['last_name']}"


def _q(value: str) -> str:
    from urllib.parse import quote

    return quote(value, safe="")


ROW_LINK = re.compile(r'href="/orders/\d+"')


def measure(client: Any, timed: Timed, made: dict[str, list[Callable[[], str]]],
            repeat: int) -> tuple[dict[str, dict[str, list[float]]], float]:
    """The server-side times of each kind, and the share of searches that found their order."""
    times: dict[str, dict[str, list[float]]] = {g: {k: [] for k in KIND_NAMES[g]} for g in made}
    searches = found = 0
    for group, makers in made.items():
        for name, make in zip(KIND_NAMES[group], makers, strict=True):
            for i in range(repeat + 2):
                url = make()
                answer = client.get(url)
                assert answer.status_code == 200, f"{url}: {answer.status_code} {answer.text[:300]}"
                if i >= 2:  # the first two warm the plan and the caches
                    times[group][name].append(timed.last_ms)
                if group == "search":
                    searches += 1
                    found += bool(ROW_LINK.search(answer.text))
    return times, found / max(searches, 1)


def main(argv: list[str] | None = None) -> int:
    p = parser(__doc__.splitlines()[0], orders=1_000_000)
    p.add_argument("--reuse", action="store_true", help="keep an order book of this size already there")
    p.add_argument("--repeat", type=int, default=40, help="requests of each kind (default 40)")
    args = p.parse_args(argv)
    if args.orders < 100:
        p.error("--orders must be at least 100")
    quiet_logs()
    schema = args.schema or SCHEMA
    db = prepare(args.database_url, schema, args.orders, args.reuse)
    rng = random.Random(20261129)
    try:
        client, timed = sign_in(db)
        t = targets(db, args.orders, rng)
        log(f"measuring ({args.repeat} requests of each kind)")
        times, found_share = measure(client, timed, requests(t, args.orders, rng), args.repeat)
    finally:
        db.dispose()
    figures: dict[str, Any] = {"bench": "admin", "orders": args.orders, "pending_review": t["queue"],
                               "requests_per_kind": args.repeat, "searches_found_share": round(found_share, 3)}
    for group, kinds in times.items():
        figures[f"{group}_p95_ms"] = round(percentile([v for vs in kinds.values() for v in vs], 95), 1)
    for group, kinds in times.items():
        for name, values in kinds.items():
            figures[f"{group}.{name}_p95_ms"] = round(percentile(values, 95), 1)
            figures[f"{group}.{name}_p50_ms"] = round(percentile(values, 50), 1)
    emit(figures)
    return 0


if __name__ == "__main__":
    sys.exit(main())
