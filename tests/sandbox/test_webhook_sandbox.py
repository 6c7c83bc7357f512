"""The sandbox shops' webhooks: subscriptions made through the platforms' REST resources, and
signed deliveries with ids when orders change, with the switches the tests use."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

from sandbox import seeding, server
from sandbox.shopify import ShopifySandbox
from sandbox.woocommerce import WooCommerceSandbox

from support.webhooks import signed

SHOP_HOOKS = "/admin/api/2024-10/webhooks.json"
WOO_HOOKS = "/wp-json/wc/v3/webhooks"


@dataclass
class Receiver:
    """An endpoint that records every request and answers ``status``."""

    status: int = 200
    got: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    url: str = ""

    def topics(self, header: str) -> list[str]:
        return [h.get(header, "") for h, _ in self.got]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    seen = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - the standard library's name
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            seen.got.append(({k.lower(): v for k, v in self.headers.items()}, body))
            self.send_response(seen.status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            return None

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    seen.url = f"http://127.0.0.1:{httpd.server_address[1]}/hook"
    yield seen
    httpd.shutdown()
    httpd.server_close()


def _first_step(specs: list[seeding.OrderSpec]) -> tuple[int, int]:
    """A step at which orders change, and how many change then."""
    step = min(c.step for s in specs for c in s.changes)
    return step, sum(1 for s in specs for c in s.changes if c.step == step)


@pytest.fixture
def shop() -> Iterator[tuple[ShopifySandbox, httpx.Client]]:
    app = ShopifySandbox(seeding.generate("shopify"))
    with server.Running(app) as running, httpx.Client(
            base_url=running.url, headers={"X-Shopify-Access-Token": app.access_token}) as client:
        yield app, client


def test_shopify_subscriptions_are_made_and_listed_as_the_rest_api_has_them(shop, receiver: Receiver) -> None:
    app, client = shop
    made = client.post(SHOP_HOOKS, json={"webhook": {"topic": "orders/updated", "address": receiver.url,
                                                     "format": "json"}})
    assert made.status_code == 201 and made.json()["webhook"]["topic"] == "orders/updated"
    again = client.post(SHOP_HOOKS, json={"webhook": {"topic": "orders/updated", "address": receiver.url}})
    assert again.status_code == 422 and "already been taken" in again.json()["errors"]["address"][0]
    assert client.post(SHOP_HOOKS, json={"webhook": {"topic": "nope", "address": receiver.url}}).status_code == 422
    listed = client.get(SHOP_HOOKS).json()["webhooks"]
    assert [(w["id"], w["address"]) for w in listed] == [(made.json()["webhook"]["id"], receiver.url)]
    assert httpx.get(str(client.base_url) + SHOP_HOOKS).status_code == 401  # the token is needed


def test_shopify_delivers_each_change_signed_with_the_app_secret(shop, receiver: Receiver) -> None:
    app, client = shop
    for topic in ("orders/updated", "orders/cancelled"):
        client.post(SHOP_HOOKS, json={"webhook": {"topic": topic, "address": receiver.url}})
    step, changed = _first_step(app.specs)
    app.advance(step)
    assert len(receiver.got) >= changed
    for headers, body in receiver.got:
        assert headers["x-shopify-hmac-sha256"] == signed(app.client_secret, body)
        assert headers["x-shopify-webhook-id"] and headers["x-shopify-shop-domain"]
    assert len({h["x-shopify-webhook-id"] for h, _ in receiver.got}) == len(receiver.got)


def test_the_switches_deliver_twice_out_of_order_and_badly_signed(shop, receiver: Receiver) -> None:
    app, client = shop
    client.post(SHOP_HOOKS, json={"webhook": {"topic": "orders/create", "address": receiver.url}})
    first, second = seeding.bulk("shopify", 2, first_id=990_001)
    assert client.post("/_sandbox/webhooks", json={"twice": True}).status_code == 200
    app.add_orders([first])
    assert [h["x-shopify-webhook-id"] for h, _ in receiver.got][0] == receiver.got[1][0]["x-shopify-webhook-id"]
    client.post("/_sandbox/webhooks", json={"twice": False, "out_of_order": True})
    receiver.got.clear()
    app.add_orders([second])
    app.add_orders([first])
    assert receiver.got == []  # held back
    assert client.post("/_sandbox/webhooks", json={"out_of_order": False, "flush": True}).json()["flushed"] == 2
    assert [b'"id": 990001' in body for _, body in receiver.got] == [True, False]  # newest first
    client.post("/_sandbox/webhooks", json={"bad_signature": True})
    app.add_orders([second])
    headers, body = receiver.got[-1]
    assert headers["x-shopify-hmac-sha256"] != signed(app.client_secret, body)


def test_shopify_uninstall_kills_the_token_and_says_so(shop, receiver: Receiver) -> None:
    app, client = shop
    client.post(SHOP_HOOKS, json={"webhook": {"topic": "app/uninstalled", "address": receiver.url}})
    assert client.post("/_sandbox/uninstall").json() == {"uninstalled": 1}
    assert receiver.topics("x-shopify-topic") == ["app/uninstalled"]
    assert client.get(SHOP_HOOKS).status_code == 401


@pytest.fixture
def woo() -> Iterator[tuple[WooCommerceSandbox, httpx.Client]]:
    app = WooCommerceSandbox(seeding.generate("woocommerce"), https=True)  # Basic auth, as over https
    with server.Running(app) as running, httpx.Client(
            base_url=running.url, auth=(app.consumer_key, app.consumer_secret)) as client:
        yield app, client


def test_woocommerce_pings_a_new_webhook_then_signs_deliveries_with_its_secret(woo, receiver: Receiver) -> None:
    app, client = woo
    made = client.post(WOO_HOOKS, json={"topic": "order.updated", "delivery_url": receiver.url, "secret": "s3"})
    assert made.status_code == 201 and made.json()["secret"] == "s3"
    (ping_headers, ping), = receiver.got
    assert ping == f"webhook_id={made.json()['id']}".encode() and "x-wc-webhook-signature" not in ping_headers
    assert "secret" not in client.get(WOO_HOOKS).json()[0]
    receiver.got.clear()
    spec = app.specs[0]
    assert client.put(f"/wp-json/wc/v3/orders/{spec.order_id}", json={"status": "completed"}).status_code == 200
    (headers, body), = receiver.got
    assert headers["x-wc-webhook-topic"] == "order.updated" and headers["x-wc-webhook-delivery-id"]
    assert headers["x-wc-webhook-signature"] == signed("s3", body)
    assert b'"status": "completed"' in body


def test_woocommerce_disables_a_webhook_that_keeps_failing(woo, receiver: Receiver) -> None:
    app, client = woo
    receiver.status = 500
    made = client.post(WOO_HOOKS, json={"topic": "order.created", "delivery_url": receiver.url}).json()
    extra = seeding.bulk("woocommerce", 7, first_id=9_001)
    for spec in extra:
        app.add_orders([spec])
    assert client.get(f"{WOO_HOOKS}/{made['id']}").json()["status"] == "disabled"
    assert len(receiver.got) == 1 + 6  # the ping, then six failures: the seventh order found it disabled
    again = client.put(f"{WOO_HOOKS}/{made['id']}", json={"status": "active", "secret": "new"})
    assert again.json()["status"] == "active"
