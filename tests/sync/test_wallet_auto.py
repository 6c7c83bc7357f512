"""Resubmitting by itself what a wallet top-up pays for: the covered orders only, oldest first,
on an account that asked for it; never an order an operator took meanwhile."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import update

from connectors.records import OrderPage
from sync import review
from sync.db import Database
from sync.fields import FieldError, check_settings
from sync.ingest import store_page
from sync.models import Channel, Order, OrderEvent, OrderIssue, utcnow
from sync.wallet_auto import MAX_AUTOMATIC, resubmit_covered, set_auto_resubmit

from support.orders import add_accounts, order
from support.supplier import FakeSupplier

TTL = timedelta(minutes=5)


def _held(db: Database, count: int, *, auto: bool = True) -> tuple[int, list[int]]:
    """``count`` orders held for the wallet (each costs 10.00), the first the oldest; a wallet read 0."""
    channel_id, supplier_id = add_accounts(db)
    with db.session() as s:
        store_page(s, channel_id, OrderPage(orders=[order(str(n)) for n in range(count)]))
        ids = [o.id for o in s.query(Order).order_by(Order.id)]
        for age, order_id in enumerate(reversed(ids)):
            s.execute(update(Order).where(Order.id == order_id)
                      .values(status="pending_review", status_changed_at=utcnow() - timedelta(hours=age + 1)))
            s.add(OrderIssue(order_id=order_id, code="insufficient_wallet", source="supplier", message="short"))
        s.execute(update(Channel).where(Channel.id == supplier_id)
                  .values(wallet_balance=Decimal("0"), wallet_read_at=utcnow() - timedelta(hours=1)))
        if auto:
            set_auto_resubmit(s, supplier_id, True)
    return supplier_id, ids


def _statuses(db: Database, ids: list[int]) -> list[str]:
    with db.session() as s:
        return [s.get(Order, i).status for i in ids]  # type: ignore[union-attr]


def test_a_top_up_resubmits_the_orders_it_covers_oldest_first(db: Database) -> None:
    _, ids = _held(db, 4)
    supplier = FakeSupplier()
    supplier.balance = Decimal("25.00")  # two orders' worth
    handed: list[list[int]] = []
    done = resubmit_covered(db, lambda _row: supplier, ttl=TTL, after_commit=handed.append)
    assert done.read and done.balance == Decimal("25.00")
    assert handed == [[ids[0], ids[1]]]
    assert _statuses(db, ids) == ["ready", "ready", "pending_review", "pending_review"]


def test_off_by_default_nothing_is_read_or_resubmitted(db: Database) -> None:
    _, ids = _held(db, 2, auto=False)
    supplier = FakeSupplier()
    calls: list[str] = []
    supplier.on_call = calls.append
    done = resubmit_covered(db, lambda _row: supplier, ttl=TTL, after_commit=lambda _ids: None)
    assert calls == [] and done.resubmitted == []
    assert _statuses(db, ids) == ["pending_review", "pending_review"]


def test_an_order_an_operator_cancelled_meanwhile_is_passed_over(db: Database) -> None:
    _, ids = _held(db, 3)
    supplier = FakeSupplier()
    supplier.balance = Decimal("100.00")

    def operator_cancels(call: str) -> None:
        if call == "wallet_balance":  # while the balance is being read
            with db.session() as s:
                review.cancel(s, ids[0], actor="user:boss")

    supplier.on_call = operator_cancels
    done = resubmit_covered(db, lambda _row: supplier, ttl=TTL)
    assert done.ready == [ids[1], ids[2]]
    assert _statuses(db, ids) == ["cancelled", "ready", "ready"]


def test_a_fresh_balance_is_not_read_again_and_an_empty_one_resubmits_nothing(db: Database) -> None:
    supplier_id, ids = _held(db, 2)
    with db.session() as s:
        s.execute(update(Channel).where(Channel.id == supplier_id).values(wallet_read_at=utcnow()))
    supplier = FakeSupplier()
    calls: list[str] = []
    supplier.on_call = calls.append
    done = resubmit_covered(db, lambda _row: supplier, ttl=TTL)
    assert calls == [] and done.resubmitted == [] and not done.read
    assert _statuses(db, ids) == ["pending_review", "pending_review"]


def test_an_order_held_again_after_automatic_resubmits_waits_for_an_operator(db: Database) -> None:
    supplier_id, ids = _held(db, 1)
    supplier = FakeSupplier()
    supplier.balance = Decimal("50.00")
    for _ in range(MAX_AUTOMATIC + 2):
        resubmit_covered(db, lambda _row: supplier, ttl=TTL)
        with db.session() as s:  # the supplier refuses it for want of money after all
            s.execute(update(Order).where(Order.id == ids[0]).values(status="pending_review"))
            s.add(OrderIssue(order_id=ids[0], code="insufficient_wallet", source="supplier", message="short"))
            s.execute(update(Channel).where(Channel.id == supplier_id).values(wallet_read_at=None))
    with db.session() as s:
        automatic = s.query(OrderEvent).filter(OrderEvent.order_id == ids[0], OrderEvent.actor == "worker:wallet")
        assert automatic.count() == MAX_AUTOMATIC


def test_the_switch_is_a_supplier_setting_that_channels_add_takes() -> None:
    assert check_settings("bigbuy", "supplier", {"auto_resubmit_wallet": True}) == {"auto_resubmit_wallet": True}
    with pytest.raises(FieldError, match="auto_resubmit_wallet"):
        check_settings("bigbuy", "supplier", {"auto_resubmit_wallet": "sometimes"})
    with pytest.raises(FieldError):
        check_settings("shopify", "channel", {"auto_resubmit_wallet": True})
