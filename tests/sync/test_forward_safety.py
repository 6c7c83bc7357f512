"""Forwarding's guards against money spent twice or lines lost: no supplier call inside a
transaction, wallet arithmetic in Decimal, bounded permanent failures, split creates after a crash,
channel changes while an order is in flight, and orders placed by hand."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select, update

from connectors.errors import FailLoudly
from connectors.records import OrderLine, OrderPage
from sync.forward import MAX_CREATE_FAILURES, forward
from sync.ingest import store_page
from sync.issues import open_codes
from sync.models import CatalogueItem, Order, OrderIssue, SupplierOrderRow
from sync.states import Status

from support.orders import add_accounts, order
from support.supplier import FakeSupplier


class Killed(BaseException):
    """Stands for the process dying: not an Exception, so nothing on the way catches it."""


def _die(point: str) -> None:
    raise Killed(point)


def _store(db, *orders) -> tuple[int, list[int]]:
    channel_id, _ = add_accounts(db)
    with db.session() as s:
        ready = store_page(s, channel_id, OrderPage(orders=list(orders))).ready
    return channel_id, ready


def _two_lines(external_id: str = "1", **kwargs):
    o = order(external_id, **kwargs)
    extra = OrderLine(sku="SKU-2", quantity=1, unit_price=Decimal("5.00"), title="Shade", external_id="12")
    return o.model_copy(update={"lines": [*o.lines, extra]})


def test_no_supplier_call_is_made_while_a_database_transaction_is_open(db) -> None:
    _, (oid,) = _store(db, order("1"))
    supplier = FakeSupplier()
    supplier.drop_after_store = 1  # a second attempt looks up first, then reads the wallet again
    calls: list[tuple[str, int]] = []
    supplier.on_call = lambda name: calls.append((name, db.engine.pool.checkedout()))
    with pytest.raises(Exception, match="connection dropped"):
        forward(db, oid, lambda row: supplier)
    with db.session() as s:  # the cached balance is old: the next attempt reads it again
        s.execute(update(CatalogueItem).values(cost=Decimal("1.00")))
    assert forward(db, oid, lambda row: supplier, wallet_ttl=timedelta(0)).result == "sent"
    assert {name for name, _ in calls} >= {"wallet_balance", "create", "find_by_reference"}
    assert [c for c in calls if c[1]] == []  # no connection was checked out during any call


def test_wallet_arithmetic_is_exact_in_cents(db) -> None:
    _, ready = _store(db, order("1", sku="SKU-1"), order("2", sku="SKU-2"))
    with db.session() as s:
        s.execute(update(CatalogueItem).where(CatalogueItem.sku == "SKU-1").values(cost=Decimal("0.90")))
        s.execute(update(CatalogueItem).where(CatalogueItem.sku == "SKU-2").values(cost=Decimal("0.10")))
    supplier = FakeSupplier()
    supplier.balance = Decimal("1.00")
    assert [forward(db, oid, lambda row: supplier).result for oid in ready] == ["sent", "sent"]


def test_a_create_refused_outright_goes_to_review_after_a_bounded_number_of_tries(db) -> None:
    _, (oid,) = _store(db, order("1"))
    supplier = FakeSupplier()
    supplier.fail_create = FailLoudly("HTTP 403 from the supplier: <html>Forbidden</html>")
    for _ in range(MAX_CREATE_FAILURES - 1):
        with pytest.raises(FailLoudly):
            forward(db, oid, lambda row: supplier)
        with db.session() as s:
            assert s.get_one(Order, oid).status == Status.READY
    outcome = forward(db, oid, lambda row: supplier)
    assert (outcome.result, supplier.creates) == ("pending_review", MAX_CREATE_FAILURES)
    with db.session() as s:
        assert open_codes(s, oid) == ["supplier_rejected"]
        assert "Forbidden" in s.scalar(select(OrderIssue.message))


def test_a_split_create_lost_in_a_crash_is_not_settled_on_the_one_order_the_look_up_finds(db) -> None:
    _, (oid,) = _store(db, _two_lines())
    supplier = FakeSupplier()
    supplier.warehouses = {"SKU-2": "2"}  # the supplier splits the order over two warehouses
    with pytest.raises(Killed):
        forward(db, oid, lambda row: supplier, hook=_die)
    outcome = forward(db, oid, lambda row: supplier, stale_after=timedelta(0))
    assert outcome.result == "pending_review" and supplier.creates == 1
    with db.session() as s:
        assert open_codes(s, oid) == ["supplier_rejected"]
        assert "without SKU-2" in s.scalar(select(OrderIssue.message))
        assert list(s.scalars(select(SupplierOrderRow.skus))) == [["SKU-1"]]  # what was found is kept


def _taken_by_another_installation(db, supplier: FakeSupplier, oid: int, *, sku: str = "SKU-1",
                                   postcode: str = "46005") -> None:
    """Another installation made an order under this order's reference."""
    from connectors.records import SupplierAddress, SupplierLine, SupplierOrder, SupplierOrderRequest

    with db.session() as s:
        reference = s.get_one(Order, oid).internal_reference
    supplier.orders[reference] = [SupplierOrder(supplier_order_id="777")]  # ER008 names only an id
    address = SupplierAddress(first_name="Ana", last_name="Ruiz", country_code="ES", postcode=postcode,
                              city="Madrid", address="Gran Via 2", phone="+34611111111")
    supplier.held["777"] = SupplierOrderRequest(internal_reference=reference, address=address,
                                                lines=[SupplierLine(supplier_sku=sku, quantity=1)])


