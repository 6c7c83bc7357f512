"""A command run beside ``orderhub serve`` (or another command) paces its supplier calls with the
same bucket: one per account for the whole process, shared through a file beside the SQLite
database; and an order the supplier answered "later" is tried again in the command, not left in
ready with no worker to take it."""

from __future__ import annotations

import threading
from pathlib import Path

import httpx
from dramatiq.brokers.stub import StubBroker
from sqlalchemy import select

from admin import stack as sandbox_stack
from connectors.base import ConnectorConfig
from connectors.bigbuy import BigBuyConnector
from connectors.errors import RateLimited
from connectors.ratelimit import TokenBucket
from sync import connect
from sync.db import Database
from sync.models import Channel, Order
from workers import actors
from workers.dispatch import forward_soon

from support.orders import ready_orders
from support.supplier import FakeSupplier


class Counting(httpx.BaseTransport):
    def __init__(self) -> None:
        self.inner = httpx.HTTPTransport()
        self.statuses: list[int] = []
        self.lock = threading.Lock()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        with self.lock:
            self.statuses.append(response.status_code)
        return response


def test_a_rebuilt_connector_keeps_the_processes_bucket(db: Database) -> None:
    ready_orders(db, 1)
    with db.session() as s:
        row = s.scalar(select(Channel).where(Channel.role == "supplier"))
    first = connect.supplier_for(row)
    connect.forget()  # an edit of the account, or a test, drops the cached connectors
    second = connect.supplier_for(row)
    assert first is not second
    assert first.pacer.inner is second.pacer.inner  # type: ignore[attr-defined]


def test_processes_beside_one_sqlite_database_share_the_supplier_bucket(sqlite_db: Database) -> None:
    storage = connect.ratelimit_storage()
    assert storage.startswith("file://")
    assert Path(storage.removeprefix("file://")).parent == Path(sqlite_db.url.split("///", 1)[1]).resolve().parent
    stack = sandbox_stack.start(bigbuy_rate=4.0)
    counting = Counting()
    try:
        config = ConnectorConfig(name="bigbuy", kind="bigbuy", url=stack.bigbuy.url,
                                 credentials={"api_key": stack.bigbuy_app.api_key})

        def one_process() -> None:
            # what each process builds for itself: its own bucket object on the shared storage
            bucket = TokenBucket("supplier:bigbuy:1", 3.0, storage)
            with BigBuyConnector(config, transport=counting, pacer=bucket) as supplier:
                for _ in range(5):
                    supplier.wallet_balance()

        runs = [threading.Thread(target=one_process) for _ in range(2)]
        for run in runs:
            run.start()
        for run in runs:
            run.join(timeout=60)
    finally:
        stack.stop()
    assert len(counting.statuses) == 10
    assert 429 not in counting.statuses


def test_an_order_answered_later_is_tried_again_in_the_command(db: Database, monkeypatch) -> None:
    broker = StubBroker()
    broker.emit_after("process_boot")
    actors.install(broker)  # the embedded default: no worker process is listening
    fake = FakeSupplier()
    fake.fail_creates = [RateLimited("429", retry_after=0.0)]
    monkeypatch.setattr(connect, "supplier_for", lambda row: fake)
    (order_id,) = ready_orders(db, 1)
    pauses: list[float] = []
    assert forward_soon([order_id], sleep=pauses.append) == ["sent"]
    assert pauses == [0.0] and fake.creates == 2
    with db.session() as s:
        assert s.get(Order, order_id).status == "sent"
    broker.close()
