"""The scheduled jobs: the alert sweep, and the reconciler resubmitting what a wallet top-up covers
and sending those orders on to the supplier's queue."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import dramatiq
import pytest
from sqlalchemy import update

from connectors.records import OrderPage
from sync import connect
from sync.alert_models import Alert
from sync.db import Database
from sync.ingest import store_page
from sync.models import Channel, Order, OrderIssue, utcnow
from sync.wallet_auto import set_auto_resubmit
from workers import actors

from support.orders import add_accounts, order
from support.supplier import FakeSupplier


def test_the_alert_job_raises_an_overdue_review(db: Database, stub) -> None:
    channel_id, _ = add_accounts(db)
    with db.session() as s:
        store_page(s, channel_id, OrderPage(orders=[order("101", last_name=None)]))
        s.execute(update(Order).values(status_changed_at=utcnow() - timedelta(days=2)))
    actors.check_alerts.fn()
    actors.check_alerts.fn()
    with db.session() as s:
        row = s.get(Alert, "review_overdue")
        assert row is not None and row.active and "#101" in row.summary


def test_the_reconciler_resubmits_what_a_top_up_covers_and_queues_it(db: Database, stub,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    channel_id, supplier_id = add_accounts(db)
    with db.session() as s:
        store_page(s, channel_id, OrderPage(orders=[order("201"), order("202")]))
        ids = [o.id for o in s.query(Order).order_by(Order.id)]
        for age, order_id in enumerate(reversed(ids)):
            s.execute(update(Order).where(Order.id == order_id)
                      .values(status="pending_review", status_changed_at=utcnow() - timedelta(hours=age + 1)))
            s.add(OrderIssue(order_id=order_id, code="insufficient_wallet", source="supplier", message="short"))
        s.execute(update(Channel).where(Channel.id == supplier_id).values(wallet_balance=Decimal("0")))
        set_auto_resubmit(s, supplier_id, True)
    supplier = FakeSupplier()
    supplier.balance = Decimal("12.00")  # one order's worth
    monkeypatch.setattr(connect, "supplier_for", lambda _row: supplier)
    actors.reconcile_stuck.fn()
    queued = [dramatiq.Message.decode(m) for m in list(stub.queues["forward"].queue)]
    assert [m.args[0] for m in queued if m.actor_name == "forward_order"] == [ids[0]]
    with db.session() as s:
        assert [s.get(Order, i).status for i in ids] == ["ready", "pending_review"]  # type: ignore[union-attr]
