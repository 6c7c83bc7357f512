"""Messenger stores in the workers: the reconciler voids orders whose link ran out unused; a store is never
pulled nor health-checked (it has no platform)."""

from __future__ import annotations

from datetime import timedelta

from sync import messenger_links as links
from sync.messenger_models import MessengerOrder
from workers.reconciler import expire_messenger_links

from support.messenger import new_order, setup_store


def test_the_reconciler_voids_orders_whose_links_ran_out(db) -> None:
    setup_store(db)
    stale, live = new_order(db), new_order(db)
    with db.session() as s:
        links.new_link(s, stale, actor="user:seller", lifetime=timedelta(seconds=-1))
        links.new_link(s, live, actor="user:seller")
    assert expire_messenger_links(db) == 1
    with db.session() as s:
        assert s.get(MessengerOrder, stale).state == "voided" and s.get(MessengerOrder, stale).void_reason
        assert s.get(MessengerOrder, live).state == "waiting_to_add_info"


def test_a_messenger_store_is_neither_pulled_nor_health_checked(db) -> None:
    from workers import health, scheduler

    from support.customers import add_channel

    setup_store(db)
    shop = add_channel(db)
    assert [cid for cid, _, _ in scheduler.pull_jobs(db).values()] == [shop]
    assert [name for name, _, _ in health.accounts(db)] == ["channel:shop"]
