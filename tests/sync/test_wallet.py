"""The cached wallet: reservations from many threads at once spend no more than the balance, the
arithmetic stays in cents, and a stale or unread balance asks to be read first."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select

from sync import wallet
from sync.models import Channel

from support.orders import add_accounts


def _balance(db, supplier_id: int) -> Decimal:
    with db.session() as s:
        return wallet._money(s.scalar(select(Channel.wallet_balance).where(Channel.id == supplier_id)))


def test_reservations_from_many_threads_never_spend_more_than_the_balance(db) -> None:
    _, supplier_id = add_accounts(db)
    with db.session() as s:
        wallet.store(s, supplier_id, Decimal("10.00"))

    def one(_: int) -> bool | None:
        with db.statement() as conn:
            return wallet.reserve_if_fresh(conn, supplier_id, Decimal("0.30"), timedelta(minutes=5))

    with ThreadPoolExecutor(8) as pool:
        taken = list(pool.map(one, range(60)))
    assert taken.count(True) == 33  # 33 × 0.30 = 9.90; the 34th would need 10.20
    assert taken.count(False) == 27
    assert _balance(db, supplier_id) == Decimal("0.10")


def test_a_release_gives_back_exactly_and_the_last_cent_can_be_spent(db) -> None:
    _, supplier_id = add_accounts(db)
    with db.session() as s:
        wallet.store(s, supplier_id, Decimal("1.00"))
        assert wallet.reserve(s, supplier_id, Decimal("0.90"))
        assert not wallet.reserve(s, supplier_id, Decimal("0.11"))
        assert wallet.reserve(s, supplier_id, Decimal("0.10"))  # 1.00 - 0.90 is 0.10, not 0.0999...
        wallet.release(s, supplier_id, Decimal("0.90"))
    assert _balance(db, supplier_id) == Decimal("0.90")


def test_a_stale_or_unread_balance_asks_to_be_read_and_is_not_touched(db) -> None:
    _, supplier_id = add_accounts(db)
    with db.statement() as conn:
        assert wallet.reserve_if_fresh(conn, supplier_id, Decimal("1.00"), timedelta(minutes=5)) is None
        assert not wallet.reserve(conn, supplier_id, Decimal("0.00"))  # never read: nothing to take from
    with db.session() as s:
        wallet.store(s, supplier_id, Decimal("5.00"))
    with db.statement() as conn:
        assert wallet.reserve_if_fresh(conn, supplier_id, Decimal("1.00"), timedelta(0)) is None
        assert wallet.reserve_if_fresh(conn, supplier_id, Decimal("9.00"), timedelta(minutes=5)) is False
    assert _balance(db, supplier_id) == Decimal("5.00")


def test_a_balance_stored_by_another_worker_just_after_the_reservation_looked_is_used(db, monkeypatch) -> None:
    """The UPDATE can see the row before another worker's fresh balance; the read after it sees
    that balance. That is no shortage: the reservation goes again."""
    _, supplier_id = add_accounts(db)
    real_take = wallet._take
    looks: list[bool] = []

    def take_then_another_worker_stores(conn, *args, **kwargs) -> bool:
        moved = real_take(conn, *args, **kwargs)
        if not looks:
            with db.session() as s:
                wallet.store(s, supplier_id, Decimal("50.00"))
        looks.append(moved)
        return moved

    monkeypatch.setattr(wallet, "_take", take_then_another_worker_stores)
    with db.statement() as conn:
        assert wallet.reserve_if_fresh(conn, supplier_id, Decimal("25.50"), timedelta(minutes=5)) is True
    assert looks == [False, True]
    assert _balance(db, supplier_id) == Decimal("24.50")
