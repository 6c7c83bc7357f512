"""An operator's choice of shipping method is checked against the supplier's options for the order
(asked outside any transaction) and stored as the code the supplier knows it by."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from connectors.records import OrderPage, ShippingOption
from sync.carrier import choose_carrier
from sync.db import Database
from sync.ingest import store_page
from sync.models import Order
from sync.review import ReviewError

from support.orders import add_accounts, order
from support.supplier import FakeSupplier

OPTIONS = [ShippingOption(carrier="gls", name="GLS Express"), ShippingOption(carrier="correos", name="Correos")]


def _flagged(db: Database) -> int:
    channel_id, _ = add_accounts(db)
    with db.session() as s:
        store_page(s, channel_id, OrderPage(orders=[order("1", postcode="ABC")]))
    with db.session() as s:
        oid = s.scalar(select(Order.id))
        assert oid is not None and s.get_one(Order, oid).status == "pending_review"
        return oid


def _carrier(db: Database, oid: int) -> str | None:
    with db.session() as s:
        return s.get_one(Order, oid).carrier


def test_a_carrier_chosen_by_its_name_is_stored_as_the_suppliers_code(db: Database) -> None:
    oid = _flagged(db)
    supplier = FakeSupplier()
    supplier.carriers = OPTIONS
    in_transaction: list[bool] = []
    supplier.on_call = lambda name: in_transaction.append(db.engine.pool.checkedout() > 0)  # type: ignore[attr-defined]
    assert choose_carrier(db, oid, " gls  express ", lambda row: supplier, actor="user:ana") == "gls"
    assert _carrier(db, oid) == "gls"
    assert in_transaction == [False]  # the supplier was asked with no database connection held


def test_a_carrier_the_supplier_does_not_offer_for_the_order_is_refused_and_nothing_changes(db: Database) -> None:
    oid = _flagged(db)
    supplier = FakeSupplier()
    supplier.carriers = OPTIONS
    with pytest.raises(ReviewError, match="does not ship") as refused:
        choose_carrier(db, oid, "dhl", lambda row: supplier, actor="user:ana")
    assert refused.value.field == "carrier"
    assert _carrier(db, oid) is None


def test_an_empty_choice_goes_back_to_the_default_without_asking(db: Database) -> None:
    oid = _flagged(db)
    supplier = FakeSupplier()
    supplier.carriers = OPTIONS
    choose_carrier(db, oid, "correos", lambda row: supplier, actor="user:ana")
    supplier.on_call = lambda name: pytest.fail(f"the supplier was asked ({name})")
    assert choose_carrier(db, oid, "  ", lambda row: supplier, actor="user:ana") is None
    assert _carrier(db, oid) is None


def test_an_order_not_editable_is_refused_before_the_supplier_is_asked(db: Database) -> None:
    channel_id, _ = add_accounts(db)
    with db.session() as s:
        store_page(s, channel_id, OrderPage(orders=[order("1")]))
        oid = s.scalar(select(Order.id))
    supplier = FakeSupplier()
    supplier.on_call = lambda name: pytest.fail(f"the supplier was asked ({name})")
    with pytest.raises(ReviewError, match="only while"):
        choose_carrier(db, oid, "gls", lambda row: supplier, actor="user:ana")
