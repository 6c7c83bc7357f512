"""The scheduler refreshes the supplier's stock on its own interval, through a worker."""

from __future__ import annotations

from typing import Any

import pytest
from dramatiq.brokers.stub import StubBroker

from sync import catalogue
from sync.db import Database
from sync.settings import Settings
from workers import actors, scheduler


def test_the_stock_job_runs_on_its_own_interval_and_asks_a_worker(db: Database, stub: StubBroker) -> None:
    sched = scheduler.build(db, Settings(stock_every_seconds=1234, track_every_seconds=600))
    job = sched.get_job("stock")
    assert job is not None and job.trigger.interval.total_seconds() == 1234
    job.func()
    sent = stub.queues["default"].qsize()
    assert sent == 1
    message = stub.queues["default"].get()
    assert b"refresh_stock" in message


def test_the_stock_refresh_without_a_supplier_ends_quietly(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    asked: list[str] = []
    real = catalogue.refresh_stock

    def spy(*args: Any, **kwargs: Any) -> Any:
        asked.append("refresh")
        return real(*args, **kwargs)  # raises NoSupplier: no supplier account yet

    monkeypatch.setattr(catalogue, "refresh_stock", spy)
    assert actors.refresh_stock.fn() is None  # not an error to retry three times
    assert asked == ["refresh"]
