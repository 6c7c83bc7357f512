"""The scheduler: APScheduler calling ``actor.send`` at per-channel intervals. One runs at a
time: a Redis lock keeps a second one waiting, ready to take over.

Jobs only send messages; the work and its truth are in the database. So the scheduler may lose
its lock (Redis flushed or restarted), a send may fail (Redis down for a moment), a channel may be
added or disabled: it takes the lock again when it can, keeps sending, and re-reads the channel
list every ``REFRESH_SECONDS``.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import structlog
from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import select

from sync import webhooks
from sync.db import Database
from sync.models import Channel
from sync.settings import Settings
from workers import actors

log = structlog.get_logger(__name__)
DEFAULT_PULL_SECONDS = 300
#: how often the channel list is read again (new, disabled or re-timed channels)
REFRESH_SECONDS = 60
LOCK_SECONDS = 30


def pull_jobs(db: Database) -> dict[str, tuple[int, int, str]]:
    """One pull job per enabled sales channel: job id -> (channel id, every seconds, name)."""
    with db.session() as session:
        channels = session.scalars(
            # messenger stores take their orders by hand: nothing to pull
            select(Channel).where(Channel.enabled.is_(True), Channel.role == "channel", Channel.kind != "messenger")
            .order_by(Channel.id)
        ).all()
        wanted = {ch.id: (ch.name, dict(ch.settings or {})) for ch in channels}
    # a channel whose webhooks arrive is pulled less often: the pull is then only the safety net
    delivered = webhooks.last_deliveries(db) if wanted else {}
    return {
        f"pull-{cid}": (cid, webhooks.pull_every(settings, _usual(settings), delivered.get(cid)), name)
        for cid, (name, settings) in wanted.items()
    }


def _usual(settings: dict[str, Any]) -> int:
    return max(1, int(settings.get("pull_every_seconds", DEFAULT_PULL_SECONDS)))


def sync_pull_jobs(scheduler: BackgroundScheduler, db: Database) -> None:
    """Make the scheduler's pull jobs match the channel table."""
    wanted = pull_jobs(db)
    for job in scheduler.get_jobs():
        if job.id.startswith("pull-") and job.id not in wanted:
            job.remove()
    for job_id, (channel_id, every, name) in wanted.items():
        job = scheduler.get_job(job_id)
        if job is None:
            # a new channel is pulled at once, not one interval from now
            scheduler.add_job(_send(actors.pull_channel, channel_id), "interval", seconds=every, id=job_id,
                              name=f"pull {name}", next_run_time=datetime.now(UTC))
        elif job.trigger.interval.total_seconds() != every:
            job.reschedule("interval", seconds=every)


def build(db: Database, settings: Settings) -> BackgroundScheduler:
    scheduler = BackgroundScheduler(timezone="UTC", job_defaults={"coalesce": True, "max_instances": 1})
    now = datetime.now(UTC)
    scheduler.add_job(_send(actors.poll_tracking), "interval", seconds=settings.track_every_seconds, id="track")
    scheduler.add_job(_send(actors.refresh_stock), "interval", seconds=settings.stock_every_seconds, id="stock")
    # after a restart, stuck work is looked for at once
    scheduler.add_job(_send(actors.reconcile_stuck), "interval", seconds=settings.reconcile_every_seconds,
                      id="reconcile", next_run_time=now)
    scheduler.add_job(_send(actors.check_alerts), "interval", seconds=settings.alert_every_seconds, id="alerts")
    sync_pull_jobs(scheduler, db)
    return scheduler


def _send(actor: Any, *args: Any) -> Callable[[], None]:
    def send() -> None:
        try:
            actor.send(*args)
        except Exception as exc:  # the broker is down: the next tick sends again
            log.warning("scheduler.send_failed", actor=actor.actor_name, error=repr(exc))

    return send


def run(db: Database, settings: Settings, *, should_stop: Callable[[], bool] = lambda: False) -> None:
    lock = _lock(settings)
    scheduler: BackgroundScheduler | None = None
    refreshed = 0.0
    try:
        while not should_stop():
            if lock is not None and not _hold(lock):
                if scheduler is not None:  # another scheduler has it now: stand by
                    log.warning("scheduler.lock_lost", reason="another scheduler holds the lock")
                    scheduler.shutdown(wait=False)
                    scheduler = None
                log.info("scheduler.waiting", reason="another scheduler holds the lock")
                _sleep(5, should_stop)
                continue
            try:
                if scheduler is None:
                    scheduler = build(db, settings)
                    scheduler.start()
                    refreshed = time.monotonic()
                    log.info("scheduler.started", jobs=[j.id for j in scheduler.get_jobs()])
                elif time.monotonic() - refreshed > REFRESH_SECONDS:
                    refreshed = time.monotonic()
                    sync_pull_jobs(scheduler, db)
            except Exception as exc:  # the database is down: jobs already running go on sending
                log.warning("scheduler.channels_unreadable", error=repr(exc))
                _sleep(5, should_stop)
                continue
            _sleep(1, should_stop)
    finally:
        if scheduler is not None:
            scheduler.shutdown(wait=False)
        if lock is not None:
            with contextlib.suppress(Exception):  # not ours any more, or Redis is gone: it expires anyway
                lock.release()


def _sleep(seconds: float, should_stop: Callable[[], bool]) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end and not should_stop():
        time.sleep(min(0.2, end - time.monotonic()))


def _hold(lock: Any) -> bool:
    """Keep (or take) the scheduler lock. A flush of Redis forgets the lock: take it again then."""
    import redis.exceptions

    held_before = getattr(lock.local, "token", None) is not None
    try:
        if lock.owned() and lock.extend(LOCK_SECONDS, replace_ttl=True):
            return True
        return bool(lock.acquire(blocking=False))
    except redis.exceptions.LockError:
        return False  # taken by another between our look and our move: it runs, we wait
    except redis.exceptions.ConnectionError as exc:
        # Redis is away: nobody can take the lock meanwhile, and sends fail anyway; a scheduler
        # that never held it waits, one that did goes on
        log.warning("scheduler.redis_unreachable", error=repr(exc))
        return held_before


def _lock(settings: Settings) -> Any:
    if not settings.broker_url.startswith("redis"):
        return None
    import redis

    client = redis.Redis.from_url(settings.broker_url)
    return client.lock("orderhub:scheduler", timeout=LOCK_SECONDS)
