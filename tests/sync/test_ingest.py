from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from connectors.records import OrderPage, RejectedBody
from sync.ingest import store_page
from sync.issues import open_codes
from sync.models import Channel, Customer, Order, OrderLine, QuarantinedBody

from support.orders import T0, add_accounts, order


def _status(db, external_id: str) -> str:
    with db.session() as s:
        return s.scalar(select(Order.status).where(Order.external_id == external_id))


def test_a_page_is_stored_once_even_when_read_twice(db) -> None:
    channel_id, _ = add_accounts(db)
    page = OrderPage(orders=[order("1"), order("2"), order("3", sku="NOPE")])
    for _ in range(2):
        with db.session() as s:
            store_page(s, channel_id, page)
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(Order)) == 3
        assert s.scalar(select(func.count()).select_from(OrderLine)) == 3
        assert s.scalar(select(func.count()).select_from(Customer)) == 1  # same e-mail: one guest customer


def test_the_cursor_advances_with_the_page_to_the_newest_update(db) -> None:
    channel_id, _ = add_accounts(db)
    with db.session() as s:
        store_page(s, channel_id, OrderPage(orders=[order("1", updated=5), order("2", updated=9)]))
    with db.session() as s:
        assert s.get(Channel, channel_id).cursor == T0 + timedelta(minutes=9)


def test_flawed_orders_go_to_pending_review_with_their_issue_codes(db) -> None:
    channel_id, _ = add_accounts(db)
    with db.session() as s:
        result = store_page(s, channel_id, OrderPage(orders=[
            order("1"), order("2", last_name=None), order("3", sku="NOPE"), order("4", postcode="ABC-12")]))
    assert len(result.ready) == 1
    with db.session() as s:
        ids = dict(s.execute(select(Order.external_id, Order.id)).all())
        assert open_codes(s, ids["2"]) == ["missing_surname"]
        assert open_codes(s, ids["3"]) == ["unknown_sku"]
        assert open_codes(s, ids["4"]) == ["invalid_postcode"]
    assert _status(db, "2") == "pending_review"


def test_unpaid_orders_wait_and_move_on_by_themselves_when_paid(db) -> None:
    channel_id, _ = add_accounts(db)
    with db.session() as s:
        store_page(s, channel_id, OrderPage(orders=[order("1", paid="pending")]))
    assert _status(db, "1") == "awaiting_payment"
    with db.session() as s:
        result = store_page(s, channel_id, OrderPage(orders=[order("1", updated=10)]))
    assert _status(db, "1") == "ready"
    assert len(result.ready) == 1


def test_authorized_orders_are_forwarded_only_where_the_channel_allows_it(db) -> None:
    channel_id, _ = add_accounts(db, settings={"allow_authorized": True})
    with db.session() as s:
        store_page(s, channel_id, OrderPage(orders=[order("1", paid="authorized")]))
    assert _status(db, "1") == "ready"


def test_test_and_cancelled_orders_are_never_forwarded(db) -> None:
    channel_id, _ = add_accounts(db)
    with db.session() as s:
        result = store_page(s, channel_id, OrderPage(orders=[order("1", test=True), order("2", cancelled=True)]))
    assert result.ready == []
    assert _status(db, "1") == "ignored"
    assert _status(db, "2") == "cancelled"


def test_an_older_version_never_overwrites_a_newer_one(db) -> None:
    channel_id, _ = add_accounts(db)
    with db.session() as s:
        store_page(s, channel_id, OrderPage(orders=[order("1", updated=10, paid="pending")]))
    with db.session() as s:
        store_page(s, channel_id, OrderPage(orders=[order("1", updated=5, paid="paid")]))
    assert _status(db, "1") == "awaiting_payment"


def test_a_change_after_forwarding_is_flagged_and_never_resent(db) -> None:
    channel_id, _ = add_accounts(db)
    with db.session() as s:
        store_page(s, channel_id, OrderPage(orders=[order("1")]))
    with db.session() as s:
        o = s.scalar(select(Order))
        o.status = "sent"
        o.sent_fingerprint = o.content_fingerprint
    with db.session() as s:
        result = store_page(s, channel_id, OrderPage(orders=[order("1", updated=3, address2="Puerta 2")]))
    assert result.ready == [] and result.changed_after_forwarding == 1
    assert _status(db, "1") == "sent"
    with db.session() as s:
        assert open_codes(s, s.scalar(select(Order.id))) == ["changed_after_forwarding"]
    with db.session() as s:  # the same change seen again: flagged once
        again = order("1", updated=4, address2="Puerta 2", cancelled=True)
        result = store_page(s, channel_id, OrderPage(orders=[again]))
    assert result.changed_after_forwarding == 0


def test_a_rejected_body_is_quarantined_and_the_rest_of_the_page_goes_on(db) -> None:
    channel_id, _ = add_accounts(db)
    bad = RejectedBody(body={"id": 9, "total_price": "abc"}, error="total_price: not a number", external_id="9")
    page = OrderPage(orders=[order("1")], rejected=[bad])
    with db.session() as s:
        result = store_page(s, channel_id, page)
    assert result.inserted == 1 and result.quarantined == 1
    with db.session() as s:
        q = s.scalar(select(QuarantinedBody))
        assert q.external_id == "9" and "abc" in q.body and "not a number" in q.error


def test_fixing_a_flaw_on_the_channel_closes_the_issue(db) -> None:
    channel_id, _ = add_accounts(db)
    with db.session() as s:
        store_page(s, channel_id, OrderPage(orders=[order("1", last_name=None)]))
    with db.session() as s:
        store_page(s, channel_id, OrderPage(orders=[order("1", updated=2)]))
    assert _status(db, "1") == "ready"
    with db.session() as s:
        assert open_codes(s, s.scalar(select(Order.id))) == []
