from __future__ import annotations

import pytest
from sqlalchemy import select

from connectors.records import OrderPage
from sync.forward import forward
from sync.ingest import store_page
from sync.issues import open_codes
from sync.models import Order, OrderEvent
from sync.review import ReviewError, acknowledge, edit_address, resubmit, set_carrier

from support.orders import add_accounts, order
from support.supplier import FakeSupplier


def _flagged(db, **kwargs) -> int:
    channel_id, _ = add_accounts(db)
    with db.session() as s:
        store_page(s, channel_id, OrderPage(orders=[order("1", **kwargs)]))
    with db.session() as s:
        return s.scalar(select(Order.id))


def test_adding_the_missing_surname_and_resubmitting_sends_the_order(db) -> None:
    oid = _flagged(db, last_name=None)
    with db.session() as s:
        assert resubmit(s, oid, actor="user:ana").status == "pending_review"  # nothing fixed yet
    with db.session() as s:
        edit_address(s, oid, {"last_name": "Garcia"}, actor="user:ana")
    with db.session() as s:
        result = resubmit(s, oid, actor="user:ana")
    assert result.status == "ready" and result.issues == []
    supplier = FakeSupplier()
    assert forward(db, oid, lambda row: supplier).result == "sent"
    with db.session() as s:
        history = [(e.actor, e.to_status) for e in s.scalars(select(OrderEvent).where(OrderEvent.order_id == oid)
                                                              .order_by(OrderEvent.id))]
    assert ("user:ana", "ready") in history and history[-1] == ("worker", "sent")


def test_an_operators_address_edit_survives_a_later_channel_update(db) -> None:
    oid = _flagged(db, last_name=None)
    with db.session() as s:
        edit_address(s, oid, {"last_name": "Garcia"}, actor="user:ana")
    with db.session() as s:
        channel_id = s.get(Order, oid).channel_id
        store_page(s, channel_id, OrderPage(orders=[order("1", updated=5, last_name=None)]))
    with db.session() as s:
        o = s.get(Order, oid)
        assert o.shipping_address["last_name"] == "Garcia"
        assert o.status == "ready"


def test_a_bad_edit_names_the_field(db) -> None:
    oid = _flagged(db, last_name=None)
    with db.session() as s, pytest.raises(ReviewError) as err:
        edit_address(s, oid, {"surname": "Garcia"}, actor="user:ana")
    assert err.value.field == "surname"


def test_only_flagged_orders_can_be_resubmitted(db) -> None:
    oid = _flagged(db)
    with db.session() as s, pytest.raises(ReviewError, match="not pending_review"):
        resubmit(s, oid, actor="user:ana")


def test_the_shipping_method_chosen_by_the_operator_goes_to_the_supplier(db) -> None:
    oid = _flagged(db, last_name=None)
    with db.session() as s:
        set_carrier(s, oid, "correos", actor="user:ana")
        edit_address(s, oid, {"last_name": "Garcia"}, actor="user:ana")
    with db.session() as s:
        resubmit(s, oid, actor="user:ana")
    seen = []
    supplier = FakeSupplier()
    original = supplier.create

    def spy(request):
        seen.append(request.carriers)
        return original(request)

    supplier.create = spy  # type: ignore[method-assign]
    forward(db, oid, lambda row: supplier)
    assert seen == [["correos"]]


def test_a_change_after_forwarding_is_closed_only_by_an_operator(db) -> None:
    oid = _flagged(db)
    forward(db, oid, lambda row: FakeSupplier())
    with db.session() as s:
        channel_id = s.get(Order, oid).channel_id
        store_page(s, channel_id, OrderPage(orders=[order("1", updated=9, cancelled=True)]))
    with db.session() as s:
        assert open_codes(s, oid) == ["changed_after_forwarding"]
        acknowledge(s, oid, "changed_after_forwarding", actor="user:ana", note_text="cancelled by phone")
    with db.session() as s:
        assert open_codes(s, oid) == []
        with pytest.raises(ReviewError):
            acknowledge(s, oid, "changed_after_forwarding", actor="user:ana")


def test_a_reason_held_for_several_fields_is_told_once(db) -> None:
    oid = _flagged(db, last_name="****", address2="****")
    with db.session() as s:
        assert open_codes(s, oid) == ["masked_data"]
        assert resubmit(s, oid, actor="user:ana").issues == ["masked_data"]
