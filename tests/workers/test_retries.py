"""Worker retries follow the connector error tree: what no retry can cure fails at once, a
platform's "retry after" is the retry delay, and only what may pass is retried."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import dramatiq
import pytest
from dramatiq.brokers.stub import StubBroker
from sqlalchemy.exc import OperationalError

from connectors.base import ChannelConnector
from connectors.errors import AuthenticationFailed, NeedsReview, ParseError, RateLimited, RetryLater
from connectors.records import ChannelOrder, OrderPage
from sync import connect
from sync.db import Database
from sync.models import Channel, Order
from workers import actors, retries

from support.orders import add_accounts, ready_orders
from support.supplier import FakeSupplier


class Recorder(StubBroker):
    """The stub broker, noting the delay of every message it is given."""

    def __init__(self) -> None:
        super().__init__()
        self.delays: list[tuple[str, int | None]] = []

    def enqueue(self, message: dramatiq.Message[Any], *, delay: int | None = None) -> dramatiq.Message[Any]:
        self.delays.append((message.actor_name, delay))
        return super().enqueue(message, delay=delay)


@pytest.fixture
def broker() -> Iterator[Recorder]:
    b = Recorder()
    b.emit_after("process_boot")
    actors.install(b)
    for q in ("pull", "forward", "track", "default"):
        b.declare_queue(q)
    worker = dramatiq.Worker(b, worker_threads=1, worker_timeout=50)
    worker.start()
    yield b
    worker.stop()
    b.close()


def _wait_for(check: Any, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "the worker did not get there"
        time.sleep(0.02)


@pytest.fixture
def supplier(monkeypatch: pytest.MonkeyPatch) -> FakeSupplier:
    fake = FakeSupplier()
    monkeypatch.setattr(connect, "supplier_for", lambda row: fake)
    return fake


def test_a_refused_credential_fails_at_once(db: Database, broker: Recorder, supplier: FakeSupplier) -> None:
    (order_id,) = ready_orders(db, 1)
    supplier.fail_creates = [AuthenticationFailed("401 from the supplier")]
    actors.forward_order.send(order_id)
    _wait_for(lambda: len(broker.dead_letters) == 1)
    assert supplier.creates == 1  # never tried again
    assert [d for d in broker.delays if d[0] == "forward_order"] == [("forward_order", None)]  # no retry queued
    with db.session() as s:
        assert s.get(Order, order_id).status == "ready"  # the reconciler offers it again once fixed


def test_the_platforms_retry_after_is_the_retry_delay(db: Database, broker: Recorder,
                                                      supplier: FakeSupplier) -> None:
    (order_id,) = ready_orders(db, 1)
    supplier.fail_creates = [RateLimited("429", retry_after=7.5)]
    actors.forward_order.send(order_id)
    _wait_for(lambda: len(broker.delays) == 2)
    assert broker.delays == [("forward_order", None), ("forward_order", 7500)]
    assert not broker.dead_letters


def test_a_transient_failure_without_a_delay_is_retried_with_backoff(db: Database, broker: Recorder,
                                                                     supplier: FakeSupplier) -> None:
    (order_id,) = ready_orders(db, 1)
    supplier.fail_creates = [RetryLater("503 before the request was handled")]
    actors.forward_order.send(order_id)
    _wait_for(lambda: len(broker.delays) == 2)
    _, delay = broker.delays[1]
    assert delay is not None and retries.MIN_BACKOFF_MS <= delay <= retries.MAX_BACKOFF_MS
    # the retry goes through (it is due within the backoff) and the order is sent once
    _wait_for(lambda: supplier.creates == 2 and _status(db, order_id) == "sent")
    assert len(supplier.orders) == 1


class UnreadableShop(ChannelConnector):
    kind = "unreadable"
    calls = 0

    def make_client(self, transport: Any) -> Any:
        import httpx

        return httpx.Client()

    def fetch_orders(self, since: datetime | None, page: str | None = None) -> OrderPage:
        UnreadableShop.calls += 1
        raise ParseError("the orders page is not JSON")

    @classmethod
    def order_bodies(cls, body: Any) -> list[Any]:
        return []

    @classmethod
    def parse_order(cls, body: Any) -> ChannelOrder:
        raise ParseError("no")

    def push_tracking(self, *args: Any, **kwargs: Any) -> Any:
        raise AssertionError("a pull never pushes tracking")


def test_an_unreadable_page_fails_at_once(db: Database, broker: Recorder, monkeypatch: pytest.MonkeyPatch) -> None:
    from connectors.base import ConnectorConfig

    channel_id, _ = add_accounts(db)
    UnreadableShop.calls = 0
    monkeypatch.setattr(connect, "channel_for",
                        lambda row: UnreadableShop(ConnectorConfig(name="x", kind="unreadable", url="http://x.invalid")))
    actors.pull_channel.send(channel_id)
    _wait_for(lambda: len(broker.dead_letters) == 1)
    assert UnreadableShop.calls == 1
    with db.session() as s:
        assert "page unreadable" in (s.get(Channel, channel_id).last_error or "")


def _status(db: Database, order_id: int) -> str:
    with db.session() as s:
        return s.get(Order, order_id).status


@pytest.mark.parametrize("error, retried", [
    (RetryLater("5xx"), True),
    (RateLimited("429", retry_after=3), True),
    (dramatiq.Retry("later", delay=10), True),
    (OperationalError("SELECT 1", {}, Exception("server closed the connection")), True),
    (AuthenticationFailed("401"), False),
    (ParseError("not JSON"), False),
    (NeedsReview("refused", code="supplier_rejected"), False),
])
def test_only_what_may_pass_is_retried(error: BaseException, retried: bool) -> None:
    assert retries.retry_when(0, error) is retried
    assert retries.retry_when(retries.MAX_RETRIES, error) is False  # and never forever


def test_every_actor_that_calls_a_platform_follows_the_tree() -> None:
    for actor in (actors.pull_channel, actors.forward_order, actors.poll_tracking, actors.push_tracking):
        assert actor.options["throws"] == retries.FAIL_AT_ONCE
        assert actor.options["retry_when"] is retries.retry_when


def test_the_broker_module_knows_no_actor() -> None:
    import ast
    import inspect

    from workers import broker as broker_module

    tree = ast.parse(inspect.getsource(broker_module))
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
                for alias in node.names} | {node.module for node in ast.walk(tree)
                                            if isinstance(node, ast.ImportFrom) and node.module}
    assert "actors" not in imported and "workers.actors" not in imported
