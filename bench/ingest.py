"""Ingest throughput: Shopify bodies -> parse -> validate -> upsert orders, lines and customers
into PostgreSQL via ``sync.ingest.store_page``, in pages of 250; then the machine's
limit: a raw psycopg COPY of the same orders, lines and customers into plain tables.

    .venv/bin/python bench/ingest.py --orders 20000

Prints one JSON line: orders_per_s, copy_orders_per_s, ratio (and the parts of the time), and
resync_seconds: the same 20,000 orders stored again with nothing changed (a re-sync).
The bodies are rendered by the Shopify sandbox's own renderer from ``seeding.bulk`` before
anything is timed, then frozen out of the garbage collector's scans (a pull holds one page of
bodies, not 20,000); what is timed is what a pull does with a page once it has the bodies.
"""

from __future__ import annotations

import cProfile
import gc
import json
import math
import pstats
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from typing import Any

import psycopg
from _common import backend_cpu_s, emit, fresh_database, is_postgres, log, parser, proc_cpu_s, psycopg_dsn
from sqlalchemy import func, select

from admin.stack import load_catalogue
from connectors.base import parse_bodies
from connectors.shopify import ShopifyConnector
from sandbox import seeding
from sandbox.shopify import ShopifySandbox
from sync.db import Database
from sync.ingest import store_page
from sync.ingest_known import known_bodies
from sync.models import Channel, Customer, Order, OrderLine

PAGE = 250
SCHEMA = "bench_ingest"


def render_bodies(count: int) -> list[dict[str, Any]]:
    """Shopify order bodies as the sandbox serves them, round-tripped through JSON like a wire."""
    specs = seeding.bulk("shopify", count)
    shop = ShopifySandbox([])
    return [json.loads(json.dumps(shop._render_spec(spec))) for spec in specs]


def add_channel(db: Database) -> int:
    with db.session() as session:
        row = Channel(name="shopify-bench", kind="shopify", role="channel", url="http://shop.invalid",
                      credentials={"access_token": "t"}, settings={})
        session.add(row)
        session.flush()
        load_catalogue(session)
        return row.id


def run_ingest(db: Database, channel_id: int, bodies: list[dict[str, Any]],
               thread_profiler: cProfile.Profile | None = None) -> dict[str, float]:
    """What a pull does with each page (``pull_channel``): bodies stored already as they are are
    looked up and passed over, the rest parsed, then the page is stored in one transaction; the
    next page is parsed in a thread while this one is stored. ``parse_s``: the thread's time
    (overlapping ``store_s``); ``store_s``: the pages' stores and any wait for a parse."""
    known = known_bodies(db, channel_id, ShopifyConnector.id_field)
    parse_s = 0.0

    def parse(chunk: list[dict[str, Any]]) -> Any:
        nonlocal parse_s
        t0 = time.perf_counter()
        if thread_profiler:
            thread_profiler.enable()
        page = parse_bodies(ShopifyConnector, chunk, known=known)
        if thread_profiler:
            thread_profiler.disable()
        parse_s += time.perf_counter() - t0
        return page

    chunks = [bodies[start : start + PAGE] for start in range(0, len(bodies), PAGE)]
    unchanged = 0
    t0 = time.perf_counter()
    with ThreadPoolExecutor(max_workers=1) as ahead:
        following = ahead.submit(parse, chunks[0])
        for n in range(len(chunks)):
            page = following.result()
            if n + 1 < len(chunks):
                following = ahead.submit(parse, chunks[n + 1])
            with db.session() as session:
                unchanged += store_page(session, channel_id, page).unchanged
    return {"parse_s": parse_s, "store_s": time.perf_counter() - t0, "unchanged": unchanged}


def last_write(db: Database) -> tuple[Any, ...]:
    """What any write to the orders or the customers would move."""
    with db.session() as session:
        orders = session.execute(select(func.max(Order.updated_at), func.count())).one()
        customers = session.execute(select(func.max(Customer.updated_at), func.count())).one()
    return (*orders, *customers)


# The machine's limit: COPY into plain tables ------------------------------------------------

PLAIN = """
CREATE TABLE plain_customers (id bigint, channel_id bigint, external_id text, first_name text, last_name text,
    email text, phone text);
CREATE TABLE plain_orders (id bigint, channel_id bigint, external_id text, number text, status text,
    payment_status text, currency text, total numeric(14,2), placed_at timestamptz, channel_updated_at timestamptz,
    shipping_address jsonb, billing_address jsonb, customer_id bigint, internal_reference text, raw jsonb);
CREATE TABLE plain_lines (order_id bigint, position int, external_id text, sku text, quantity int,
    unit_price numeric(14,2), title text);
"""


Rows = list[tuple[Any, ...]]


def copy_rows(bodies: list[dict[str, Any]]) -> tuple[Rows, Rows, Rows]:
    """The same orders as plain tuples, built before timing: COPY gets them ready-made."""
    customers: dict[str, tuple[Any, ...]] = {}
    orders, lines = [], []
    for n, b in enumerate(bodies, start=1):
        ship = b.get("shipping_address") or {}
        c = b.get("customer")
        key = str(c["id"]) if c else f"email:{b['email']}"
        if key not in customers:
            customers[key] = (len(customers) + 1, 1, key, ship.get("first_name"), ship.get("last_name"),
                              b.get("email"), ship.get("phone"))
        address = json.dumps({k: ship.get(k) for k in ("first_name", "last_name", "address1", "address2", "city",
                                                       "zip", "country_code", "phone")})
        orders.append((n, 1, str(b["id"]), b["name"], "ready", "paid", b["currency"], Decimal(b["total_price"]),
                       b["created_at"], b["updated_at"], address, address, customers[key][0], f"OH1-{b['id']}",
                       json.dumps(b)))
        for pos, ln in enumerate(b["line_items"]):
            lines.append((n, pos, str(ln["id"]), ln["sku"], ln["quantity"], Decimal(ln["price"]), ln["title"]))
    return list(customers.values()), orders, lines


