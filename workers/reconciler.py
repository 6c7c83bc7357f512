"""What the reconciler must not send again: work that a message still stands for.

``sync.reconcile.find_stuck`` lists orders that sat too long in new/ready/forwarding. Most of them
are simply waiting their turn behind a backlog (the supplier allows ~1 call/s), and re-sending
those would flood the queue with duplicates that every worker then has to skip. So before sending
again, the reconciler asks the broker which orders a message still stands for:

- Redis: messages queued or delayed (``<queue>.msgs`` and ``<queue>.DQ.msgs``), including those a
  live worker holds; messages held by a worker whose heartbeat stopped (SIGKILL, a lost machine)
  do not count, since dramatiq hands them back only a minute or more later. After a flush the
  hashes are empty, so everything stuck is sent again: losing Redis costs time, never orders.
- A retry delayed further than ``horizon`` seconds does not count either: after an outage (the
  database restarting) dramatiq's backoff can push a retry minutes out, while the cause is gone.
  The order is sent again now; the late retry then finds it done and is skipped.
- The in-process stub broker: its queues.
- Any other broker: unknown (``None``), and everything stuck is sent again.
"""

from __future__ import annotations

import time
from typing import Any

import dramatiq
import structlog
from dramatiq.brokers.stub import StubBroker
from dramatiq.common import dq_name

log = structlog.get_logger(__name__)

#: a worker silent this long is taken for dead; live ones beat every few hundred milliseconds
DEAD_AFTER_SECONDS = 15.0


def standing(broker: dramatiq.Broker, queue: str, actor_name: str, *, horizon: float = 120.0,
             dead_after: float = DEAD_AFTER_SECONDS) -> set[Any] | None:
    """The first argument of every message for ``actor_name`` due to run on ``queue`` within
    ``horizon`` seconds, or None when this broker cannot tell (the caller then assumes none)."""
    until_ms = (time.time() + horizon) * 1000
    try:
        if isinstance(broker, StubBroker):
            return _stub(broker, queue, actor_name, until_ms)
        if hasattr(broker, "client") and hasattr(broker, "namespace"):  # RedisBroker, without importing redis
            return _redis(broker, queue, actor_name, until_ms, dead_after)
    except Exception as exc:  # a broker we cannot read must not stop the reconciler: send again
        log.warning("reconciler.broker_unreadable", queue=queue, error=repr(exc))
    return None


def _first_arg(data: bytes, actor_name: str, until_ms: float) -> Any:
    try:
        message = dramatiq.Message.decode(data)
    except Exception:  # noqa: BLE001 - a message we cannot read stands for nothing
        return None
    if message.actor_name != actor_name or not message.args:
        return None
    if float(message.options.get("eta") or 0) > until_ms:
        return None
    return message.args[0]


def _stub(broker: StubBroker, queue: str, actor_name: str, until_ms: float) -> set[Any]:
    found: set[Any] = set()
    for name in (queue, dq_name(queue)):
        q = broker.queues.get(name)
        if q is None:
            continue
        with q.mutex:
            items = list(q.queue)
        for data in items:
            arg = _first_arg(data, actor_name, until_ms)
            if arg is not None:
                found.add(arg)
    return found


def _redis(broker: Any, queue: str, actor_name: str, until_ms: float, dead_after: float) -> set[Any]:
    client, ns = broker.client, broker.namespace
    names = {queue, dq_name(queue)}
    now_ms = time.time() * 1000
    alive = {wid for wid, beat in client.zrange(f"{ns}:__heartbeats__", 0, -1, withscores=True)
             if beat >= now_ms - dead_after * 1000}
    # messages a dead worker had taken: still in the hash, but nobody will run them soon
    stranded: set[bytes] = set()
    prefix = f"{ns}:__acks__."
    for key in client.scan_iter(match=prefix + "*", count=1000):
        rest = (key.decode() if isinstance(key, bytes) else key)[len(prefix):]
        worker_id, _, queue_name = rest.partition(".")
        if queue_name in names and worker_id.encode() not in alive and worker_id not in alive:
            stranded.update(client.smembers(key))
    found: set[Any] = set()
    for name in names:
        for message_id, data in client.hscan_iter(f"{ns}:{name}.msgs", count=1000):
            if message_id in stranded:
                continue
            arg = _first_arg(data, actor_name, until_ms)
            if arg is not None:
                found.add(arg)
    return found
