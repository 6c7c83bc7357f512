"""Workers in this process: on the in-process broker (the embedded default) or on Redis (tests
of the production stack). ``settle`` waits until the pipeline has nothing left to do."""

from __future__ import annotations

import time
from types import TracebackType

import dramatiq
from dramatiq.brokers.stub import StubBroker
from sqlalchemy import func, select

from connectors.codes import TRACKING_NOT_PUSHED
from sync.db import Database
from sync.models import Order, OrderIssue, Shipment
from sync.states import Status
from workers import actors
from workers import broker as broker_setup
from workers.inflight import InFlight

QUEUES = ("pull", "forward", "track", "default")
BUSY = (Status.NEW.value, Status.READY.value, Status.FORWARDING.value)


class EmbeddedWorkers:
    def __init__(self, threads: int = 4, broker_url: str = "") -> None:
        self.inflight = InFlight()
        broker = broker_setup.make_broker(broker_url)
        if broker_url.startswith("redis"):
            broker.client.flushdb()  # type: ignore[attr-defined]
        self.broker = actors.install(broker, [self.inflight])
        for q in QUEUES:
            self.broker.declare_queue(q)
        self.worker = dramatiq.Worker(self.broker, worker_threads=threads, worker_timeout=100)

    def __enter__(self) -> EmbeddedWorkers:
        self.worker.start()
        return self

    def __exit__(self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None) -> None:
        self.worker.stop()
        self.broker.close()

    def queued(self) -> int:
        if isinstance(self.broker, StubBroker):
            return sum(q.qsize() for q in self.broker.queues.values())
        client = self.broker.client  # type: ignore[attr-defined]
        total = 0
        for q in QUEUES:
            for name in (q, f"{q}.DQ"):
                total += client.llen(f"dramatiq:{name}") + client.hlen(f"dramatiq:{name}.msgs")
        return int(total)

    def settle(self, db: Database, *, timeout: float = 300.0) -> bool:
        """Wait until no message is queued or running and no order is mid-way."""
        deadline = time.monotonic() + timeout
        quiet = 0
        while time.monotonic() < deadline:
            if self.inflight.count == 0 and not self.queued() and not busy_orders(db):
                quiet += 1
                if quiet >= 3:  # several quiet looks in a row: nothing slipped between them
                    return True
            else:
                quiet = 0
            time.sleep(0.1)
        return False


def busy_orders(db: Database) -> int:
    with db.session() as session:
        orders = session.scalar(select(func.count()).select_from(Order).where(Order.status.in_(BUSY))) or 0
        # a shipment a channel refused for good waits for an operator (tracking_not_pushed), not a worker
        refused = select(OrderIssue.order_id).where(OrderIssue.code == TRACKING_NOT_PUSHED,
                                                    OrderIssue.closed_at.is_(None))
        unpushed = session.scalar(select(func.count()).select_from(Shipment).where(
            Shipment.pushed_at.is_(None), Shipment.order_id.not_in(refused))) or 0
    return int(orders) + int(unpushed)
