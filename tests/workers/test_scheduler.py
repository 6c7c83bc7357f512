"""The scheduler: one pull job per enabled sales channel (at its own interval, first run at once),
the tracking and reconciler jobs, and a lock that survives Redis forgetting it."""

from __future__ import annotations

import threading
import time

import dramatiq
import pytest
from sqlalchemy import update

from sync.db import Database
from sync.models import Channel
from sync.settings import Settings
from workers import scheduler

from support import REDIS_URL


def _channels(db: Database) -> dict[str, int]:
    with db.session() as s:
        rows = [
            Channel(name="shop-a", kind="shopify", role="channel", url="http://a.invalid", settings={}),
            Channel(name="shop-b", kind="woocommerce", role="channel", url="http://b.invalid",
                    settings={"pull_every_seconds": 30}),
            Channel(name="shop-off", kind="shopify", role="channel", url="http://c.invalid", enabled=False),
            Channel(name="supplier", kind="bigbuy", role="supplier", url="http://d.invalid"),
        ]
        s.add_all(rows)
        s.flush()
        return {r.name: r.id for r in rows}


def test_one_pull_job_per_enabled_channel(db) -> None:
    ids = _channels(db)
    sched = scheduler.build(db, Settings(track_every_seconds=600, reconcile_every_seconds=20, alert_every_seconds=45))
    jobs = {j.id: j for j in sched.get_jobs()}
    assert set(jobs) == {f"pull-{ids['shop-a']}", f"pull-{ids['shop-b']}", "track", "reconcile", "stock",
                         "alerts"}
    assert jobs[f"pull-{ids['shop-a']}"].trigger.interval.total_seconds() == scheduler.DEFAULT_PULL_SECONDS
    assert jobs[f"pull-{ids['shop-b']}"].trigger.interval.total_seconds() == 30
    assert jobs["reconcile"].trigger.interval.total_seconds() == 20
    assert jobs["alerts"].trigger.interval.total_seconds() == 45


def test_the_channel_list_is_followed(db) -> None:
    ids = _channels(db)
    sched = scheduler.build(db, Settings())
    with db.session() as s:
        s.execute(update(Channel).where(Channel.name == "shop-a").values(enabled=False))
        s.execute(update(Channel).where(Channel.name == "shop-off").values(enabled=True))
        s.execute(update(Channel).where(Channel.name == "shop-b").values(settings={"pull_every_seconds": 45}))
    scheduler.sync_pull_jobs(sched, db)
    jobs = {j.id: j for j in sched.get_jobs() if j.id.startswith("pull-")}
    assert set(jobs) == {f"pull-{ids['shop-b']}", f"pull-{ids['shop-off']}"}
    assert jobs[f"pull-{ids['shop-b']}"].trigger.interval.total_seconds() == 45


def test_running_it_pulls_every_channel_and_reconciles_at_once(db, stub) -> None:
    ids = _channels(db)
    stop = threading.Event()
    thread = threading.Thread(target=scheduler.run, args=(db, Settings(broker_url="")),
                              kwargs={"should_stop": stop.is_set})
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and (stub.queues["pull"].qsize() < 2 or not stub.queues["default"].qsize()):
            time.sleep(0.05)
    finally:
        stop.set()
        thread.join(10)
    pulled = sorted(dramatiq.Message.decode(m).args[0] for m in list(stub.queues["pull"].queue))
    assert pulled == sorted([ids["shop-a"], ids["shop-b"]])
    assert [dramatiq.Message.decode(m).actor_name for m in list(stub.queues["default"].queue)] == ["reconcile_stuck"]


@pytest.mark.skipif(not REDIS_URL, reason="ORDERHUB_TEST_REDIS_URL is not set")
def test_the_lock_is_taken_again_after_redis_forgot_it() -> None:
    settings = Settings(broker_url=REDIS_URL)
    first, second = scheduler._lock(settings), scheduler._lock(settings)
    first.redis.delete(first.name)
    try:
        assert scheduler._hold(first)
        assert not scheduler._hold(second)  # one scheduler at a time
        assert scheduler._hold(first)  # keeping it
        first.redis.delete(first.name)  # FLUSHDB, a Redis restart without persistence...
        assert scheduler._hold(first)  # taken again, not a crash
        assert not scheduler._hold(second)
    finally:
        first.redis.delete(first.name)
