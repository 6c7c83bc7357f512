"""Shop orders whose payment the seller confirms: a WooCommerce shop, its published order body
as a bank transfer (``bacs``, ``on-hold``) or cash on delivery (``cod``, ``processing``), stored
through ingest as a pull would."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from connectors.records import OrderPage
from connectors.woocommerce.parse import parse_order
from sync.db import Database
from sync.ingest import store_page
from sync.models import CatalogueItem, Channel, Order
from sync.payment_models import PaymentConfirmation

from support import payload

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def add_shop(db: Database, *, settings: dict[str, Any] | None = None, alone: bool = False) -> int:
    """``alone``: only the shop (the supplier account and the catalogue are there already)."""
    with db.session() as s:
        shop = Channel(name="woo shop", kind="woocommerce", role="channel", url="https://shop.example",
                       credentials={"consumer_key": "ck", "consumer_secret": "cs"}, settings=settings or {})
        s.add(shop)
        if not alone:
            s.add(Channel(name="supplier", kind="bigbuy", role="supplier", url="http://supplier.invalid",
                          credentials={"api_key": "k"}, settings={}))
            for sku in ("SKU-1", "SKU-2"):
                s.add(CatalogueItem(sku=sku, supplier_sku=sku, title=sku, cost=Decimal("10.00")))
        s.flush()
        return shop.id


def woo_body(order_id: int = 727, *, status: str = "on-hold", method: str = "bacs", minutes: int = 0,
             paid: bool = False) -> dict[str, Any]:
    """The published example order, with one line of a SKU the catalogue knows."""
    body: dict[str, Any] = copy.deepcopy(json.loads(
        payload("woocommerce", "orders__retrieve-an-order.response.json").read_text()))
    modified = (T0 + timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%S")
    titles = {"bacs": "Direct bank transfer", "cod": "Cash on delivery"}
    body.update(id=order_id, number=str(order_id), status=status, payment_method=method,
                payment_method_title=titles.get(method, method), date_modified_gmt=modified,
                date_modified=modified, date_paid_gmt=modified if paid else None, date_paid=modified if paid else None)
    body["line_items"] = [{**body["line_items"][0], "sku": "SKU-1", "quantity": 1}]
    return body


def ingest(db: Database, channel_id: int, *bodies: dict[str, Any]) -> list[int]:
    """Stores the bodies; returns the ids of the orders that became ready."""
    with db.session() as s:
        return store_page(s, channel_id, OrderPage(orders=[parse_order(b) for b in bodies])).ready


def shop_id(db: Database) -> int:
    with db.session() as s:
        return s.execute(select(Channel.id).where(Channel.name == "woo shop")).scalar_one()


def order_id_of(db: Database, external_id: str = "727") -> int:
    with db.session() as s:
        return s.execute(select(Order.id).where(Order.external_id == external_id)).scalar_one()


def standing(db: Database, order_id: int) -> tuple[str, str | None, str | None]:
    """The order's status, its payment confirmation's state and who decided it."""
    with db.session() as s:
        order = s.get(Order, order_id)
        found = s.get(PaymentConfirmation, order_id)
        assert order is not None
        return order.status, found.state if found else None, found.decided_by if found else None
