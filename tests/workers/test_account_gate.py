"""A share of a worker process's threads per supplier account: while one account's share is busy
(its threads sleeping on its rate bucket), an order of that account goes back to the queue with
a delay and the thread serves another seller; one account alone is never gated."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from dramatiq.brokers.stub import StubBroker
from sqlalchemy import select

from connectors.records import OrderPage
from sync.db import Database
from sync.ingest import store_page
from sync.models import Channel, Order
from workers import account_gate, actors

from support.orders import add_accounts, order


@pytest.fixture
def two_threads() -> Iterator[None]:
    account_gate.configure(2)
    account_gate._accounts = ({}, 0.0)  # count the accounts of this test's database
    yield
    account_gate.configure(0)
    account_gate._accounts = ({}, 0.0)


def _two_sellers(db: Database) -> tuple[int, int]:
    """One ready order of shop A (account ``supplier``) and one of shop B (account ``other``)."""
    shop_a, _ = add_accounts(db)
    with db.session() as s:
        s.add(Channel(name="other", kind="bigbuy", role="supplier", url="https://o.invalid",
                      credentials={"api_key": "k"}, settings={}))
        shop_b = Channel(name="shop-b", kind="shopify", role="channel", url="https://b.invalid",
                         credentials={"access_token": "t"}, settings={"supplier_account": "other"})
        s.add(shop_b)
        s.get_one(Channel, shop_a).settings = {"supplier_account": "supplier"}
        s.flush()
        (a,) = store_page(s, shop_a, OrderPage(orders=[order("1")])).ready
        (b,) = store_page(s, shop_b.id, OrderPage(orders=[order("1")])).ready
    return a, b


def test_an_accounts_share_busy_defers_its_orders_but_not_another_accounts(db: Database, two_threads: None) -> None:
    a, b = _two_sellers(db)
    with account_gate.turn(db, a) as first:  # two threads, two accounts: one thread each
        assert first.mine
        with account_gate.turn(db, a) as second, account_gate.turn(db, a) as third:
            # no turn has ended yet: deferred one bucket interval apart (the pace: 0.9/s by default)
            assert not second.mine and not third.mine
            assert 1000 <= second.delay_ms <= 1120 and 2100 <= third.delay_ms <= 2230
        with account_gate.turn(db, b) as other:
            assert other.mine
    with account_gate.turn(db, a) as again:  # the share is given back at the end of a turn
        assert again.mine


def test_one_account_alone_is_never_gated(db: Database, two_threads: None) -> None:
    shop, _ = add_accounts(db)
    with db.session() as s:
        ids = store_page(s, shop, OrderPage(orders=[order("1"), order("2"), order("3")])).ready
    with account_gate.turn(db, ids[0]) as one, account_gate.turn(db, ids[1]) as two, \
            account_gate.turn(db, ids[2]) as three:
        assert one.mine and two.mine and three.mine


def test_the_forward_actor_sends_a_deferred_order_again_with_a_delay_and_leaves_it_ready(
        db: Database, stub: StubBroker, two_threads: None) -> None:
    a, _ = _two_sellers(db)
    with account_gate.turn(db, a):  # another thread of this process holds account A's share
        actors.forward_order.fn(a)
    again = stub.queues["forward.DQ"].qsize()
    assert again == 1  # sent again, on the delay queue
    message = stub.queues["forward.DQ"].get()
    assert b'"deferred":1' in message.replace(b" ", b"") and b"eta" in message
    with db.session() as s:
        assert s.scalar(select(Order.status).where(Order.id == a)) == "ready"


def test_a_deferral_is_never_longer_than_the_reconcilers_horizon_allows(db: Database, two_threads: None) -> None:
    a, _ = _two_sellers(db)
    with account_gate.turn(db, a):
        delays = []
        for _ in range(200):
            with account_gate.turn(db, a) as later:
                delays.append(later.delay_ms)
    assert delays == sorted(delays) and delays[-1] <= account_gate.MAX_DELAY_MS


def test_deferrals_follow_how_long_this_process_takes_over_an_accounts_orders(
        db: Database, two_threads: None, monkeypatch: pytest.MonkeyPatch) -> None:
    a, _ = _two_sellers(db)
    clock = [1000.0]
    monkeypatch.setattr(account_gate.time, "monotonic", lambda: clock[0])
    for _ in range(20):  # turns of 4 s: the bucket is shared with other processes
        with account_gate.turn(db, a) as mine:
            assert mine.mine
            clock[0] += 4.0
    with account_gate.turn(db, a), account_gate.turn(db, a) as later, account_gate.turn(db, a) as after:
        assert 3900 <= later.delay_ms <= 4000 and 7900 <= after.delay_ms <= 8000


def _paced_at(db: Database, rate: float) -> None:
    with db.session() as s:
        for account in s.scalars(select(Channel).where(Channel.role == "supplier")):
            account.settings = {**(account.settings or {}), "rate_per_second": rate}


def test_an_account_paced_above_what_the_process_can_send_is_not_gated(db: Database, two_threads: None) -> None:
    a, _ = _two_sellers(db)
    _paced_at(db, 100.0)  # 100 calls a second for 2 threads: the bucket never keeps a thread asleep
    with account_gate.turn(db, a) as first, account_gate.turn(db, a) as second, \
            account_gate.turn(db, a) as third:
        assert first.mine and second.mine and third.mine


def test_a_fast_account_whose_bucket_kept_a_call_waiting_is_gated_again(
        db: Database, two_threads: None, monkeypatch: pytest.MonkeyPatch) -> None:
    from sync import connect

    a, b = _two_sellers(db)
    _paced_at(db, 100.0)
    monkeypatch.setattr(connect, "_paced_at", {"supplier": connect.time.monotonic()})  # account A waited
    with account_gate.turn(db, a) as first, account_gate.turn(db, a) as second, account_gate.turn(db, b) as other, \
                account_gate.turn(db, b) as other_again:
        assert first.mine and not second.mine  # A's share (one thread of two) is busy
        assert other.mine and other_again.mine  # B's bucket never waited: not gated


def test_a_wait_on_the_bucket_is_noted_for_the_gate() -> None:
    from connectors.ratelimit import Unpaced
    from sync import connect

    class Slow(Unpaced):
        def wait(self, cost: int = 1) -> float:
            return connect.NOTABLE_WAIT_S

    assert not connect.paced_lately("slow-account")
    connect.MeteredPacer("slow-account", Slow()).wait()  # type: ignore[arg-type]
    assert connect.paced_lately("slow-account")
    connect.MeteredPacer("quick-account", Unpaced()).wait()  # type: ignore[arg-type]
    assert not connect.paced_lately("quick-account")
