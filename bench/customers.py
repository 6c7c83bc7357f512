"""Customer list at scale: 100,000 customers and 1,000,000 orders in PostgreSQL (rows made by SQL
before the clock starts, statistics built once), then a bulk sync of 10,000 changed orders through
``sync.ingest.store_page`` (pages of 250: new totals, cancels, cancels undone), timing the
statistics work ingest does for them (the page's customer upsert and the additive statistics
upsert), checked against a full recount of the customers touched; then the customer list, plain
and searched (name, phone, code, order number), at p95.

Prints one JSON line: customers, orders, incremental_update_s, customer_list_p95_ms (and more).
"""

from __future__ import annotations

import json
import random
import sys
import time
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import select, text  # noqa: E402

from bench._common import drop_schema, emit, fresh_database, is_postgres, log, parser, percentile  # noqa: E402
from connectors.records import Address, ChannelCustomer, ChannelOrder, OrderLine, OrderPage  # noqa: E402
from sync import ingest  # noqa: E402
from sync.customer_list import list_customers  # noqa: E402
from sync.customer_models import CustomerStat  # noqa: E402
from sync.customers import recount  # noqa: E402
from sync.db import Database  # noqa: E402
from sync.installation import reference_prefix  # noqa: E402
from sync.records import address_dict  # noqa: E402

T0 = datetime(2026, 1, 1, tzinfo=UTC)
PAGE = 250
#: where the buyers' orders go: known from their earlier orders, as a changed order's address usually is
ADDRESS = Address(first_name="Ana", last_name="Lopez", address1="Calle Mayor 1", city="Valencia", postcode="46005",
                  country_code="ES", phone="+34600000001")
TRIGRAM_INDEXES = (
    "CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public",
    "CREATE INDEX ix_customers_name_trgm ON customers USING gin "
    "(lower(COALESCE(first_name, '') || ' ' || COALESCE(last_name, '')) public.gin_trgm_ops)",
    "CREATE INDEX ix_customers_phone_trgm ON customers USING gin (phone public.gin_trgm_ops)",
)


def populate(db: Database, customers: int, orders: int) -> None:
    """Rows written by the database itself: a realistic shape without a minute of Python per 100k rows."""
    with db.session() as s:
        prefix = reference_prefix(s)
        s.execute(text("INSERT INTO channels (id, name, kind, role, url, credentials, settings, enabled, "
                       "cursor_state) VALUES (1, 'shop', 'shopify', 'channel', 'http://shop.invalid', '{}', '{}', "
                       "true, '{}')"))
        s.execute(text("""
            INSERT INTO customers (channel_id, external_id, customer_code, first_name, last_name, email, phone,
                                   note, addresses, created_at, updated_at)
            SELECT 1, 'B' || g, 'CN' || lpad(g::text, 8, '0'),
                   (ARRAY['Ana','Bruno','Carla','David','Elena','Fran','Gema','Hugo','Ines','Jorge','Lucia','Mario',
                          'Nuria','Oscar','Paula','Raul','Sara','Tomas','Vera','Xavi'])[g % 20 + 1],
                   (ARRAY['Gar','Lop','Mar','San','Fer','Rod','Gon','Per','Alv','Jim','Mor','Nav','Rui','Dia',
                          'Ort','Cas','Ram','Vaz','Igl','Sol','Pri','Mol','Ben','Cab','Her','Vid','Esc'])[g % 27 + 1]
                   || (ARRAY['ci','ez','tin','chez','nan','ri','za','al','ar','en','on','il','ad'])[g / 27 % 13 + 1]
                   || (ARRAY['a','es','o','ia','ero','ado','ino','ejo','anz','ell','ur'])[g / 351 % 11 + 1],
                   'buyer' || g || '@example.com', '+34 6' || lpad((g::bigint * 7919 % 100000000)::text, 8, '0'),
                   '', CAST(:address AS jsonb), now(), now()
            FROM generate_series(1, :n) g"""), {"n": customers, "address": json.dumps([address_dict(ADDRESS)])})
        s.execute(text("SELECT setval('customer_code_seq', :n)"), {"n": customers})
        for statement in TRIGRAM_INDEXES:  # what the migration makes (the bench's schema comes from the models)
            s.execute(text(statement))
        s.execute(text("""
            INSERT INTO orders (channel_id, external_id, number, status, status_changed_at, channel_status,
                payment_status, cancelled_on_channel, is_test, currency, total, placed_at, channel_updated_at,
                shipping_edited, customer_id, internal_reference, outcome_unknown, forward_attempts,
                create_failures, content_fingerprint, raw, created_at, updated_at)
            SELECT 1, g::text, '#' || g, 'sent', now(), 'open', CASE WHEN g % 20 = 0 THEN 'refunded' ELSE 'paid' END,
                   g % 25 = 0, false, CASE WHEN g % 10 = 0 THEN 'USD' ELSE 'EUR' END, (g % 200) + 9.90,
                   :t0 + g * interval '1 minute', :t0 + g * interval '1 minute', false, (g % :c) + 1,
                   :prefix || '1-' || g, false, 0, 0, 'x', '{}'::jsonb, now(), now()
            FROM generate_series(1, :n) g"""), {"n": orders, "c": customers, "t0": T0, "prefix": prefix})
        s.execute(text("""
            INSERT INTO customer_stats (customer_id, currency, orders, spend)
            SELECT customer_id, currency, count(*), sum(total) FROM orders
            WHERE NOT cancelled_on_channel AND NOT is_test GROUP BY customer_id, currency"""))
        s.execute(text("""
            UPDATE customers c SET first_order_at = t.first_at, last_order_at = t.last_at
            FROM (SELECT customer_id, min(placed_at) AS first_at, max(placed_at) AS last_at FROM orders
                  GROUP BY customer_id) t WHERE t.customer_id = c.id"""))
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        for table in ("customers", "orders", "customer_stats"):
            conn.execute(text(f"VACUUM ANALYZE {table}"))


