"""The worker's part of a webhook delivery, and the reconciler sending again what was lost."""

from __future__ import annotations

from datetime import timedelta

import dramatiq
import httpx
import respx
from dramatiq.brokers.stub import StubBroker
from sqlalchemy import select, update

from sync import webhooks
from sync.db import Database
from sync.models import Channel, Order, WebhookDelivery, utcnow
from sync.states import Status
from workers import actors, reconciler

from support.orders import add_accounts
from support.webhooks import SHOP_SECRET, shopify_delivery, shopify_order

SHOP = "http://shop.invalid/admin/api/2024-10"


def _queued(broker: StubBroker, queue: str) -> list[tuple[str, int]]:
    return [(m.actor_name, m.args[0]) for m in map(dramatiq.Message.decode, list(broker.queues[queue].queue))]


def _delivery(db: Database, order_id: int, **settings: object) -> tuple[int, int]:
    channel_id, _ = add_accounts(db, settings=dict(settings))
    with db.session() as s:
        s.get(Channel, channel_id).credentials = {"access_token": "t", "webhook_secret": SHOP_SECRET}
    body, headers = shopify_delivery(order_id)
    row = webhooks.receive(db, "shopify", "shop", headers, body).delivery_row
    assert row is not None
    return channel_id, row


def test_the_actor_stores_the_order_and_sends_ready_orders_on(db: Database, stub: StubBroker) -> None:
    _, row = _delivery(db, 101)
    with respx.mock() as api:
        api.get(f"{SHOP}/orders/101.json").mock(return_value=httpx.Response(200, json={"order": shopify_order(101)}))
        actors.process_webhook.fn(row)
    with db.session() as s:
        order_id = s.scalar(select(Order.id).where(Order.external_id == "101"))
    assert _queued(stub, "forward") == [("forward_order", order_id)]


def test_the_actor_pulls_a_channel_that_cannot_read_one_order(db: Database, stub: StubBroker) -> None:
    channel_id, row = _delivery(db, 101, api="graphql")
    actors.process_webhook.fn(row)
    assert _queued(stub, "pull") == [("pull_channel", channel_id)]


def test_the_reconciler_sends_again_deliveries_no_message_stands_for(db: Database, stub: StubBroker) -> None:
    _, lost = _delivery(db, 101)
    body, headers = shopify_delivery(102)
    queued = webhooks.receive(db, "shopify", "shop", headers, body).delivery_row
    with db.session() as s:
        s.execute(update(WebhookDelivery).values(received_at=utcnow() - timedelta(minutes=5)))
    actors.process_webhook.send(queued)  # its message is still waiting: not sent twice
    sent = reconciler.sweep_webhooks(db, process=actors.process_webhook, older_than=timedelta(minutes=2))
    assert sent == 1
    assert sorted(_queued(stub, "pull")) == sorted([("process_webhook", queued), ("process_webhook", lost)])
    assert reconciler.sweep_webhooks(db, process=actors.process_webhook, older_than=timedelta(minutes=2)) == 0


def test_on_the_embedded_default_the_admin_works_a_delivery_in_a_thread_of_its_own(
        db: Database, stub: StubBroker) -> None:
    import time

    from workers.dispatch import process_webhook_soon

    _, row = _delivery(db, 101)
    with respx.mock() as api:
        unpaid = shopify_order(101, paid="pending")  # nothing to forward: no supplier call outlives the test
        api.get(f"{SHOP}/orders/101.json").mock(return_value=httpx.Response(200, json={"order": unpaid}))
        process_webhook_soon(row)  # the in-process broker has no worker in the admin's process
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and webhooks.unprocessed(db, older_than=timedelta(seconds=-60)):
            time.sleep(0.05)
    with db.session() as s:
        assert s.get(WebhookDelivery, row).processed_at is not None
        assert s.scalar(select(Order.status).where(Order.external_id == "101")) == Status.AWAITING_PAYMENT.value
    assert _queued(stub, "pull") == []  # no message was left for a worker that is not there
