"""Tracking sweep: supplier calls spent to bring back tracking for many sent orders.

    .venv/bin/python bench/tracking.py --orders 10000

Builds N orders already ``sent``: order rows and their ``supplier_orders`` rows are inserted
directly, and the BigBuy sandbox is given the same orders in its own state (its rate limit off),
then ships them all (``advance``). One full ``sync.track.sweep`` follows.

Prints one JSON line: supplier_calls (every call of the sweep, from ``sync.metrics.CALLS``),
orders_tracked (supplier orders whose tracking was stored), orders_per_call, shipped_orders
(orders moved to ``shipped``), seconds.
"""

from __future__ import annotations

import os
import sys
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from _common import calls_by_endpoint, counter, emit, fresh_database, log, parser, quiet_logs
from sqlalchemy import func, select

from sandbox import catalogue
from sandbox.bigbuy import FIRST_ID, BigBuySandbox, StoredOrder
from sandbox.server import Running
from sync import connect, metrics, track
from sync.db import Database, use_database
from sync.models import Channel, Order, SupplierOrderRow
from sync.records import internal_reference
from sync.rows import bulk_insert

SCHEMA = "bench_tracking"
SUPPLIER = "bigbuy-bench"
CHUNK = 2000


def setup(db: Database, bigbuy_url: str, api_key: str) -> tuple[int, int]:
    with db.session() as session:
        shop = Channel(name="shopify-bench", kind="shopify", role="channel", url="http://shop.invalid",
                       credentials={"access_token": "t"}, settings={})
        supplier = Channel(name=SUPPLIER, kind="bigbuy", role="supplier", url=bigbuy_url,
                           credentials={"api_key": api_key},
                           settings={"rate_per_second": 1000, "carriers": ["gls", "correos"], "language": "en"})
        session.add_all([shop, supplier])
        session.flush()
        return shop.id, supplier.id


def seed_sent(db: Database, bigbuy: BigBuySandbox, shop_id: int, supplier_id: int, count: int) -> None:
    """N sent orders, in the database and at the sandbox supplier alike."""
    product = catalogue.STANDARD[0]
    total = catalogue.supplier_total([(product.sku, 1)])
    sent_at = datetime.now(UTC) - timedelta(hours=2)
    address = {"first_name": "Lucia", "last_name": "Garcia", "company": None, "address1": "Calle Mayor 1",
               "address2": None, "city": "Valencia", "region": "V", "postcode": "46005", "country_code": "ES",
               "phone": "+34600000000", "email": "lucia@example.com"}
    wire_address = {"firstName": "Lucia", "lastName": "Garcia", "country": "ES", "postcode": "46005",
                    "town": "Valencia", "address": "Calle Mayor 1", "phone": "+34600000000"}
    for start in range(0, count, CHUNK):
        numbers = range(start, min(count, start + CHUNK))
        orders: list[dict[str, Any]] = []
        for n in numbers:
            external_id = str(5_000_000 + n)
            orders.append({
                "channel_id": shop_id, "external_id": external_id, "number": f"#{external_id}", "status": "sent",
                "status_changed_at": sent_at, "channel_status": "open", "payment_status": "paid",
                "currency": "EUR", "total": Decimal("39.90"), "placed_at": sent_at, "channel_updated_at": sent_at,
                "shipping_address": address, "billing_address": address, "customer_id": None,
                "internal_reference": internal_reference(shop_id, external_id), "content_fingerprint": "f",
                "sent_fingerprint": "f", "raw": {}, "created_at": sent_at, "updated_at": sent_at,
            })
        with db.session() as session:
            ids = bulk_insert(session, Order.__table__, orders, return_ids=True)  # type: ignore[arg-type]
            rows = []
            for order_id, order, n in zip(ids, orders, numbers, strict=True):
                supplier_order_id = str(FIRST_ID + n)
                rows.append({"order_id": order_id, "supplier_id": supplier_id, "supplier_order_id": supplier_order_id,
                             "internal_reference": order["internal_reference"], "warehouse": "1",
                             "skus": [product.sku], "total": total, "status": "created", "source": "created",
                             "created_at": sent_at})
                with bigbuy.lock:
                    bigbuy.orders[supplier_order_id] = StoredOrder(
                        supplier_order_id, order["internal_reference"], product.warehouse, [(product.sku, 1)],
                        dict(wire_address), total, sent_at)
                    bigbuy.orders_by_reference[order["internal_reference"]] = [supplier_order_id]
            bulk_insert(session, SupplierOrderRow.__table__, rows)  # type: ignore[arg-type]
    bigbuy._next_id = FIRST_ID + count


def main(argv: list[str] | None = None) -> int:
    p = parser(__doc__.splitlines()[0], orders=10_000)
    args = p.parse_args(argv)
    quiet_logs()
    os.environ["ORDERHUB_BROKER_URL"] = os.environ["ORDERHUB_RATELIMIT_URL"] = ""  # an in-process bucket
    from sync.settings import get_settings

    get_settings.cache_clear()
    db = fresh_database(args.database_url, args.schema or SCHEMA)
    use_database(db)
    connect.forget()
    bigbuy = BigBuySandbox(rate_per_second=0)  # no limit: the figure is calls, not time
    server = Running(bigbuy).start()
    try:
        shop_id, supplier_id = setup(db, server.url, bigbuy.api_key)
        log(f"seeding {args.orders} sent orders")
        seed_sent(db, bigbuy, shop_id, supplier_id, args.orders)
        shipped_at_supplier = bigbuy.advance()
        log(f"the supplier shipped {shipped_at_supplier}; sweeping")
        calls0 = counter(metrics.CALLS, account=SUPPLIER)
        by_endpoint0 = calls_by_endpoint(SUPPLIER)
        t0 = time.perf_counter()
        result = track.sweep(db, connect.supplier_for)
        seconds = time.perf_counter() - t0
        calls = counter(metrics.CALLS, account=SUPPLIER) - calls0
        by_endpoint = {k: v - by_endpoint0.get(k, 0.0) for k, v in calls_by_endpoint(SUPPLIER).items()}
        with db.session() as session:
            shipped = session.scalar(select(func.count()).select_from(Order).where(Order.status == "shipped")) or 0
    finally:
        server.stop()
        connect.forget()
        use_database(None)
        db.dispose()
    log(f"supplier calls by endpoint: {by_endpoint}")
    emit({
        "bench": "tracking", "orders": args.orders, "supplier_calls": int(calls), "sweep_calls": result.calls,
        "orders_tracked": result.tracked, "orders_per_call": round(result.tracked / calls, 1) if calls else None,
        "shipped_orders": int(shipped), "shipments_to_push": len(result.to_push), "seconds": round(seconds, 2),
    })
    return 0


if __name__ == "__main__":
    sys.exit(main())
