from __future__ import annotations

import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from connectors.errors import OutcomeUnknown
from connectors.records import OrderPage, SupplierRefusal
from sync.forward import forward
from sync.ingest import store_page
from sync.issues import open_codes
from sync.models import Order, SupplierOrderRow
from sync.review import mark_sent_manually, resubmit

from support.orders import add_accounts, order
from support.supplier import FakeSupplier


class Killed(BaseException):
    """Stands for the process dying: not an Exception, so nothing on the way catches it."""


def _ready_order(db, external_id: str = "1") -> int:
    channel_id, _ = add_accounts(db)
    with db.session() as s:
        result = store_page(s, channel_id, OrderPage(orders=[order(external_id)]))
    return result.ready[0]


def _status(db, order_id: int) -> str:
    with db.session() as s:
        return s.get(Order, order_id).status


def test_a_ready_order_is_sent_and_recorded(db) -> None:
    oid = _ready_order(db)
    supplier = FakeSupplier()
    outcome = forward(db, oid, lambda row: supplier)
    assert outcome.result == "sent"
    assert _status(db, oid) == "sent" and supplier.creates == 1
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(SupplierOrderRow)) == 1
        assert s.get(Order, oid).outcome_unknown is False


def test_a_second_forward_of_a_sent_order_does_nothing(db) -> None:
    oid = _ready_order(db)
    supplier = FakeSupplier()
    forward(db, oid, lambda row: supplier)
    assert forward(db, oid, lambda row: supplier).result == "skipped"
    assert supplier.creates == 1


def test_killed_between_the_answer_and_the_commit_the_order_is_not_sent_twice(db) -> None:
    oid = _ready_order(db)
    supplier = FakeSupplier()

    def die(point: str) -> None:
        raise Killed(point)

    with pytest.raises(Killed):
        forward(db, oid, lambda row: supplier, hook=die)
    assert _status(db, oid) == "forwarding"  # the answer was lost with the process
    # the reconciler re-enqueues it later; the new attempt looks the reference up first
    outcome = forward(db, oid, lambda row: supplier, stale_after=timedelta(0))
    assert outcome.result == "sent"
    assert supplier.creates == 1 and supplier.lookups == 1
    assert len(supplier.orders) == 1
    with db.session() as s:
        assert s.scalar(select(SupplierOrderRow.source)) == "lookup"


def test_an_unknown_outcome_is_looked_up_before_any_resend(db) -> None:
    oid = _ready_order(db)
    supplier = FakeSupplier()
    supplier.drop_after_store = 1
    with pytest.raises(OutcomeUnknown):
        forward(db, oid, lambda row: supplier)
    assert _status(db, oid) == "forwarding"
    assert forward(db, oid, lambda row: supplier).result == "sent"
    assert supplier.creates == 1 and supplier.lookups == 1


def test_two_workers_racing_on_one_order_send_it_once(db) -> None:
    oid = _ready_order(db)
    supplier = FakeSupplier()
    results: list[str] = []
    barrier = threading.Barrier(4)

    def work() -> None:
        barrier.wait()
        results.append(forward(db, oid, lambda row: supplier).result)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == ["sent", "skipped", "skipped", "skipped"]
    assert supplier.creates == 1


def test_a_supplier_refusal_goes_to_pending_review_with_its_code(db) -> None:
    oid = _ready_order(db)
    supplier = FakeSupplier()
    supplier.refuse = [SupplierRefusal(code="out_of_stock", message="no stock", skus=["SKU-1"], supplier_code="ER003")]
    assert forward(db, oid, lambda row: supplier).result == "pending_review"
    with db.session() as s:
        assert open_codes(s, oid) == ["out_of_stock"]
    supplier.refuse = []
    with db.session() as s:  # stock is back: the operator resubmits
        assert resubmit(s, oid, actor="user:test").status == "ready"
    assert forward(db, oid, lambda row: supplier).result == "sent"
    with db.session() as s:
        assert open_codes(s, oid) == []


def test_an_empty_wallet_flags_orders_without_spending_calls(db) -> None:
    channel_id, _ = add_accounts(db)
    with db.session() as s:
        ready = store_page(s, channel_id, OrderPage(orders=[order(str(i)) for i in range(5)])).ready
    supplier = FakeSupplier()
    supplier.balance = Decimal("25.00")  # the catalogue cost is 10.00 an order: two fit
    outcomes = [forward(db, oid, lambda row: supplier).result for oid in ready]
    assert outcomes == ["sent", "sent", "pending_review", "pending_review", "pending_review"]
    assert supplier.creates == 2
    with db.session() as s:
        assert open_codes(s, ready[-1]) == ["insufficient_wallet"]


def test_an_order_marked_sent_manually_is_never_forwarded(db) -> None:
    oid = _ready_order(db)
    supplier = FakeSupplier()
    supplier.refuse = [SupplierRefusal(code="no_carrier", message="no carrier")]
    forward(db, oid, lambda row: supplier)
    with db.session() as s:
        mark_sent_manually(s, oid, "MANUAL-1", actor="user:test")
    assert _status(db, oid) == "sent"
    assert forward(db, oid, lambda row: supplier).result == "skipped"
    with db.session() as s:
        row = s.scalar(select(SupplierOrderRow))
        assert (row.internal_reference, row.source, row.supplier_order_id) == ("MANUAL-1", "manual", None)


def test_after_a_top_up_resubmitted_orders_go_through_at_once(db) -> None:
    channel_id, _ = add_accounts(db)
    with db.session() as s:
        ready = store_page(s, channel_id, OrderPage(orders=[order(str(i)) for i in range(3)])).ready
    supplier = FakeSupplier()
    supplier.balance = Decimal("5.00")
    assert [forward(db, oid, lambda row: supplier).result for oid in ready] == ["pending_review"] * 3
    supplier.balance = Decimal("100.00")  # the seller tops the wallet up, then resubmits
    for oid in ready:
        with db.session() as s:
            assert resubmit(s, oid, actor="user:ana").status == "ready"
    assert [forward(db, oid, lambda row: supplier).result for oid in ready] == ["sent"] * 3