def changed_orders(db: Database, count: int, rng: random.Random) -> list[ChannelOrder]:
    """New versions of ``count`` stored orders of the same buyers at the same address: a new total
    for most, a cancel or a cancel undone for some."""
    with db.session() as s:
        top = s.scalar(text("SELECT max(id) FROM orders")) or 0
        ids = rng.sample(range(1, top + 1), count)
        rows = s.execute(text(
            "SELECT o.external_id, o.customer_id, o.currency, o.total, o.cancelled_on_channel, o.placed_at, "
            "c.first_name, c.last_name, c.email, c.phone FROM orders o JOIN customers c ON c.id = o.customer_id "
            "WHERE o.id = ANY(:ids)"), {"ids": ids}).all()
    later = datetime.now(UTC)
    out = []
    for r in rows:
        kind = rng.random()
        cancelled = (not r.cancelled_on_channel) if kind < 0.2 else r.cancelled_on_channel
        total = Decimal(r.total) + (Decimal("1.00") if kind >= 0.2 else 0)
        out.append(ChannelOrder(
            external_id=r.external_id, number=f"#{r.external_id}", status="open", payment_status="paid",
            currency=r.currency, total=total, placed_at=r.placed_at, updated_at=later, shipping_address=ADDRESS,
            lines=[OrderLine(sku="SKU-1", quantity=1, unit_price=total, title="Lamp")],
            customer=ChannelCustomer(external_id=f"B{r.customer_id}", first_name=r.first_name, last_name=r.last_name,
                                     email=r.email, phone=r.phone),  # the buyer as stored: their order changed
            cancelled=cancelled))
    return out


