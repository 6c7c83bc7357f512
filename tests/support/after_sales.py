"""Builders for the after-sales tests: a channel's order stored through ingest (with its lines
and, if given, the refunds in its body), then put in the state a test needs."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select, update

from connectors.records import Address, ChannelCustomer, ChannelOrder, OrderLine, OrderPage
from sync.db import Database
from sync.ingest import store_page
from sync.models import Channel, Order

from support.orders import T0

#: what the after-sales functions are given by an account that has every permission
ALLOWED: dict[str, bool] = {"can_after_sales": True}
REFUNDER: dict[str, bool] = {"can_refund": True}


def channel(db: Database, kind: str = "shopify", name: str = "shop") -> int:
    with db.session() as s:
        found = s.scalar(select(Channel.id).where(Channel.name == name))
        if found is not None:
            return found
        ch = Channel(name=name, kind=kind, role="channel", url=f"http://{name}.invalid",
                     credentials={"access_token": "t"}, settings={})
        s.add(ch)
        s.flush()
        return ch.id


def stored_order(db: Database, *, status: str | None = "shipped", lines: list[tuple[str, int, str]] | None = None,
                 currency: str = "EUR", kind: str = "shopify", external_id: str = "1", paid: str = "paid",
                 raw: dict[str, Any] | None = None, buyer: str | None = "B1", cancelled: bool = False,
                 updated: int = 0) -> int:
    """An order of ``lines`` (sku, quantity, unit price), line ids "L0", "L1"..., in ``status``
    (None: as ingest left it). ``cancelled``/``updated``: a later version the channel sends."""
    lines = lines or [("SKU-1", 2, "10.00"), ("SKU-2", 1, "5.00")]
    total = sum((Decimal(p) * q for _, q, p in lines), Decimal(0))
    record = ChannelOrder(
        external_id=external_id, number=f"#{external_id}", status="open", payment_status=paid,  # type: ignore[arg-type]
        currency=currency, total=total, placed_at=T0, updated_at=T0 + timedelta(minutes=updated),
        shipping_address=Address(first_name="Lucia", last_name="Garcia", address1="Calle Mayor 1", city="Valencia",
                                 postcode="46005", country_code="ES", phone="+34600000000", email="lucia@example.com"),
        lines=[OrderLine(sku=sku, quantity=q, unit_price=Decimal(p), title=f"Item {sku}", external_id=f"L{i}")
               for i, (sku, q, p) in enumerate(lines)],
        customer=ChannelCustomer(external_id=buyer, email="lucia@example.com", first_name="Lucia",
                                 last_name="Garcia") if buyer else None,
        raw=raw or {"id": external_id}, cancelled=cancelled)
    channel_id = channel(db, kind)
    with db.session() as s:
        store_page(s, channel_id, OrderPage(orders=[record]))
        order_id = s.scalar(select(Order.id).where(Order.channel_id == channel_id, Order.external_id == external_id))
        assert order_id is not None
        if status is not None:
            s.execute(update(Order).where(Order.id == order_id).values(status=status))
        return order_id


def confirmed_refund(db: Database, customer: str, amount: str, currency: str = "EUR") -> int:
    """A refund-only order for an offline sale of ``customer`` (a code), refunded and confirmed."""
    from sync import after_sales as a
    from sync import after_sales_refunds as refunds
    from sync import after_sales_rules as rules

    with db.session() as s:
        found = a.create(s, kind=rules.REFUND_ONLY, actor="user:ana", can_after_sales=True, can_edit_prices=True,
                         offline=a.OfflineSale(buyer_name="Lucia Garcia", currency=currency, customer=customer),
                         items=[a.ItemInput(sku="SKU-1", quantity=1, unit_price=Decimal(amount))])
        a.confirm(s, found.id, actor="user:ana", **ALLOWED)
        refund = refunds.create_refund(s, found.id, amount=amount, actor="user:ana", **REFUNDER)
        refunds.confirm_refund(s, refund.id, actor="user:ana", **REFUNDER)
        return found.id


def shopify_refunded_body() -> dict[str, Any]:
    """A Shopify order's body with one refund of 10.00 for one unit of its first line (SKU-1)."""
    import json

    from support import payload

    refund = json.loads(payload("shopify", "refund.json").read_text())["refund"]
    refund["refund_line_items"][0]["line_item_id"] = "L0"
    refund["refund_line_items"][0]["line_item"]["sku"] = "SKU-1"
    del refund["refund_line_items"][1]
    refund["transactions"][0]["amount"] = "10.00"
    return {"id": 1, "refunds": [refund]}
