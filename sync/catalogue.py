"""The supplier's catalogue, kept locally: every reference it sells, whether it still sells it and
how many it holds, so that ``unknown_sku``, ``out_of_stock`` and ``discontinued`` are known at
ingest instead of costing a create.

A full sync reads the supplier's product and variation lists and both stock lists; a stock
refresh reads only the stock lists. Catalogue lists are limited to a few calls an hour per list
(BigBuy: 10), so each list has its own shared bucket, paced below that. No supplier call is made
inside a database transaction.

Each supplier reference is also a channel SKU of its own (``source="supplier"``): most shops sell
the supplier's SKUs as they are. Shops whose SKUs differ map them (``sync.catalogue_map``); an
operator's mapping is never overwritten by a sync.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from connectors.base import SupplierConnector
from connectors.bigbuy.catalogue import CALLS_PER_HOUR, PAGE_SIZE, BigBuyCatalogue
from connectors.bigbuy.catalogue import SupplierProduct as ProductRecord
from connectors.ratelimit import Pacer, TokenBucket
from sync.db import Database
from sync.models import CatalogueItem, Channel, SupplierProduct, utcnow
from sync.settings import get_settings
from sync.upsert import insert_for
from sync.wallet import NoSupplier, supplier_row

__all__ = ["CatalogueResult", "CatalogueUnsupported", "NoSupplier", "availability", "refresh_stock",
           "sync_catalogue"]

SUPPLIER, MANUAL = "supplier", "manual"
#: supplier kinds whose catalogue can be read, and the reader for each
READERS: dict[str, Callable[..., BigBuyCatalogue]] = {"bigbuy": BigBuyCatalogue}
_CHUNK = 500


class CatalogueUnsupported(LookupError):
    """The supplier account's kind has no catalogue reader."""


@dataclass
class CatalogueResult:
    supplier: str
    calls: int = 0
    products: int = 0
    in_stock: int = 0
    discontinued: int = 0
    full: bool = True


_lock = threading.Lock()
_pacers: dict[tuple[str, str, float], Pacer] = {}


def list_pacer(row: Channel, name: str) -> Pacer:
    """One shared bucket per account and list, paced below the account's hourly allowance."""
    calls_per_hour = float((row.settings or {}).get("catalogue_calls_per_hour") or CALLS_PER_HOUR)
    storage = get_settings().ratelimit_storage()
    key = f"supplier:{row.kind}:{row.id}:catalog:{name}"
    # the bucket counts whole calls per 1000 s: round down, so the pace never exceeds the limit
    rate = max(1, math.floor(calls_per_hour * 1000 / 3600)) / 1000
    with _lock:
        if (key, storage, rate) not in _pacers:
            _pacers[(key, storage, rate)] = TokenBucket(key, rate, storage)
        return _pacers[(key, storage, rate)]


def reader_for(row: Channel, supplier_for: Callable[[Channel], SupplierConnector]) -> BigBuyCatalogue:
    make = READERS.get(row.kind)
    if make is None:
        raise CatalogueUnsupported(f"the supplier kind {row.kind!r} has no catalogue to read")
    connector = supplier_for(row)
    page_size = int((row.settings or {}).get("catalogue_page_size") or PAGE_SIZE)
    return make(connector, lambda name: list_pacer(row, name), page_size=page_size)


def sync_catalogue(db: Database, supplier_for: Callable[[Channel], SupplierConnector]) -> CatalogueResult:
    """Read every product, variation and stock of the supplier and store them."""
    with db.session() as session:
        row = supplier_row(session)
        supplier_id, name = row.id, row.name
        reader = reader_for(row, supplier_for)
    products = reader.products()
    with db.session() as session:
        store_products(session, supplier_id, products)
    return _result(db, supplier_id, name, reader.calls, full=True)


def refresh_stock(db: Database, supplier_for: Callable[[Channel], SupplierConnector]) -> CatalogueResult:
    """Read the stock lists only; a supplier whose products were never read gets a full sync."""
    with db.session() as session:
        row = supplier_row(session)
        supplier_id, name = row.id, row.name
        known = session.scalar(select(SupplierProduct.id).where(SupplierProduct.supplier_id == supplier_id).limit(1))
        reader = reader_for(row, supplier_for)
    if known is None:
        return sync_catalogue(db, supplier_for)
    by_product, by_variation = reader.stock()
    with db.session() as session:
        store_stock(session, supplier_id, by_product, by_variation)
    return _result(db, supplier_id, name, reader.calls, full=False)


