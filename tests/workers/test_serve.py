"""``orderhub serve``: one process with worker threads, the scheduler and the reconciler on the
in-process broker. Orders flow from the sandbox shops to the sandbox supplier with nothing else
running, and nothing is left waiting in ready."""

from __future__ import annotations

import threading
import time

from sqlalchemy import func, select

from admin import stack as sandbox_stack
from sync.db import Database
from sync.models import Order
from sync.settings import Settings
from workers.serve import serve


def _by_status(db: Database) -> dict[str, int]:
    with db.session() as s:
        return dict(s.execute(select(Order.status, func.count()).group_by(Order.status)).all())  # type: ignore[arg-type]


def test_serve_pulls_forwards_and_settles_on_its_own(db: Database) -> None:
    stack = sandbox_stack.start(bigbuy_rate=0)
    stop = threading.Event()
    said: list[str] = []
    try:
        sandbox_stack.register(db, stack, supplier_rate=50)
        settings = Settings(broker_url="", reconcile_every_seconds=1, stuck_after_seconds=5, track_every_seconds=600)
        runner = threading.Thread(target=serve, args=(db, settings),
                                  kwargs={"threads": 2, "should_stop": stop.is_set, "started": said.append})
        runner.start()
        deadline = time.monotonic() + 120
        while True:
            counts = _by_status(db)
            busy = sum(counts.get(s, 0) for s in ("new", "ready", "forwarding"))
            if sum(counts.values()) == stack.seeded and not busy:
                break
            assert time.monotonic() < deadline, f"serve did not settle: {counts}"
            time.sleep(0.2)
        assert counts.get("sent", 0) > 0 and counts.get("pending_review", 0) > 0
        assert stack.bigbuy_app.state()["duplicates"] == 0
        assert said and "in-process broker" in said[0]
    finally:
        stop.set()
        stack.stop()
    runner.join(timeout=30)
    assert not runner.is_alive()
