"""The reconciler sends again what no message stands for any more (a lost message, a killed
worker), and leaves alone what is still queued: a backlog must not turn into duplicates."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import dramatiq
import pytest
from dramatiq.brokers.stub import StubBroker
from sqlalchemy import update

from sync.db import Database
from sync.forward import claim
from sync.models import Order
from workers import actors, reconciler

from support import REDIS_URL
from support.orders import ready_orders


def _age(db: Database, order_ids: list[int], seconds: int = 3600) -> None:
    with db.session() as s:
        s.execute(update(Order).where(Order.id.in_(order_ids))
                  .values(status_changed_at=datetime.now(UTC) - timedelta(seconds=seconds)))


def _queued(broker: StubBroker, queue: str = "forward") -> list[int]:
    q = broker.queues[queue]
    return sorted(dramatiq.Message.decode(data).args[0] for data in list(q.queue))


def _reconcile(db: Database) -> dict[str, int]:
    return reconciler.sweep(db, forward=actors.forward_order, push=actors.push_tracking,
                            older_than=timedelta(seconds=60))


def test_a_ready_order_whose_message_was_lost_is_sent_again_once(db, stub) -> None:
    lost, waiting = ready_orders(db, 2)
    actors.forward_order.send(lost)
    actors.forward_order.send(waiting)
    stub.flush("forward")  # the broker lost the first message ...
    actors.forward_order.send(waiting)  # ... while the second order's message is still there
    _age(db, [lost, waiting])
    assert _reconcile(db)["forward"] == 1
    assert _queued(stub) == sorted([lost, waiting])  # the lost one again; no duplicate of the other
    assert _reconcile(db)["forward"] == 0  # a second pass sees both covered


def test_an_order_left_forwarding_by_a_dead_worker_is_sent_again(db, stub) -> None:
    (order_id,) = ready_orders(db, 1)
    with db.session() as s:  # a worker claimed it, called the supplier, and died: no answer recorded
        assert claim(s, order_id, stale_after=timedelta(minutes=2)) is not None
    with db.session() as s:
        assert s.get(Order, order_id).status == "forwarding"
    assert _reconcile(db)["forward"] == 0  # not stuck yet: the attempt may still be running
    _age(db, [order_id])
    assert _reconcile(db)["forward"] == 1
    assert _queued(stub) == [order_id]


def test_a_retry_delayed_far_out_does_not_hold_the_order_back(db, stub) -> None:
    soon, late = ready_orders(db, 2)
    actors.forward_order.send_with_options(args=(soon,), delay=5_000)
    actors.forward_order.send_with_options(args=(late,), delay=600_000)  # backoff after an outage
    _age(db, [soon, late])
    sent = reconciler.sweep(db, forward=actors.forward_order, push=actors.push_tracking,
                            older_than=timedelta(seconds=60), horizon=60)
    assert sent["forward"] == 1
    assert _queued(stub) == [late]


def test_fresh_orders_are_not_touched(db, stub) -> None:
    ready_orders(db, 3)
    assert _reconcile(db) == {"judge": 0, "forward": 0, "push": 0}
    assert _queued(stub) == []


@pytest.mark.skipif(not REDIS_URL, reason="ORDERHUB_TEST_REDIS_URL is not set")
def test_on_redis_messages_held_by_a_dead_worker_do_not_count() -> None:
    from dramatiq.brokers.redis import RedisBroker

    broker = RedisBroker(url=REDIS_URL)
    try:
        broker.client.flushdb()
        broker.declare_queue("forward")
        queued = broker.enqueue(actors.forward_order.message(101))
        held = broker.enqueue(actors.forward_order.message(102))
        delayed = broker.enqueue(actors.forward_order.message(103), delay=60_000)
        assert reconciler.standing(broker, "forward", "forward_order") == {101, 102, 103}
        # a worker took 102 and was SIGKILLed: its heartbeat stopped long ago
        ns, dead = broker.namespace, "0f0e0d0c-dead-worker"
        broker.client.lrem(f"{ns}:forward", 0, held.options["redis_message_id"])
        broker.client.sadd(f"{ns}:__acks__.{dead}.forward", held.options["redis_message_id"])
        broker.client.zadd(f"{ns}:__heartbeats__", {dead: (time.time() - 600) * 1000})
        assert reconciler.standing(broker, "forward", "forward_order") == {101, 103}
        # the same worker alive (a fresh heartbeat): its message stands
        broker.client.zadd(f"{ns}:__heartbeats__", {dead: time.time() * 1000})
        assert reconciler.standing(broker, "forward", "forward_order") == {101, 102, 103}
        # each message sits where ``standing`` reads it: the queue's hash, or the delay queue's
        assert broker.client.hexists(f"{ns}:forward.msgs", queued.options["redis_message_id"])
        assert broker.client.hexists(f"{ns}:forward.DQ.msgs", delayed.options["redis_message_id"])
        broker.client.flushdb()  # Redis lost everything: nothing stands, everything stuck is sent again
        assert reconciler.standing(broker, "forward", "forward_order") == set()
    finally:
        broker.client.flushdb()
        broker.close()


def test_a_broker_that_cannot_tell_means_everything_is_sent_again() -> None:
    assert reconciler.standing(object(), "forward", "forward_order") is None  # type: ignore[arg-type]
