"""The webhook endpoints of the web admin: a signature over the raw body is the only way in;
a delivery is stored once and handed on, and nothing is stored for anything refused."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from admin.web.app import create_app
from admin.web.webhooks import MAX_BODY
from sync.db import Database
from sync.models import Channel, WebhookDelivery

from support.orders import add_accounts
from support.webhooks import SHOP_SECRET, WOO_SECRET, shopify_delivery, signed, woo_delivery


class Sink(list[int]):
    def __call__(self, delivery_row: int) -> None:
        self.append(delivery_row)


@pytest.fixture
def sink() -> Sink:
    return Sink()


@pytest.fixture
def app(db: Database, sink: Sink) -> FastAPI:
    shop_id, _ = add_accounts(db)
    with db.session() as s:
        s.get(Channel, shop_id).credentials = {"access_token": "t", "webhook_secret": SHOP_SECRET}
        s.add(Channel(name="woo", kind="woocommerce", role="channel", url="https://woo.invalid",
                      credentials={"consumer_key": "k", "consumer_secret": "s", "webhook_secret": WOO_SECRET}))
    return create_app(db, secret="test-secret", webhook_sink=sink)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as c:
        yield c


def _deliveries(db: Database) -> int:
    with db.session() as s:
        return int(s.scalar(select(func.count()).select_from(WebhookDelivery)) or 0)


def test_a_signed_shopify_delivery_is_stored_and_handed_on_once(client: TestClient, db: Database, sink: Sink) -> None:
    body, headers = shopify_delivery(450789469, delivery_id="d-1")
    answer = client.post("/webhooks/shopify/shop", content=body, headers=headers)
    assert answer.status_code == 200 and answer.json() == {"received": "stored"}
    with db.session() as s:
        row = s.scalars(select(WebhookDelivery)).one()
        assert (row.delivery_id, row.topic, row.external_id, row.processed_at) == (
            "d-1", "orders/updated", "450789469", None)
    assert sink == [row.id]
    again = client.post("/webhooks/shopify/shop", content=body, headers=headers)  # Shopify retries
    assert again.status_code == 200 and again.json() == {"received": "duplicate"}
    assert _deliveries(db) == 1 and sink == [row.id]


@pytest.mark.parametrize("change", ["no signature", "wrong secret", "body changed", "unknown channel",
                                    "wrong kind"])
def test_anything_not_signed_for_the_channel_is_refused_and_nothing_stored(
        client: TestClient, db: Database, sink: Sink, change: str) -> None:
    body, headers = shopify_delivery(1)
    url = "/webhooks/shopify/shop"
    if change == "no signature":
        del headers["X-Shopify-Hmac-Sha256"]
    elif change == "wrong secret":
        headers["X-Shopify-Hmac-Sha256"] = signed("guess", body)
    elif change == "body changed":
        body = body.replace(b'"id": 1', b'"id": 2')
    elif change == "unknown channel":
        url = "/webhooks/shopify/nobody"
    else:
        url = "/webhooks/woocommerce/shop"
    answer = client.post(url, content=body, headers=headers)
    assert answer.status_code == 401
    assert answer.json() == {"detail": "not a signed delivery of this channel"}  # alike: nothing leaks
    assert _deliveries(db) == 0 and sink == []


def test_a_channel_without_a_secret_takes_no_delivery(client: TestClient, db: Database, sink: Sink) -> None:
    with db.session() as s:
        s.scalar(select(Channel).where(Channel.name == "shop")).credentials = {"access_token": "t"}
    body, headers = shopify_delivery(1)
    assert client.post("/webhooks/shopify/shop", content=body, headers=headers).status_code == 401
    assert _deliveries(db) == 0 and sink == []


def test_the_woocommerce_ping_is_answered_and_stores_nothing(client: TestClient, db: Database, sink: Sink) -> None:
    answer = client.post("/webhooks/woocommerce/woo", content=b"webhook_id=142",
                         headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert answer.status_code == 200 and answer.json() == {"received": "ping"}
    assert _deliveries(db) == 0 and sink == []
    body, headers = woo_delivery(727, delivery_id="w-1")
    assert client.post("/webhooks/woocommerce/woo", content=body, headers=headers).json() == {"received": "stored"}
    assert client.post("/webhooks/woocommerce/woo", content=body, headers=headers).json() == {"received": "duplicate"}
    assert _deliveries(db) == 1 and len(sink) == 1


def test_an_oversized_delivery_is_refused_before_it_is_read_whole(client: TestClient, db: Database,
                                                                   sink: Sink) -> None:
    big = b'{"id": 1, "note": "' + b"x" * MAX_BODY + b'"}'
    _, headers = shopify_delivery(1)
    headers["X-Shopify-Hmac-Sha256"] = signed(SHOP_SECRET, big)  # signed well: the size alone refuses it
    refused = client.post("/webhooks/shopify/shop", content=big, headers=headers)
    assert refused.status_code == 413 and refused.headers["content-type"] == "application/json"
    # past what any form takes, the whole app refuses it before the route: a platform still gets JSON
    huge = client.post("/webhooks/shopify/shop", content=big * 3, headers=headers)
    assert huge.status_code == 413 and huge.json() == {"detail": "the request is too large"}

    def chunks() -> Iterator[bytes]:  # no Content-Length: the stream is counted as it comes
        for start in range(0, len(big), 65536):
            yield big[start:start + 65536]
    streamed = client.post("/webhooks/shopify/shop", content=chunks(), headers=headers)
    assert streamed.status_code == 413
    assert _deliveries(db) == 0 and sink == []


def test_app_uninstalled_disables_the_channel_visibly(client: TestClient, db: Database, sink: Sink) -> None:
    body, headers = shopify_delivery(None, topic="app/uninstalled", body={"id": 548380009, "domain": "x"})
    answer = client.post("/webhooks/shopify/shop", content=body, headers=headers)
    assert answer.status_code == 200 and answer.json() == {"received": "uninstalled"}
    with db.session() as s:
        channel = s.scalar(select(Channel).where(Channel.name == "shop"))
        assert channel.enabled is False and channel.last_error.startswith("auth_broken: the app was uninstalled")
    assert sink == []  # nothing for a worker to do
    order_body, order_headers = shopify_delivery(7)  # later deliveries of a disabled channel are not kept
    assert client.post("/webhooks/shopify/shop", content=order_body, headers=order_headers).json() == {
        "received": "ignored"}
    assert _deliveries(db) == 1


def test_topics_not_followed_are_answered_and_not_kept(client: TestClient, db: Database, sink: Sink) -> None:
    body, headers = woo_delivery(9, topic="product.updated")
    assert client.post("/webhooks/woocommerce/woo", content=body, headers=headers).json() == {"received": "ignored"}
    assert _deliveries(db) == 0 and sink == []
