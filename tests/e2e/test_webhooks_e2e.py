"""Webhooks end to end: ``channels webhooks register`` subscribes the running web admin (a real
HTTP server) on the sandbox shops; an order changes there, the shop delivers a signed webhook,
the worker reads the order and stores it. A badly signed delivery stores nothing; one delivered
twice is worked once."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
import uvicorn
from dramatiq.brokers.stub import StubBroker
from sqlalchemy import func, select

from admin import stack as sandbox_stack
from admin.cli import main
from admin.web.app import create_app
from sandbox import seeding, server
from sandbox.shopify import ShopifySandbox
from sandbox.woocommerce import WooCommerceSandbox
from sync.db import Database
from sync.models import Channel, Order, WebhookDelivery
from sync.states import Status
from workers import actors


class Sink(list[int]):
    """What the admin hands on (a message to the workers in production), kept for the test."""

    def __call__(self, delivery_row: int) -> None:
        self.append(delivery_row)

    def work(self) -> int:
        """Run the worker's step for every delivery handed on so far."""
        done = 0
        while self:
            actors.process_webhook.fn(self.pop(0))
            done += 1
        return done


@pytest.fixture
def broker() -> Iterator[StubBroker]:
    stub = StubBroker()
    stub.emit_after("process_boot")
    actors.install(stub)
    for queue in ("pull", "forward", "track", "default"):
        stub.declare_queue(queue)
    yield stub
    stub.close()


@pytest.fixture
def admin(db: Database, broker: StubBroker) -> Iterator[tuple[str, Sink]]:
    sink = Sink()
    app = create_app(db, secret="test-secret", webhook_sink=sink)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    running = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=running.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not running.started and time.monotonic() < deadline:
        time.sleep(0.02)
    assert running.started, "the admin did not start"
    yield f"http://127.0.0.1:{port}", sink
    running.should_exit = True
    thread.join(10)
    sock.close()


def _cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return code, out, err


def _later_paid(spec: seeding.OrderSpec, order_id: int) -> seeding.OrderSpec:
    """A clean order placed unpaid, paid at step 99."""
    return replace(spec, order_id=order_id, number=order_id, paid=False,
                   changes=[seeding.Change(step=99, kind="pay")])


def _orders(db: Database, channel: str) -> dict[str, str]:
    with db.session() as s:
        return dict(s.execute(select(Order.external_id, Order.status).join(Channel, Channel.id == Order.channel_id)
                              .where(Channel.name == channel)).all())


def _deliveries(db: Database) -> int:
    with db.session() as s:
        return int(s.scalar(select(func.count()).select_from(WebhookDelivery)) or 0)


def _statuses(app: Any) -> list[int | None]:
    return [d.status for d in app.hooks.outbox.sent]


