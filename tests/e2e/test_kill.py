"""A worker process is killed between the supplier's answer and the commit: the order is not sent
twice. Real process, real SIGKILL, real HTTP to the sandbox supplier."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from admin import stack as sandbox_stack
from sync import connect, pull
from sync.forward import forward
from sync.issues import open_codes
from sync.models import Order, SupplierOrderRow

from support import REPO

HERE = Path(__file__).parent


def test_a_worker_killed_after_the_supplier_answered_does_not_cause_a_second_order(db) -> None:
    stack = sandbox_stack.start(bigbuy_rate=0)
    try:
        ids = sandbox_stack.register(db, stack, supplier_rate=100)
        ready = pull.pull_channel(db, ids["shopify"], connect.channel_for).ready
        victims = ready[:3]
        for order_id in victims:
            child = subprocess.run([sys.executable, str(HERE / "forward_then_die.py"), db.url, str(order_id)],
                                   cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)}, capture_output=True,
                                   text=True, timeout=60)
            assert child.returncode == -signal.SIGKILL, child.stderr
        held = stack.bigbuy_app.state()["orders"]
        assert held >= len(victims)  # the supplier stored them; we never heard back
        with db.session() as s:
            assert set(s.scalars(select(Order.status).where(Order.id.in_(victims)))) == {"forwarding"}
            assert all(s.scalars(select(Order.outcome_unknown).where(Order.id.in_(victims))))
        # what the reconciler does later: the same forward step, taking over the silent attempt. The
        # look-up answers one order per reference: an order the supplier split over warehouses is
        # not settled as sent on that alone, it goes to an operator
        for order_id in victims:
            with db.session() as s:
                reference = s.get_one(Order, order_id).internal_reference
            split = len(stack.bigbuy_app.orders_by_reference[reference]) > 1
            outcome = forward(db, order_id, connect.supplier_for, stale_after=timedelta(0))
            assert outcome.result == ("pending_review" if split else "sent")
            with db.session() as s:
                assert open_codes(s, order_id) == (["supplier_rejected"] if split else [])
        state = stack.bigbuy_app.state()
        assert state["orders"] == held  # nothing new was created
        assert state["duplicates"] == 0
        with db.session() as s:
            sources = set(s.scalars(select(SupplierOrderRow.source).where(SupplierOrderRow.order_id.in_(victims))))
            assert sources == {"lookup"}
    finally:
        stack.stop()
