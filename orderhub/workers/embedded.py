"""Workers in this process, on the in-process broker: the embedded default (demo, tests)."""

from __future__ import annotations

import time
from types import TracebackType

import dramatiq
from dramatiq.brokers.stub import StubBroker
from sqlalchemy import func, select

from orderhub.sync.db import Database
from orderhub.sync.models import Order, Shipment
from orderhub.sync.states import Status
from orderhub.workers import broker as broker_setup

QUEUES = ("pull", "forward", "track", "default")
BUSY = (Status.NEW.value, Status.READY.value, Status.FORWARDING.value)


class EmbeddedWorkers:
    def __init__(self, threads: int = 4) -> None:
        self.broker = broker_setup.install(broker_setup.make_broker(""))
        assert isinstance(self.broker, StubBroker)
        for q in QUEUES:
            self.broker.declare_queue(q)
        self.worker = dramatiq.Worker(self.broker, worker_threads=threads, worker_timeout=100)

    def __enter__(self) -> EmbeddedWorkers:
        self.worker.start()
        return self

    def __exit__(self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None) -> None:
        self.worker.stop()
        self.broker.close()

    def idle(self) -> bool:
        stub = self.broker
        assert isinstance(stub, StubBroker)
        for name, queue in stub.queues.items():
            if queue.qsize() or getattr(queue, "unfinished_tasks", 0):
                return False
        return True

    def settle(self, db: Database, *, timeout: float = 300.0) -> bool:
        """Wait until no message is queued or running and no order is mid-way. Returns whether
        that happened before the timeout."""
        deadline = time.monotonic() + timeout
        quiet = 0
        while time.monotonic() < deadline:
            if self.idle() and not busy_orders(db):
                quiet += 1
                if quiet >= 3:  # several quiet looks in a row: nothing in flight between them
                    return True
            else:
                quiet = 0
            time.sleep(0.1)
        return False


def busy_orders(db: Database) -> int:
    with db.session() as session:
        orders = session.scalar(select(func.count()).select_from(Order).where(Order.status.in_(BUSY))) or 0
        unpushed = session.scalar(select(func.count()).select_from(Shipment).where(Shipment.pushed_at.is_(None))) or 0
    return int(orders) + int(unpushed)
