"""Builders for the customer tests: a channel of a given kind and orders from named buyers."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from connectors.records import Address, ChannelCustomer, ChannelOrder, OrderLine, OrderPage
from sync.db import Database
from sync.ingest import store_page
from sync.models import Channel

from support.orders import T0


def add_channel(db: Database, name: str = "shop", kind: str = "shopify",
                settings: dict[str, Any] | None = None) -> int:
    with db.session() as s:
        ch = Channel(name=name, kind=kind, role="channel", url=f"http://{name}.invalid",
                     credentials={"access_token": "t"}, settings=settings or {})
        s.add(ch)
        s.flush()
        return ch.id


def buyer_order(external_id: str, *, buyer: str | None = "B1", email: str | None = "ana@example.com",
                total: str = "10.00", currency: str = "EUR", cancelled: bool = False, paid: str = "paid",
                updated: int = 0, placed: int = 0, city: str = "Valencia", sku: str = "SKU-1",
                unit_price: str | None = None, test: bool = False) -> ChannelOrder:
    address = Address(first_name="Ana", last_name="Lopez", address1="Calle Mayor 1", city=city, postcode="46005",
                      country_code="ES", phone="+34600000001", email=email)
    return ChannelOrder(
        external_id=external_id, number=f"#{external_id}", status="open", payment_status=paid,  # type: ignore[arg-type]
        currency=currency, total=Decimal(total), placed_at=T0 + timedelta(minutes=placed),
        updated_at=T0 + timedelta(minutes=updated), shipping_address=address,
        lines=[OrderLine(sku=sku, quantity=1, unit_price=Decimal(unit_price or total), title="Lamp")],
        customer=ChannelCustomer(external_id=buyer, email=email, first_name="Ana", last_name="Lopez")
        if buyer or email else None,
        cancelled=cancelled, test=test)


def ingest(db: Database, channel_id: int, *orders: ChannelOrder) -> None:
    with db.session() as s:
        store_page(s, channel_id, OrderPage(orders=list(orders)))
