"""``orderhub serve``: the embedded default in one process. Worker threads, the scheduler (pulls,
tracking) and the reconciler run together on one broker: the in-process one when no
``ORDERHUB_BROKER_URL`` is set, so a small seller needs no Redis, only a database file.

The scheduler runs in the calling thread until ``should_stop`` says so; the worker threads stop
after it, finishing the messages they hold.
"""

from __future__ import annotations

from collections.abc import Callable

import dramatiq
import structlog

from sync.db import Database
from sync.settings import Settings
from workers import actors, scheduler
from workers.broker import make_broker
from workers.embedded import QUEUES

log = structlog.get_logger(__name__)


def serve(db: Database, settings: Settings, *, threads: int = 4, should_stop: Callable[[], bool],
          started: Callable[[str], None] | None = None) -> None:
    broker = actors.install(make_broker(settings.broker_url))
    for queue in QUEUES:
        broker.declare_queue(queue)
    worker = dramatiq.Worker(broker, worker_threads=threads, worker_timeout=100)
    worker.start()
    where = "the in-process broker" if not settings.broker_url else "the configured broker"
    log.info("serve.started", threads=threads, broker=where)
    if started:
        started(f"serving on {where} with {threads} worker threads; Ctrl-C stops")
    try:
        scheduler.run(db, settings, should_stop=should_stop)
    finally:
        worker.stop()
        broker.close()
        log.info("serve.stopped")
