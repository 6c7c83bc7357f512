"""A stored webhook delivery read by a worker: the order named is read as it stands now and stored
through the same ingest as a pull, so late, repeated and out-of-order deliveries change nothing
that the newest version of the order does not say."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
import respx
from sqlalchemy import func, select, update

from connectors.errors import AuthenticationFailed, RetryLater
from sync import connect, webhooks
from sync.db import Database
from sync.ingest import PageResult
from sync.models import Channel, Order, WebhookDelivery, utcnow
from sync.states import Status

from support.orders import add_accounts
from support.webhooks import SHOP_SECRET, shopify_delivery, shopify_order

SHOP = "http://shop.invalid/admin/api/2024-10"


def _channel(db: Database, **settings: object) -> int:
    channel_id, _ = add_accounts(db, settings=dict(settings))
    with db.session() as s:
        s.get(Channel, channel_id).credentials = {"access_token": "t", "webhook_secret": SHOP_SECRET}
    return channel_id


def _received(db: Database, order_id: int, delivery_id: str | None = None) -> int:
    body, headers = shopify_delivery(order_id, delivery_id=delivery_id)
    got = webhooks.receive(db, "shopify", "shop", headers, body)
    assert got.status == "stored" and got.delivery_row is not None
    return got.delivery_row


def _no_wait(row: Channel):  # type: ignore[no-untyped-def]
    connector = connect.channel_for(row)
    connector.sleep = lambda seconds: None
    return connector


def _order(db: Database, external_id: str) -> Order | None:
    with db.session() as s:
        return s.scalar(select(Order).where(Order.external_id == external_id))


def test_the_order_is_read_again_and_stored_once_and_a_repeated_message_does_nothing(db: Database) -> None:
    channel_id = _channel(db)
    row = _received(db, 101)
    pages: list[PageResult] = []
    with respx.mock() as api:
        read = api.get(f"{SHOP}/orders/101.json").mock(
            return_value=httpx.Response(200, json={"order": shopify_order(101)}))
        done = webhooks.process(db, row, connect.channel_for, after_commit=pages.append)
        again = webhooks.process(db, row, connect.channel_for, after_commit=pages.append)
    assert read.call_count == 1 and again.outcome == "done already"
    order = _order(db, "101")
    assert order is not None and order.status == Status.READY.value
    assert [p.ready for p in pages] == [[order.id]]  # handed on to forwarding once, after the commit
    assert done.outcome.startswith("read again: 1 new") and not done.pull
    with db.session() as s:
        delivery = s.get(WebhookDelivery, row)
        assert delivery.processed_at is not None
        assert s.get(Channel, channel_id).cursor is None  # read one by one: the pull cursor is not moved


def test_late_and_out_of_order_deliveries_keep_the_newest_version(db: Database) -> None:
    _channel(db)
    newer, older = _received(db, 101, "second"), _received(db, 101, "first")
    unpaid = shopify_order(101, paid="pending", updated_at="2026-11-02T10:00:00+00:00")
    paid = shopify_order(101, paid="paid", updated_at="2026-11-02T10:05:00+00:00")
    with respx.mock() as api:
        api.get(f"{SHOP}/orders/101.json").mock(return_value=httpx.Response(200, json={"order": paid}))
        webhooks.process(db, newer, connect.channel_for)
    with respx.mock() as api:  # a replica of the shop still answering the older version
        api.get(f"{SHOP}/orders/101.json").mock(return_value=httpx.Response(200, json={"order": unpaid}))
        outcome = webhooks.process(db, older, connect.channel_for).outcome
    order = _order(db, "101")
    assert order is not None and order.payment_status == "paid" and order.status == Status.READY.value
    assert "1 unchanged" in outcome
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(Order)) == 1


def test_an_order_the_channel_no_longer_has_is_done_with_nothing_stored(db: Database) -> None:
    _channel(db)
    row = _received(db, 555)
    with respx.mock() as api:
        api.get(f"{SHOP}/orders/555.json").mock(return_value=httpx.Response(404, json={"errors": "Not Found"}))
        done = webhooks.process(db, row, connect.channel_for)
    assert done.outcome == "not on the channel any more" and _order(db, "555") is None


def test_refused_credentials_mark_the_channel_and_the_delivery(db: Database) -> None:
    channel_id = _channel(db)
    row = _received(db, 101)
    with respx.mock() as api:
        api.get(f"{SHOP}/orders/101.json").mock(return_value=httpx.Response(401, json={"errors": "Invalid"}))
        with pytest.raises(AuthenticationFailed):
            webhooks.process(db, row, connect.channel_for)
    with db.session() as s:
        assert s.get(Channel, channel_id).last_error.startswith("auth_broken: ")
        assert s.get(WebhookDelivery, row).outcome.startswith("failed: ShopifyAuthError")
    assert webhooks.unprocessed(db, older_than=timedelta(0)) == []  # not sent again and again


def test_a_channel_down_leaves_the_delivery_for_a_retry(db: Database) -> None:
    _channel(db)
    row = _received(db, 101)
    with respx.mock() as api:
        api.get(f"{SHOP}/orders/101.json").mock(return_value=httpx.Response(503))
        with pytest.raises(RetryLater):
            webhooks.process(db, row, _no_wait)
    with db.session() as s:
        s.execute(update(WebhookDelivery).values(received_at=utcnow() - timedelta(minutes=10)))
    assert webhooks.unprocessed(db, older_than=timedelta(minutes=5)) == [row]


def test_a_channel_that_cannot_read_one_order_is_pulled_instead(db: Database) -> None:
    channel_id = _channel(db, api="graphql")
    row = _received(db, 101)
    with respx.mock(assert_all_called=False) as api:
        done = webhooks.process(db, row, connect.channel_for)
    assert not api.calls and done.pull and done.channel_id == channel_id


def test_pulls_are_further_apart_while_deliveries_arrive(db: Database) -> None:
    channel_id = _channel(db)
    now = utcnow()
    assert webhooks.last_deliveries(db) == {}
    assert webhooks.pull_every({}, 300, None) == 300
    _received(db, 101)
    last = webhooks.last_deliveries(db)[channel_id]
    assert abs((last - now).total_seconds()) < 60
    assert webhooks.pull_every({}, 300, last) == webhooks.DEFAULT_WEBHOOK_POLL_MINUTES * 60
    assert webhooks.pull_every({"webhook_poll_minutes": 20}, 300, last) == 1200
    assert webhooks.pull_every({"webhook_poll_minutes": 2}, 600, last) == 600  # never more often than usual
    assert webhooks.pull_every({"webhook_poll_minutes": 20}, 300, last - timedelta(minutes=21)) == 300


def test_the_scheduler_pulls_a_channel_with_live_webhooks_less_often(db: Database) -> None:
    from workers.scheduler import pull_jobs

    channel_id = _channel(db, pull_every_seconds=60, webhook_poll_minutes=15)
    assert pull_jobs(db)[f"pull-{channel_id}"][1] == 60
    _received(db, 101)
    assert pull_jobs(db)[f"pull-{channel_id}"][1] == 900
    with db.session() as s:  # deliveries stopped (a subscription removed): back to the usual pace
        s.execute(update(WebhookDelivery).values(received_at=utcnow() - timedelta(minutes=16)))
    assert pull_jobs(db)[f"pull-{channel_id}"][1] == 60


def test_old_deliveries_are_forgotten(db: Database) -> None:
    _channel(db)
    old, recent = _received(db, 101), _received(db, 102)
    with db.session() as s:
        s.execute(update(WebhookDelivery).where(WebhookDelivery.id == old).values(
            received_at=utcnow() - timedelta(days=webhooks.KEEP_DAYS + 1)))
    assert webhooks.prune(db) == 1
    with db.session() as s:
        assert list(s.scalars(select(WebhookDelivery.id))) == [recent]