@pytest.mark.parametrize("other", [{"sku": "SKU-3"}, {"postcode": "28013"}], ids=["products", "address"])
def test_an_order_found_by_reference_that_is_not_ours_is_never_taken(db, other) -> None:
    _, (oid,) = _store(db, order("1", sku="SKU-1"))
    supplier = FakeSupplier()
    _taken_by_another_installation(db, supplier, oid, **other)
    assert forward(db, oid, lambda row: supplier).result == "pending_review"
    with db.session() as s:
        assert open_codes(s, oid) == ["supplier_rejected"]
        assert "not taken as this order's" in s.scalar(select(OrderIssue.message))
        assert s.scalar(select(SupplierOrderRow.id)) is None  # never recorded as ours


def test_an_order_found_by_reference_that_is_ours_is_settled(db) -> None:
    _, (oid,) = _store(db, order("1", sku="SKU-1"))
    supplier = FakeSupplier()
    supplier.drop_after_store = 1
    with pytest.raises(Exception, match="connection dropped"):
        forward(db, oid, lambda row: supplier)
    supplier.orders = {ref: [o.model_copy(update={"skus": []}) for o in made]  # as BigBuy: an id only
                       for ref, made in supplier.orders.items()}
    assert forward(db, oid, lambda row: supplier).result == "sent"
    with db.session() as s:
        assert list(s.scalars(select(SupplierOrderRow.skus))) == [["SKU-1"]]


def test_a_channel_change_while_the_order_is_forwarding_is_flagged(db) -> None:
    channel_id, (oid,) = _store(db, order("1"))
    supplier = FakeSupplier()

    def edited_meanwhile(point: str) -> None:
        with db.session() as s:
            store_page(s, channel_id, OrderPage(orders=[order("1", updated=3, address2="Piso 2")]))

    assert forward(db, oid, lambda row: supplier, hook=edited_meanwhile).result == "sent"
    with db.session() as s:
        assert open_codes(s, oid) == ["changed_after_forwarding"]
    with db.session() as s:  # a later re-read of the same change does not hide it either
        store_page(s, channel_id, OrderPage(orders=[order("1", updated=4, address2="Piso 2")]))
        assert open_codes(s, oid) == ["changed_after_forwarding"]


def test_an_order_with_a_manual_supplier_row_is_never_created(db) -> None:
    _, (oid,) = _store(db, order("1"))
    with db.session() as s:
        s.add(SupplierOrderRow(order_id=oid, supplier_id=s.scalar(select(SupplierOrderRow.supplier_id)) or 2,
                               internal_reference="BY-HAND-1", source="manual"))
    supplier = FakeSupplier()
    forward(db, oid, lambda row: supplier)
    assert supplier.creates == 0
    with db.session() as s:
        assert s.get_one(Order, oid).status == Status.SENT
