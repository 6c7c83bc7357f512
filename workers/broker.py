"""The broker: Redis in production, an in-process stub for the embedded default and tests.

It is chosen before any actor is declared (dramatiq binds an actor to the global broker when the
actor is declared): ``workers.actors`` calls ``ensure_broker()`` first. This module knows no actor;
moving the declared actors to another broker is ``workers.actors.install``.
"""

from __future__ import annotations

import dramatiq
from dramatiq.brokers.stub import StubBroker

from sync.settings import get_settings


class BrokerRequired(RuntimeError):
    """A production process was started with no broker to share work through."""


def make_broker(url: str) -> dramatiq.Broker:
    if not url:
        broker: dramatiq.Broker = StubBroker()
        broker.emit_after("process_boot")
        return broker
    if url.startswith("redis"):
        from dramatiq.brokers.redis import RedisBroker

        return RedisBroker(url=url)
    raise ValueError(f"unsupported broker url: {url.split(':', 1)[0]}:...")


def ensure_broker() -> dramatiq.Broker:
    """The global broker, or the one the settings name when none was installed yet."""
    import dramatiq.broker

    if dramatiq.broker.global_broker is None:
        dramatiq.set_broker(make_broker(get_settings().broker_url))
    return dramatiq.get_broker()


def shared_broker_url() -> str:
    """The broker URL a separate worker or scheduler process needs: with none, messages would stay
    in that process and no other would ever see them."""
    url = get_settings().broker_url
    if not url:
        raise BrokerRequired("set ORDERHUB_BROKER_URL (e.g. redis://localhost:6379/0), "
                             "or run `orderhub serve` to run everything in one process")
    return url
