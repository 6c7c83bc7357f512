from __future__ import annotations

import pytest

from connectors.records import OrderPage
from sync.ingest import store_page
from sync.models import Order, OrderEvent
from sync.states import ALLOWED, AT_SUPPLIER, IllegalTransition, Status, check, transition

from support.orders import add_accounts, order


def test_sent_orders_can_only_move_on_to_shipped() -> None:
    assert ALLOWED[Status.SENT] == {Status.SHIPPED}
    for status in AT_SUPPLIER:
        assert Status.READY not in ALLOWED[status] or status is Status.FORWARDING


def test_an_illegal_transition_is_refused() -> None:
    with pytest.raises(IllegalTransition):
        check("sent", "ready")
    with pytest.raises(IllegalTransition):
        check("shipped", "pending_review")


def test_transition_is_a_claim_only_one_of_two_takers_wins(db) -> None:
    channel_id, _ = add_accounts(db)
    with db.session() as s:
        store_page(s, channel_id, OrderPage(orders=[order("1")]))
    with db.session() as s:
        oid = s.query(Order.id).scalar()
        assert transition(s, oid, "ready", "forwarding") is True
        assert transition(s, oid, "ready", "forwarding") is False
    with db.session() as s:
        events = s.query(OrderEvent).filter_by(order_id=oid).order_by(OrderEvent.id).all()
        assert [(e.from_status, e.to_status) for e in events] == [(None, "ready"), ("ready", "forwarding")]
