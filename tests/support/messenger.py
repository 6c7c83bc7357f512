"""Builders for messenger order tests: a store, payment methods, a catalogue entry and prices."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sync import messenger as m
from sync import prices
from sync.db import Database
from sync.models import CatalogueItem

BUYER: dict[str, Any] = {"first_name": "Ana", "last_name": "Lopez", "phone": "+34600000001",
                         "email": "ana@example.com", "address1": "Calle Mayor 1", "city": "Valencia",
                         "postcode": "46005", "country_code": "ES"}
#: the smallest PNG there is (1x1), as a phone would send a photo
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082")


def setup_store(db: Database, *, sku: str = "SKU-1", price: str = "9.50") -> None:
    with db.session() as s:
        m.add_store(s, "Chat shop")
        m.add_payment_method(s, "Bank transfer", "IBAN ES00 0000", needs_proof=True)
        m.add_payment_method(s, "Cash on delivery", "Pay the courier", needs_proof=False)
        s.merge(CatalogueItem(sku=sku, supplier_sku=f"S-{sku}", title="Lamp", cost=Decimal("4.00")))
        prices.set_wholesale(s, sku, 1, None, Decimal(price))


def new_order(db: Database, *, buyer: dict[str, Any] | None = None, method: str | None = "Bank transfer",
              for_approval: bool = False, quantity: int = 2, **kwargs: Any) -> int:
    with db.session() as s:
        return m.create(s, store="Chat shop", lines=[m.LineInput("SKU-1", quantity)], actor="user:seller",
                        can_edit_prices=kwargs.pop("can_edit_prices", False), buyer=buyer,
                        payment_method_name=method, for_approval=for_approval, **kwargs)



def setup_warehouse(db: Database, name: str = "Shop floor", stock_levels: dict[str, int] | None = None) -> int:
    """One of the seller's own warehouses, holding ``stock_levels`` (SKU-1: 10 unless said)."""
    from sync import stock

    with db.session() as s:
        warehouse = stock.add_warehouse(s, name)
        for sku, units in (stock_levels if stock_levels is not None else {"SKU-1": 10}).items():
            stock.move(s, warehouse_id=warehouse.id, sku=sku, quantity=units, reason="counted", actor="user:seller")
        return warehouse.id


def self_delivered(db: Database, *, method: str = "Cash on delivery", quantity: int = 2,
                   warehouse: str = "Shop floor", approve: bool = True) -> int:
    """A self-delivered order with complete buyer details, approved unless said."""
    with db.session() as s:
        order_id = m.create(s, store="Chat shop", lines=[m.LineInput("SKU-1", quantity)], actor="user:seller",
                            can_edit_prices=False, buyer=BUYER, payment_method_name=method, for_approval=True,
                            logistics=m.SELF_DELIVERY, warehouse=warehouse)
        if approve:
            m.approve(s, order_id, actor="user:seller")
        return order_id