def bulk_sync(db: Database, orders: list[ChannelOrder]) -> tuple[dict[str, float], float]:
    """(seconds in the customer upserts and in the statistics upserts, seconds for the whole sync)."""
    spent = {"customers": 0.0, "statistics": 0.0}

    def timed(fn: Any, part: str) -> Any:
        def run(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                spent[part] += time.perf_counter() - started
        return run

    kept = (ingest.add_stats, ingest.store_customers)
    ingest.add_stats = timed(kept[0], "statistics")  # type: ignore[assignment]
    ingest.store_customers = timed(kept[1], "customers")  # type: ignore[assignment]
    started = time.perf_counter()
    try:
        for n in range(0, len(orders), PAGE):
            with db.session() as s:
                ingest.store_page(s, 1, OrderPage(orders=orders[n:n + PAGE]), pulled=False)
    finally:
        ingest.add_stats, ingest.store_customers = kept  # type: ignore[assignment]
    return spent, time.perf_counter() - started


def stats_match(db: Database, customer_ids: list[int]) -> bool:
    with db.session() as s:
        def figures() -> dict[tuple[int, str], tuple[int, Decimal]]:
            return {(r.customer_id, r.currency): (r.orders, Decimal(r.spend)) for r in s.scalars(
                select(CustomerStat).where(CustomerStat.customer_id.in_(customer_ids))) if r.orders or r.spend}
        incremental = figures()
        recount(s, customer_ids)
        s.flush()
        again = figures()
        s.rollback()
    return incremental == again


def list_p95(db: Database, customers: int, orders: int, rounds: int,
             rng: random.Random) -> tuple[float, dict[str, float]]:
    def searches() -> list[tuple[str, str]]:
        n = rng.randint(1, customers)
        return [("page", ""), ("name", rng.choice(["lucia", "bruno garc", "moradur", "sanchez", "vera v"])),
                ("phone", f"6{n * 7919 % 10**8:08d}"[:7]), ("code", f"CN{n:08d}"),
                ("order", f"#{rng.randint(1, orders)}")]

    times: dict[str, list[float]] = {}
    with db.session() as s:
        list_customers(s, "warm")
        for _ in range(rounds):
            for kind, term in searches():
                started = time.perf_counter()
                rows = list_customers(s, term)
                times.setdefault(kind, []).append((time.perf_counter() - started) * 1000)
                assert kind in ("name", "phone") or rows, (kind, term)
    every = [t for ts in times.values() for t in ts]
    return percentile(every, 95), {k: round(percentile(v, 95), 2) for k, v in times.items()}


def main() -> int:
    p = parser("customer list: statistics after a bulk sync, and the list at p95", orders=1_000_000)
    p.add_argument("--customers", type=int, default=100_000)
    p.add_argument("--changed", type=int, default=10_000)
    p.add_argument("--rounds", type=int, default=60, help="list queries of each kind")
    p.add_argument("--keep", action="store_true", help="leave the schema in place")
    args = p.parse_args()
    if not is_postgres(args.database_url):
        print("bench/customers.py needs PostgreSQL", file=sys.stderr)
        return 2
    schema = args.schema or "bench_customers"
    rng = random.Random(7)
    db = fresh_database(args.database_url, schema, pool_size=2)
    try:
        log(f"populating {args.customers} customers and {args.orders} orders")
        started = time.perf_counter()
        populate(db, args.customers, args.orders)
        log(f"populated in {time.perf_counter() - started:.1f} s; syncing {args.changed} changed orders")
        changed = changed_orders(db, min(args.changed, args.orders), rng)
        parts, sync_s = bulk_sync(db, changed)
        stats_s = parts["customers"] + parts["statistics"]
        with db.session() as s:
            touched = sorted({int(i) for i in s.scalars(text(
                "SELECT customer_id FROM orders WHERE external_id = ANY(:e)"),
                {"e": [o.external_id for o in changed]})})
        ok = stats_match(db, touched)
        log(f"statistics {stats_s:.2f} s of a {sync_s:.2f} s sync; match a recount: {ok}; measuring the list")
        p95, by_kind = list_p95(db, args.customers, args.orders, args.rounds, rng)
        emit({"customers": args.customers, "orders": args.orders, "incremental_update_s": round(stats_s, 3),
              "customer_list_p95_ms": round(p95, 2), "changed_orders": len(changed), "bulk_sync_s": round(sync_s, 2),
              "customer_upserts_s": round(parts["customers"], 3), "statistics_upserts_s": round(parts["statistics"], 3),
              "stats_match_recount": ok, "list_p95_ms_by_search": by_kind})
    finally:
        db.dispose()
        if not args.keep:
            drop_schema(args.database_url, schema)
    return 0


if __name__ == "__main__":
    sys.exit(main())