def store_products(session: Session, supplier_id: int, products: Iterable[ProductRecord]) -> None:
    now = utcnow()
    rows = {p.sku: {"supplier_id": supplier_id, "sku": p.sku, "product_id": p.product_id,
                    "variation_id": p.variation_id, "active": p.active, "stock": p.stock, "cost": p.cost,
                    "gtin": getattr(p, "gtin", None), "seen_at": now, "stock_at": now} for p in products}
    table = SupplierProduct.__table__
    values = list(rows.values())
    for i in range(0, len(values), _CHUNK):
        stmt = insert_for(session, table)  # type: ignore[arg-type]
        session.execute(stmt.on_conflict_do_update(
            index_elements=["supplier_id", "sku"],
            set_={c: getattr(stmt.excluded, c) for c in
                  ("product_id", "variation_id", "active", "stock", "cost", "gtin", "seen_at", "stock_at")},
        ), values[i : i + _CHUNK])
    # what the lists no longer show is no longer sold
    session.execute(update(SupplierProduct)
                    .where(SupplierProduct.supplier_id == supplier_id, SupplierProduct.seen_at < now)
                    .values(active=False, stock=0, stock_at=now))
    _identity_mappings(session, values)


def _identity_mappings(session: Session, products: list[dict[str, Any]]) -> None:
    """Each supplier reference maps to itself unless an operator mapped that SKU elsewhere."""
    items = [{"sku": p["sku"], "supplier_sku": p["sku"], "title": "", "cost": p["cost"], "source": SUPPLIER}
             for p in products]
    table = CatalogueItem.__table__
    for i in range(0, len(items), _CHUNK):
        stmt = insert_for(session, table)  # type: ignore[arg-type]
        session.execute(stmt.on_conflict_do_update(
            index_elements=["sku"], set_={"cost": stmt.excluded.cost},
            where=table.c.source == SUPPLIER,
        ), items[i : i + _CHUNK])
    refresh_costs(session)


def refresh_costs(session: Session) -> None:
    """Operators' mappings take the cost of the supplier product they point at."""
    cost = (select(SupplierProduct.cost).where(SupplierProduct.sku == CatalogueItem.supplier_sku,
                                               SupplierProduct.cost.is_not(None))
            .limit(1).scalar_subquery())
    session.execute(update(CatalogueItem).where(CatalogueItem.source == MANUAL).values(cost=cost)
                    .execution_options(synchronize_session=False))


def store_stock(session: Session, supplier_id: int, by_product: dict[str, int],
                by_variation: dict[str, int]) -> None:
    """A reference missing from the stock lists has none."""
    now = utcnow()
    rows = session.execute(select(SupplierProduct.id, SupplierProduct.product_id, SupplierProduct.variation_id,
                                  SupplierProduct.stock)
                           .where(SupplierProduct.supplier_id == supplier_id))
    changes = []
    for rid, product_id, variation_id, before in rows:
        units = by_variation.get(variation_id, 0) if variation_id else by_product.get(product_id, 0)
        if units != before:
            changes.append({"id": rid, "stock": units})
    for i in range(0, len(changes), _CHUNK):
        session.execute(update(SupplierProduct), changes[i : i + _CHUNK])
    session.execute(update(SupplierProduct).where(SupplierProduct.supplier_id == supplier_id)
                    .values(stock_at=now))


def availability(session: Session, channel_skus: Iterable[str]) -> tuple[dict[str, int], frozenset[str]]:
    """(channel SKU -> units in stock, channel SKUs whose product is discontinued), for the SKUs
    whose supplier product the catalogue sync has seen."""
    stock: dict[str, int] = {}
    gone: set[str] = set()
    ordered = sorted(set(channel_skus))
    for i in range(0, len(ordered), _CHUNK):
        rows = session.execute(
            select(CatalogueItem.sku, SupplierProduct.active, SupplierProduct.stock)
            .join(SupplierProduct, SupplierProduct.sku == CatalogueItem.supplier_sku)
            .where(CatalogueItem.sku.in_(ordered[i : i + _CHUNK]))
        )
        for sku, active, units in rows:
            if active:
                stock[sku] = max(stock.get(sku, 0), units)
            else:
                gone.add(sku)
    return stock, frozenset(gone - set(stock))


def _result(db: Database, supplier_id: int, name: str, calls: int, *, full: bool) -> CatalogueResult:
    with db.session() as session:
        rows = session.execute(select(SupplierProduct.active, SupplierProduct.stock)
                               .where(SupplierProduct.supplier_id == supplier_id)).all()
    return CatalogueResult(supplier=name, calls=calls, products=len(rows), full=full,
                           in_stock=sum(1 for active, units in rows if active and units > 0),
                           discontinued=sum(1 for active, _ in rows if not active))
