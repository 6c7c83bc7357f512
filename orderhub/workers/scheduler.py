"""The scheduler: APScheduler calling ``actor.send`` at per-channel intervals. One runs at a
time: a Redis lock keeps a second one waiting, ready to take over."""

from __future__ import annotations

import time
from collections.abc import Callable

import structlog
from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import select

from orderhub.settings import Settings
from orderhub.sync.db import Database
from orderhub.sync.models import Channel
from orderhub.workers import actors

log = structlog.get_logger(__name__)
DEFAULT_PULL_SECONDS = 300


def build(db: Database, settings: Settings) -> BackgroundScheduler:
    scheduler = BackgroundScheduler(timezone="UTC", job_defaults={"coalesce": True, "max_instances": 1})
    with db.session() as session:
        channels = session.scalars(select(Channel).where(Channel.enabled.is_(True), Channel.role == "channel")).all()
        for ch in channels:
            every = int((ch.settings or {}).get("pull_every_seconds", DEFAULT_PULL_SECONDS))
            scheduler.add_job(actors.pull_channel.send, "interval", seconds=every, args=[ch.id],
                              id=f"pull-{ch.id}", name=f"pull {ch.name}")
    scheduler.add_job(actors.poll_tracking.send, "interval", seconds=settings.track_every_seconds, id="track")
    scheduler.add_job(actors.reconcile_stuck.send, "interval", seconds=settings.reconcile_every_seconds,
                      id="reconcile")
    return scheduler


def run(db: Database, settings: Settings, *, should_stop: Callable[[], bool] = lambda: False) -> None:
    lock = _lock(settings)
    if lock is not None:
        while not lock.acquire(blocking=False):
            log.info("scheduler.waiting", reason="another scheduler holds the lock")
            if should_stop():
                return
            time.sleep(5)
    scheduler = build(db, settings)
    scheduler.start()
    log.info("scheduler.started", jobs=[j.id for j in scheduler.get_jobs()])
    try:
        while not should_stop():
            time.sleep(1)
            if lock is not None:
                lock.extend(30, replace_ttl=True)
    finally:
        scheduler.shutdown(wait=False)
        if lock is not None:
            lock.release()


def _lock(settings: Settings):  # type: ignore[no-untyped-def]
    if not settings.broker_url.startswith("redis"):
        return None
    import redis

    client = redis.Redis.from_url(settings.broker_url)
    return client.lock("orderhub:scheduler", timeout=30)
