"""Two transactions at once, on PostgreSQL: the first holds its writes uncommitted while the
second runs against the same rows."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest

from sync.db import Database

#: a test of two writers at once runs on PostgreSQL only (SQLite takes one writer at a time): the
#: ``db`` fixture's backends narrowed to it, so the SQLite run has no such test rather than a skip
ON_POSTGRES = pytest.mark.parametrize("db", [pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True)


def race(db: Database, first: Callable[[Any], object], second: Callable[[Any], object],
         hold: float = 0.3) -> list[BaseException | None]:
    """Each callable gets its own session; returns what each raised (None: it committed)."""
    outcomes: list[BaseException | None] = [None, None]
    started = threading.Event()

    def one() -> None:
        try:
            with db.session() as s:
                first(s)
                started.set()
                time.sleep(hold)  # still uncommitted while the other one runs
        except BaseException as exc:  # noqa: BLE001 - reported to the test
            outcomes[0] = exc
        finally:
            started.set()

    def two() -> None:
        started.wait(10)
        try:
            with db.session() as s:
                second(s)
        except BaseException as exc:  # noqa: BLE001 - reported to the test
            outcomes[1] = exc

    threads = [threading.Thread(target=one), threading.Thread(target=two)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return outcomes
