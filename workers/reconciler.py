"""The reconciler: find work that no message stands for any more (a lost message, a killed
worker) and say it again. Messages are hints; this sweep is what makes losing them cost time,
never orders.

``find_stuck`` lists orders that sat too long in new/ready/forwarding, and shipments whose tracking
was never pushed. Most of them are simply waiting their turn behind a backlog (the supplier allows
~1 call/s), and re-sending those would flood the queue with duplicates that every worker then has
to skip. So before sending again, the reconciler asks the broker which orders a message still
stands for (``standing``):

- Redis: messages queued or delayed (``<queue>.msgs`` and ``<queue>.DQ.msgs``), including those a
  live worker holds; messages held by a worker whose heartbeat stopped (SIGKILL, a lost machine)
  do not count, since dramatiq hands them back only a minute or more later. After a flush the
  hashes are empty, so everything stuck is sent again: losing Redis costs time, never orders.
- A retry delayed further than ``horizon`` seconds does not count either: after an outage (the
  database restarting) dramatiq's backoff can push a retry minutes out, while the cause is gone.
  The order is sent again now; the late retry then finds it done and is skipped.
- The in-process stub broker: its queues.
- Any other broker: unknown (``None``), and everything stuck is sent again.

``sweep_webhooks`` sends again webhook deliveries stored but never processed.

``sweep_unpaid`` reads again from their channel the orders unpaid for long (``sync.unpaid``): a
payment whose update was missed would otherwise leave its order in awaiting_payment for good.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import dramatiq
import structlog
from dramatiq.brokers.stub import StubBroker
from dramatiq.common import dq_name
from sqlalchemy import select

from connectors.base import ChannelConnector
from sync import metrics, unpaid, webhooks
from sync.db import Database
from sync.models import Channel, Order, Shipment, utcnow
from sync.review import judge_stored
from sync.states import Status

log = structlog.get_logger(__name__)

#: a worker silent this long is taken for dead; live ones beat every few hundred milliseconds
DEAD_AFTER_SECONDS = 15.0


@dataclass
class Stuck:
    to_judge: list[int] = field(default_factory=list)
    to_forward: list[int] = field(default_factory=list)
    to_push: list[int] = field(default_factory=list)

    @property
    def total(self) -> int:
        return len(self.to_judge) + len(self.to_forward) + len(self.to_push)


def find_stuck(db: Database, *, older_than: timedelta, limit: int = 5_000) -> Stuck:
    cutoff = utcnow() - older_than
    stuck = Stuck()
    with db.session() as session:
        stuck.to_judge = list(session.scalars(
            select(Order.id).where(Order.status == Status.NEW, Order.status_changed_at < cutoff).limit(limit)))
        stuck.to_forward = list(session.scalars(
            select(Order.id).where(
                Order.status.in_([Status.READY.value, Status.FORWARDING.value]), Order.status_changed_at < cutoff
            ).order_by(Order.id).limit(limit)))
        stuck.to_push = list(session.scalars(
            select(Shipment.id).where(Shipment.pushed_at.is_(None), Shipment.created_at < cutoff).limit(limit)))
    return stuck


def sweep(db: Database, *, forward: dramatiq.Actor[Any, Any], push: dramatiq.Actor[Any, Any],
          older_than: timedelta, horizon: float = 120.0) -> dict[str, int]:
    """Find what is stuck and send it again; returns how many of each kind were sent."""
    return enqueue_stuck(db, find_stuck(db, older_than=older_than), forward=forward, push=push, horizon=horizon)


def sweep_unpaid(db: Database, connector_for: Callable[[Channel], ChannelConnector], *,
                 forward: dramatiq.Actor[Any, Any], older_than: timedelta, limit: int) -> unpaid.Checked:
    """Read again the orders unpaid for longer than ``older_than`` (at most ``limit``, paced by
    their channels' connectors); those now ready are sent on after their commit."""
    def send_ready(page: Any) -> None:
        for order_id in page.ready:
            forward.send(order_id)

    checked = unpaid.check(db, connector_for, older_than=older_than, limit=limit, after_commit=send_ready)
    if checked.moved:
        metrics.RECONCILER.labels("unpaid").inc(checked.moved)
    return checked


def sweep_webhooks(db: Database, *, process: dramatiq.Actor[Any, Any], older_than: timedelta,
                   horizon: float = 120.0) -> int:
    """Send again the webhook deliveries no message stands for (a flushed broker, an admin
    process with no worker to hand them to), and forget those older than a week."""
    sent = _send_unless_standing(process, webhooks.unprocessed(db, older_than=older_than), horizon)
    if sent:
        metrics.RECONCILER.labels("webhook").inc(sent)
        log.info("reconciler.webhooks_re_enqueued", sent=sent)
    webhooks.prune(db)
    return sent


def expire_messenger_links(db: Database) -> int:
    """Void the messenger orders whose buyer's link ran out unused (the seller sees why)."""
    from sync import messenger_links

    with db.session() as session:
        voided = messenger_links.expire(session)
    if voided:
        log.info("reconciler.messenger_links_expired", voided=len(voided))
    return len(voided)


def enqueue_stuck(db: Database, stuck: Stuck, *, forward: dramatiq.Actor[Any, Any],
                  push: dramatiq.Actor[Any, Any], horizon: float = 120.0) -> dict[str, int]:
    """Send again what no message stands for any more. Work still queued, delayed or held by a
    live worker is left alone: during a backlog nearly every order is "stuck", and sending each
    again would only add duplicates."""
    sent = {"judge": 0, "forward": 0, "push": 0}
    for order_id in stuck.to_judge:
        with db.session() as session:
            ready = judge_stored(session, order_id)
        if ready:  # sent after the commit that makes it ready, never before
            forward.send(order_id)
        sent["judge"] += 1
    sent["forward"] = _send_unless_standing(forward, stuck.to_forward, horizon)
    sent["push"] = _send_unless_standing(push, stuck.to_push, horizon)
    for kind, n in sent.items():
        if n:
            metrics.RECONCILER.labels(kind).inc(n)
    if any(sent.values()):
        log.info("reconciler.re_enqueued", **sent, stuck=stuck.total)
    return sent


def _send_unless_standing(actor: dramatiq.Actor[Any, Any], ids: list[int], horizon: float) -> int:
    """Send ``actor`` for each id no queued, delayed or running message stands for."""
    if not ids:
        return 0
    queued = standing(actor.broker, actor.queue_name, actor.actor_name, horizon=horizon) or set()
    missing = [i for i in ids if i not in queued]
    for item in missing:
        actor.send(item)
    return len(missing)


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
