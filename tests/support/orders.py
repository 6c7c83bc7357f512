"""Builders for tests: channel rows, canonical orders, orders stored and ready to forward."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from connectors.records import Address, ChannelOrder, OrderLine, OrderPage
from sync.db import Database
from sync.ingest import store_page
from sync.models import CatalogueItem, Channel

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def fresh_channel(db: Database, kind: str, prefix: str) -> int:
    """A channel of ``kind`` of its own (named ``prefix-kind-N``), so each example's counts stand alone."""
    with db.session() as s:
        channel = Channel(name=f"{prefix}-{kind}-{next(_channel_numbers)}", kind=kind, role="channel",
                          url="http://shop.invalid", credentials={}, settings={})
        s.add(channel)
        s.flush()
        return channel.id


_channel_numbers = itertools.count(1)


def add_accounts(db: Database, *, settings: dict[str, Any] | None = None) -> tuple[int, int]:
    with db.session() as s:
        ch = Channel(name="shop", kind="shopify", role="channel", url="http://shop.invalid",
                     credentials={"access_token": "t"}, settings=settings or {})
        sup = Channel(name="supplier", kind="bigbuy", role="supplier", url="http://supplier.invalid",
                      credentials={"api_key": "k"}, settings={})
        s.add_all([ch, sup])
        for sku in ("SKU-1", "SKU-2", "SKU-3"):
            s.add(CatalogueItem(sku=sku, supplier_sku=sku, title=sku, cost=Decimal("10.00")))
        s.flush()
        return ch.id, sup.id


def order(external_id: str = "1", *, updated: int = 0, paid: str = "paid", last_name: str | None = "Garcia",
          sku: str | None = "SKU-1", cancelled: bool = False, address2: str | None = None,
          quantity: int = 1, test: bool = False, postcode: str = "46005") -> ChannelOrder:
    return ChannelOrder(
        external_id=external_id,
        number=f"#{external_id}",
        status="open",
        payment_status=paid,  # type: ignore[arg-type]
        currency="EUR",
        total=Decimal("39.90"),
        placed_at=T0,
        updated_at=T0 + timedelta(minutes=updated),
        shipping_address=Address(first_name="Lucia", last_name=last_name, address1="Calle Mayor 1",
                                 address2=address2, city="Valencia", postcode=postcode, country_code="ES",
                                 phone="+34600000000", email="lucia@example.com"),
        lines=[OrderLine(sku=sku, quantity=quantity, unit_price=Decimal("39.90"), title="Lamp", external_id="11")],
        cancelled=cancelled,
        test=test,
    )


def ready_orders(db: Database, count: int) -> list[int]:
    """``count`` clean, paid orders stored through ingest: each one ``ready`` to forward."""
    channel_id, _ = add_accounts(db)
    with db.session() as s:
        ready = store_page(s, channel_id, OrderPage(orders=[order(str(n)) for n in range(count)])).ready
    assert len(ready) == count
    return ready