def run_copy(url: str, schema: str, bodies: list[dict[str, Any]]) -> dict[str, float]:
    """The same rows by COPY, with the same lz4 compression store_page asks for where it can."""
    customers, orders, lines = copy_rows(bodies)
    with psycopg.connect(psycopg_dsn(url), options=f"-csearch_path={schema}") as conn:
        conn.execute(PLAIN)
        lz4 = conn.execute("SELECT 'lz4' = ANY(enumvals) FROM pg_settings "
                           "WHERE name = 'default_toast_compression'").fetchone()
        if lz4 and lz4[0]:
            conn.execute("SET default_toast_compression = 'lz4'")
        conn.commit()
        server0, client0 = proc_cpu_s(conn.info.backend_pid), time.process_time()
        t0 = time.perf_counter()
        with conn.cursor() as cur:
            for table, rows in (("plain_customers", customers), ("plain_orders", orders), ("plain_lines", lines)):
                with cur.copy(f"COPY {table} FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
        conn.commit()
        seconds = time.perf_counter() - t0
        return {"seconds": seconds, "client_cpu_s": time.process_time() - client0,
                "server_cpu_s": proc_cpu_s(conn.info.backend_pid) - server0}


def main(argv: list[str] | None = None) -> int:
    p = parser(__doc__.splitlines()[0], orders=20_000)
    p.add_argument("--profile", default="", help="write a cProfile of the ingest run to this file")
    args = p.parse_args(argv)
    if not is_postgres(args.database_url):
        p.error("the ingest benchmark needs PostgreSQL (--database-url postgresql+psycopg://...)")
    schema = args.schema or SCHEMA
    log(f"rendering {args.orders} Shopify bodies")
    bodies = render_bodies(args.orders)
    # A pull holds one page of bodies at a time, not all of them: the pre-rendered bodies (millions
    # of objects) are moved out of the collector's sight, or every full collection would walk them
    gc.freeze()
    db = fresh_database(args.database_url, schema)
    try:
        channel_id = add_channel(db)
        log("ingesting")
        # one profiler per thread: the parsing thread's is added to the main one's
        profiler, in_thread = (cProfile.Profile(), cProfile.Profile()) if args.profile else (None, None)
        server0, client0 = backend_cpu_s(db), time.process_time()
        t0 = time.perf_counter()
        if profiler:
            profiler.enable()
        parts = run_ingest(db, channel_id, bodies, in_thread)
        if profiler:
            profiler.disable()
        ingest_s = time.perf_counter() - t0
        client_cpu, server_cpu = time.process_time() - client0, backend_cpu_s(db) - server0
        if profiler:
            stats = pstats.Stats(profiler)
            stats.add(in_thread)
            stats.dump_stats(args.profile)
            pstats.Stats(args.profile, stream=sys.stderr).sort_stats("cumulative").print_stats(40)
        with db.session() as session:
            stored = session.scalar(select(func.count()).select_from(Order)) or 0
            stored_lines = session.scalar(select(func.count()).select_from(OrderLine)) or 0
            stored_customers = session.scalar(select(func.count()).select_from(Customer)) or 0
        log(f"stored {stored} orders, {stored_lines} lines, {stored_customers} customers in {ingest_s:.2f}s")
        log("the same orders again, nothing changed (a re-sync)")
        written_before = last_write(db)
        r0 = time.perf_counter()
        again = run_ingest(db, channel_id, bodies)
        resync_s = time.perf_counter() - r0
        rewritten = last_write(db) != written_before
        log("copying the same rows")
        copied = run_copy(args.database_url, schema, bodies)
    finally:
        db.dispose()
    orders_per_s = args.orders / ingest_s
    copy_s = copied["seconds"]
    copy_per_s = args.orders / copy_s

    def us(seconds: float) -> float | None:
        return None if math.isnan(seconds) else round(seconds / args.orders * 1e6, 1)

    emit({
        "bench": "ingest", "orders": args.orders, "stored": stored, "lines": stored_lines,
        "customers": stored_customers, "page_size": PAGE,
        "seconds": round(ingest_s, 3), "resync_seconds": round(resync_s, 3),
        "resync_share": round(resync_s / ingest_s, 3), "resync_unchanged": again["unchanged"],
        "resync_rewrote": rewritten, "parse_s": round(parts["parse_s"], 3), "store_s": round(parts["store_s"], 3),
        "orders_per_s": round(orders_per_s, 1), "copy_seconds": round(copy_s, 3),
        "copy_orders_per_s": round(copy_per_s, 1), "ratio": round(orders_per_s / copy_per_s, 3),
        # CPU per order, client (this process) and server (its PostgreSQL backends), for ingest and COPY
        "client_cpu_us_per_order": us(client_cpu), "server_cpu_us_per_order": us(server_cpu),
        "copy_client_cpu_us_per_order": us(copied["client_cpu_s"]),
        "copy_server_cpu_us_per_order": us(copied["server_cpu_s"]),
    })
    return 0


if __name__ == "__main__":
    sys.exit(main())
