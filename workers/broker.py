"""The broker: Redis in production, an in-process stub for the embedded default and tests."""

from __future__ import annotations

import dramatiq
from dramatiq.brokers.stub import StubBroker
from dramatiq.middleware import Middleware

from sync.settings import get_settings


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


def install(broker: dramatiq.Broker, middleware: list[Middleware] | None = None) -> dramatiq.Broker:
    """Make ``broker`` the one every actor of the project sends to (re-declaring them)."""
    for m in middleware or []:
        broker.add_middleware(m)
    dramatiq.set_broker(broker)
    from workers import actors

    for actor in actors.ALL:
        actor.broker = broker
        broker.declare_actor(actor)
    return broker


def install_from_settings() -> dramatiq.Broker:
    return install(make_broker(get_settings().broker_url))
