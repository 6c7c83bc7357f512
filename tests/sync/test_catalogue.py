"""The catalogue: the supplier's four lists read from the BigBuy sandbox over HTTP, stored, and
used at ingest so that unknown, unstocked and discontinued products are held before a create."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select

from connectors import codes
from sandbox import catalogue as sandbox_catalogue
from sandbox.bigbuy import BigBuySandbox
from sandbox.server import Running
from sync import catalogue, catalogue_map, connect
from sync.db import Database
from sync.evaluate import catalogue_context, judge
from sync.models import CatalogueItem, Channel, SupplierProduct

from support.orders import order

OUT, GONE = sandbox_catalogue.OUT_OF_STOCK.sku, sandbox_catalogue.DISCONTINUED.sku
STANDARD = sandbox_catalogue.STANDARD[0].sku


@pytest.fixture
def bigbuy() -> Iterator[BigBuySandbox]:
    app = BigBuySandbox(rate_per_second=0)
    app.catalogue.windows.clear()  # no hourly limit here; the limit has its own test
    with Running(app) as running:
        app.url = running.url  # type: ignore[attr-defined]
        yield app


def _supplier(db: Database, app: Any, **settings: Any) -> int:
    with db.session() as s:
        row = Channel(name="bigbuy", kind="bigbuy", role="supplier", url=app.url,
                      credentials={"api_key": app.api_key},
                      settings={"catalogue_page_size": 7, "catalogue_calls_per_hour": 3_600_000, **settings})
        s.add(row)
        s.flush()
        return row.id


def _products(db: Database) -> dict[str, SupplierProduct]:
    with db.session() as s:
        rows = s.scalars(select(SupplierProduct)).all()
        s.expunge_all()
        return {r.sku: r for r in rows}


def test_a_sync_reads_products_variations_and_stock_joined_by_id(db: Database, bigbuy: BigBuySandbox) -> None:
    _supplier(db, bigbuy)
    result = catalogue.sync_catalogue(db, connect.supplier_for)
    products = _products(db)
    assert set(products) == {p.sku for p in sandbox_catalogue.PRODUCTS}
    assert products[STANDARD].stock == 1_000_000 and products[STANDARD].active
    assert products[STANDARD].cost == Decimal("25.50")
    assert products[OUT].stock == 0 and products[OUT].active
    assert not products[GONE].active
    medium, large = products["V0030001"], products["V0030002"]
    assert (medium.product_id, medium.variation_id, medium.stock) == ("3000", "30001", 250)
    assert large.stock == 0  # absent from the variation stock list
    # 21 products at 7 a page: 3 full pages and an empty one; 18 of them in stock: 3 pages;
    # the variations and their stock: one page each
    assert result.calls == 4 + 3 + 1 + 1
    assert result.discontinued == 1


def test_orders_are_held_for_stock_and_discontinued_products_before_a_create(
        db: Database, bigbuy: BigBuySandbox) -> None:
    _supplier(db, bigbuy)
    catalogue.sync_catalogue(db, connect.supplier_for)
    verdicts = {}
    with db.session() as s:
        for sku, quantity in ((STANDARD, 1), (OUT, 1), (GONE, 1), ("V0030001", 251), ("V0030001", 250), ("NOPE", 1)):
            record = order(sku=sku, quantity=quantity)
            verdict = judge(record, catalogue_context(s, [record]), {})
            verdicts[(sku, quantity)] = sorted(i.code for i in verdict.issues)
    assert verdicts == {
        (STANDARD, 1): [], (OUT, 1): [codes.OUT_OF_STOCK], (GONE, 1): [codes.DISCONTINUED],
        ("V0030001", 251): [codes.OUT_OF_STOCK], ("V0030001", 250): [], ("NOPE", 1): [codes.UNKNOWN_SKU],
    }


def test_a_stock_refresh_reads_only_the_stock_lists(db: Database, bigbuy: BigBuySandbox) -> None:
    _supplier(db, bigbuy)
    catalogue.sync_catalogue(db, connect.supplier_for)
    bigbuy.out_of_stock.add(STANDARD)
    result = catalogue.refresh_stock(db, connect.supplier_for)
    # 17 products in stock at 7 a page: 3 pages, and 1 of variations; a full read costs 9
    assert not result.full and result.calls == 3 + 1
    assert _products(db)[STANDARD].stock == 0


def test_a_stock_refresh_with_nothing_read_yet_reads_everything(db: Database, bigbuy: BigBuySandbox) -> None:
    _supplier(db, bigbuy)
    result = catalogue.refresh_stock(db, connect.supplier_for)
    assert result.full and STANDARD in _products(db)


def test_a_product_that_leaves_the_lists_is_discontinued(db: Database, bigbuy: BigBuySandbox) -> None:
    _supplier(db, bigbuy)
    catalogue.sync_catalogue(db, connect.supplier_for)
    bigbuy.catalogue.withdrawn.add(STANDARD)
    catalogue.sync_catalogue(db, connect.supplier_for)
    gone = _products(db)[STANDARD]
    assert not gone.active and gone.stock == 0


def test_a_sync_keeps_an_operators_mapping(db: Database, bigbuy: BigBuySandbox) -> None:
    _supplier(db, bigbuy)
    catalogue.sync_catalogue(db, connect.supplier_for)
    catalogue_map.map_sku(db, STANDARD, "V0030001")  # the shop sells its own SKU under a supplier SKU
    catalogue_map.map_sku(db, "MY-LAMP", OUT)
    catalogue.sync_catalogue(db, connect.supplier_for)
    with db.session() as s:
        items = {i.sku: (i.supplier_sku, i.source, i.cost) for i in s.scalars(select(CatalogueItem))}
        record = order(sku="MY-LAMP")
        issues = judge(record, catalogue_context(s, [record]), {}).issues
    assert items[STANDARD] == ("V0030001", "manual", Decimal("8.00"))
    assert items["MY-LAMP"] == (OUT, "manual", Decimal("25.50"))
    assert items["V0030002"] == ("V0030002", "supplier", Decimal("8.00"))
    assert [i.code for i in issues] == [codes.OUT_OF_STOCK]  # judged by the product it maps to


def test_each_list_is_paced_below_its_hourly_limit(db: Database) -> None:
    with db.session() as s:
        row = Channel(name="bb", kind="bigbuy", role="supplier", url="http://bb.invalid", settings={})
        s.add(row)
        s.flush()
        pacers = {name: catalogue.list_pacer(row, name) for name in ("products", "productsstockbyhandlingdays")}
    rates = {name: p.rate * 3600 for name, p in pacers.items()}  # type: ignore[attr-defined]
    assert all(0 < r <= 10 for r in rates.values()), rates
    assert pacers["products"] is not pacers["productsstockbyhandlingdays"]


def test_a_supplier_without_a_catalogue_reader_is_refused(db: Database) -> None:
    with db.session() as s:
        s.add(Channel(name="other", kind="acme", role="supplier", url="http://acme.invalid"))
    with pytest.raises(catalogue.CatalogueUnsupported):
        catalogue.sync_catalogue(db, connect.supplier_for)
