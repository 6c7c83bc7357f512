"""The in-process broker the worker tests send to, with every actor moved over to it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from dramatiq.brokers.stub import StubBroker

from workers import actors


@pytest.fixture
def stub() -> Iterator[StubBroker]:
    broker = StubBroker()
    broker.emit_after("process_boot")
    actors.install(broker)
    for q in ("pull", "forward", "track", "default"):
        broker.declare_queue(q)
    yield broker
    broker.close()