def test_shopify_changes_reach_the_store_through_signed_webhooks(db: Database, admin: tuple[str, Sink],
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    url, sink = admin
    shop = ShopifySandbox([])
    with db.session() as s:
        sandbox_stack.load_catalogue(s)
    with server.Running(shop) as running:
        code, _, err = _cli(capsys, "channels", "add", "shop", "--kind", "shopify", "--url", running.url,
                            "--credential", f"access_token={shop.access_token}",
                            "--credential", f"webhook_secret={shop.client_secret}")
        assert code == 0, err
        code, out, err = _cli(capsys, "channels", "webhooks", "register", "shop", "--url", url)
        assert code == 0, err
        assert out.splitlines()[0] == f"shop: 4 webhook subscriptions to {url}/webhooks/shopify/shop"
        assert {h.topic for h in shop.hooks.outbox.hooks.values()} == {
            "orders/create", "orders/updated", "orders/cancelled", "app/uninstalled"}
        assert _cli(capsys, "channels", "webhooks", "register", "shop", "--url", url)[0] == 0  # again: no duplicate
        assert len(shop.hooks.outbox.hooks) == 4

        spec = seeding.bulk("shopify", 1, first_id=770_001)[0]
        shop.add_orders([_later_paid(spec, 770_001)])  # placed, not paid yet
        assert _statuses(shop) == [200] and sink.work() == 1
        assert _orders(db, "shop") == {"770001": Status.AWAITING_PAYMENT.value}

        shop.hooks.outbox.set_faults({"bad_signature": True})
        shop.advance(99)  # paid: delivered with a wrong signature
        assert _statuses(shop)[-1] == 401 and sink == [] and _deliveries(db) == 1
        assert _orders(db, "shop") == {"770001": Status.AWAITING_PAYMENT.value}

        shop.hooks.outbox.set_faults({"bad_signature": False, "twice": True})
        shop.advance(99)  # the payment is touched again, and this time delivered well, twice
        assert _statuses(shop)[-2:] == [200, 200] and len(sink) == 1  # the same delivery id twice
        assert sink.work() == 1 and _deliveries(db) == 2
        assert _orders(db, "shop") == {"770001": Status.READY.value}

        shop.hooks.uninstall()  # the merchant removes the app
        assert _statuses(shop)[-1] == 200 and sink == []
    code, out, _ = _cli(capsys, "channels", "list")
    line = next(ln for ln in out.splitlines() if " shop " in ln)
    assert "(disabled)  auth_broken: the app was uninstalled" in line


def test_a_payment_delivered_late_and_twice_is_stored_once(db: Database, admin: tuple[str, Sink],
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    url, sink = admin
    shop = ShopifySandbox([])
    with db.session() as s:
        sandbox_stack.load_catalogue(s)
    with server.Running(shop) as running:
        assert _cli(capsys, "channels", "add", "shop", "--kind", "shopify", "--url", running.url, "--credential",
                    f"access_token={shop.access_token}", "--credential",
                    f"webhook_secret={shop.client_secret}")[0] == 0
        assert _cli(capsys, "channels", "webhooks", "register", "shop", "--url", url)[0] == 0
        shop.hooks.outbox.set_faults({"out_of_order": True, "twice": True})
        shop.add_orders([_later_paid(seeding.bulk("shopify", 1, first_id=880_001)[0], 880_001)])
        shop.advance(99)  # created, then paid: held back
        assert shop.hooks.outbox.flush() == 2  # the payment arrives before the creation, each twice
        assert _statuses(shop) == [200, 200, 200, 200] and len(sink) == 2
        assert sink.work() == 2
    assert _orders(db, "shop") == {"880001": Status.READY.value}  # the current order, read twice, stored once
    assert _deliveries(db) == 2


def test_woocommerce_registers_with_a_secret_of_ours_and_is_pinged(db: Database, admin: tuple[str, Sink],
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    url, sink = admin
    woo = WooCommerceSandbox([])
    with db.session() as s:
        sandbox_stack.load_catalogue(s)
    with server.Running(woo) as running:
        assert _cli(capsys, "channels", "add", "woo", "--kind", "woocommerce", "--url", running.url,
                    "--credential", f"consumer_key={woo.consumer_key}",
                    "--credential", f"consumer_secret={woo.consumer_secret}")[0] == 0
        assert _cli(capsys, "channels", "webhooks", "list", "woo")[:2] == (
            0, "woo: no webhook subscriptions (orderhub channels webhooks register woo)\n")
        code, out, err = _cli(capsys, "channels", "webhooks", "register", "woo", "--url", url)
        assert code == 0, err
        assert {h.topic for h in woo.hooks.outbox.hooks.values()} == {"order.created", "order.updated",
                                                                      "order.deleted"}
        with db.session() as s:
            secret = s.scalar(select(Channel).where(Channel.name == "woo")).credentials["webhook_secret"]
        assert {h.secret for h in woo.hooks.outbox.hooks.values()} == {secret}
        assert secret not in out  # never printed
        assert [(d.topic, d.status) for d in woo.hooks.outbox.sent] == [("ping", 200)] * 3
        assert sink == [] and _deliveries(db) == 0  # the pings ingest nothing

        code, out, _ = _cli(capsys, "channels", "webhooks", "list", "woo", "--json")
        assert code == 0 and out.count(f"{url}/webhooks/woocommerce/woo") == 3

        woo.add_orders([seeding.bulk("woocommerce", 1, first_id=9_701)[0]])
        assert _statuses(woo)[-1] == 200 and sink.work() == 1
    assert _orders(db, "woo") == {"9701": Status.READY.value}


@pytest.mark.parametrize("argv, says", [
    (["channels", "webhooks", "register", "shop"], "ORDERHUB_PUBLIC_URL"),
    (["channels", "webhooks", "register", "nobody", "--url", "http://a.example"], "no channel named"),
    (["channels", "webhooks", "register", "shop", "--url", "ftp://a.example"], "--url"),
    (["channels", "webhooks", "register", "shop", "--url", "http://a.example"], "webhook_secret"),
    (["channels", "webhooks", "register", "market", "--url", "http://a.example"], "take no webhooks"),
    (["channels", "webhooks", "list", "market"], "take no webhooks"),
    (["channels", "webhooks"], "a command is needed, one of: register, list"),
])
def test_misuse_exits_2_with_one_line(db: Database, capsys: pytest.CaptureFixture[str], monkeypatch: Any,
                                      argv: list[str], says: str) -> None:
    monkeypatch.delenv("ORDERHUB_PUBLIC_URL", raising=False)
    with db.session() as s:
        s.add(Channel(name="shop", kind="shopify", role="channel", url="http://shop.invalid",
                      credentials={"access_token": "t"}))
        s.add(Channel(name="market", kind="amazon", role="channel", url="http://market.invalid"))
    code, _, err = _cli(capsys, *argv)
    lines = err.strip().splitlines()
    assert code == 2 and len(lines) == 1 and says in lines[0], err
