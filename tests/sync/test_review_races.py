"""Operator actions against workers and other operators: each is a conditional write that reports
a lost race and keeps nothing; edits only while nothing is in flight."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update

from connectors.records import OrderPage
from sync import review
from sync.forward import forward
from sync.ingest import store_page
from sync.issues import open_codes
from sync.models import Order, SupplierOrderRow
from sync.review import (
    LostRace,
    ReviewError,
    acknowledge,
    cancel,
    edit_address,
    mark_sent_manually,
    resubmit,
    set_carrier,
)
from sync.states import Status

from support.orders import add_accounts, order
from support.supplier import FakeSupplier


def _stored(db, **kwargs) -> int:
    channel_id, _ = add_accounts(db)
    with db.session() as s:
        store_page(s, channel_id, OrderPage(orders=[order("1", **kwargs)]))
    with db.session() as s:
        return s.scalar(select(Order.id))


def test_mark_sent_manually_that_loses_to_a_resubmit_says_so_and_the_order_is_sent_once(db, monkeypatch) -> None:
    oid = _stored(db, last_name=None)
    with db.session() as s:
        edit_address(s, oid, {"last_name": "Garcia"}, actor="user:ana")
    accounts = review.supplier_accounts
    real_for_order = accounts.for_order

    def another_operator_resubmits_first(session, order_id):
        monkeypatch.setattr(accounts, "for_order", real_for_order)
        with db.session() as other:
            assert resubmit(other, oid, actor="user:bo").status == "ready"
        return real_for_order(session, order_id)

    monkeypatch.setattr(accounts, "for_order", another_operator_resubmits_first)
    with pytest.raises(LostRace), db.session() as s:
        mark_sent_manually(s, oid, "BY-HAND-1", actor="user:ana")
    with db.session() as s:
        assert s.scalar(select(SupplierOrderRow.id)) is None  # the manual row was not kept
    supplier = FakeSupplier()
    assert forward(db, oid, lambda row: supplier).result == "sent"
    assert supplier.creates == 1
    with db.session() as s:
        reference = s.get_one(Order, oid).internal_reference
        assert list(s.scalars(select(SupplierOrderRow.internal_reference))) == [reference]


def test_a_resubmit_that_loses_to_a_channel_cancel_says_so(db, monkeypatch) -> None:
    oid = _stored(db, last_name=None)
    with db.session() as s:
        edit_address(s, oid, {"last_name": "Garcia"}, actor="user:ana")
    real_judge = review.judge
    with db.session() as s:
        def cancelled_meanwhile(record, context, settings, **options):  # what a concurrent commit leaves behind
            s.execute(update(Order).where(Order.id == oid).values(status=Status.CANCELLED.value))
            return real_judge(record, context, settings)

        monkeypatch.setattr(review, "judge", cancelled_meanwhile)
        with pytest.raises(LostRace):
            resubmit(s, oid, actor="user:ana")
    with db.session() as s:
        assert s.get_one(Order, oid).status == Status.CANCELLED


def test_a_ready_order_cannot_be_edited_and_an_edit_refreshes_the_fingerprint(db) -> None:
    oid = _stored(db)
    with db.session() as s, pytest.raises(ReviewError, match="pending_review or awaiting_payment"):
        edit_address(s, oid, {"address2": "Piso 2"}, actor="user:ana")
    with db.session() as s, pytest.raises(ReviewError):
        set_carrier(s, oid, "gls", actor="user:ana")
    flagged = _flagged_second(db)
    with db.session() as s:
        before = s.get_one(Order, flagged).content_fingerprint
        edit_address(s, flagged, {"last_name": "Garcia"}, actor="user:ana")
    with db.session() as s:
        assert s.get_one(Order, flagged).content_fingerprint != before


def _flagged_second(db) -> int:
    with db.session() as s:
        channel_id = s.scalar(select(Order.channel_id))
        store_page(s, channel_id, OrderPage(orders=[order("2", last_name=None)]))
    with db.session() as s:
        return s.scalar(select(Order.id).where(Order.external_id == "2"))


def test_an_operator_cancels_a_flagged_order_but_not_one_partly_at_the_supplier(db) -> None:
    oid = _stored(db, last_name=None)
    with db.session() as s:
        cancel(s, oid, actor="user:ana", reason="buyer phoned")
    with db.session() as s:
        assert s.get_one(Order, oid).status == Status.CANCELLED
        with pytest.raises(ReviewError, match="cancelled already"):
            cancel(s, oid, actor="user:ana")
    other = _flagged_second(db)
    with db.session() as s:
        s.add(SupplierOrderRow(order_id=other, supplier_id=s.scalar(select(Order.channel_id)) + 1,
                               supplier_order_id="9", internal_reference="R-9"))
    with db.session() as s, pytest.raises(ReviewError, match="partly at the supplier"):
        cancel(s, other, actor="user:ana")


def test_an_issue_that_holds_the_order_back_cannot_be_acknowledged(db) -> None:
    oid = _stored(db, last_name=None)
    with db.session() as s, pytest.raises(ReviewError, match="cannot be acknowledged"):
        acknowledge(s, oid, "missing_surname", actor="user:ana")
    with db.session() as s:
        assert open_codes(s, oid) == ["missing_surname"]
