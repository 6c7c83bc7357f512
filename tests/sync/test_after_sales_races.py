"""Two operators acting on one after-sales order at once, on PostgreSQL: one wins, the other is
told it lost and nothing of its action is kept."""

from __future__ import annotations

import pytest

from sync import after_sales as a
from sync import after_sales_refunds as refunds
from sync import after_sales_rules as rules
from sync import stock
from sync.review import LostRace

from support.after_sales import ALLOWED, REFUNDER, stored_order
from support.races import ON_POSTGRES, race


@pytest.fixture
def pg(db):
    return db


def _received(db) -> int:
    order_id = stored_order(db)
    with db.session() as s:
        created = a.create(s, kind=rules.RETURN_REFUND, order_id=order_id, actor="user:ana", **ALLOWED)
        a.confirm(s, created.id, actor="user:ana", stock_in=True, **ALLOWED)
        return created.id


@ON_POSTGRES
def test_two_confirmations_of_one_refund_confirm_it_once(pg) -> None:
    created = _received(pg)
    with pg.session() as s:
        refund_id = refunds.create_refund(s, created, amount="25.00", actor="user:ana", **REFUNDER).id

    def confirm(who: str):
        return lambda s: refunds.confirm_refund(s, refund_id, actor=who, **REFUNDER)

    first, second = race(pg, confirm("user:ana"), confirm("user:bo"))
    assert first is None and isinstance(second, LostRace)
    with pg.session() as s:
        [refund] = refunds.refund_orders(s, after_sales_id=created)
        assert (refund.state, refund.decided_by) == ("confirmed", "user:ana")
        assert rules.get(s, created).state == "completed"
        assert [e.actor for e in rules.events(s, created) if e.to_state == "completed"] == ["user:ana"]


@ON_POSTGRES
def test_a_confirmation_racing_a_rejection_keeps_only_the_first(pg) -> None:
    created = _received(pg)
    with pg.session() as s:
        refund_id = refunds.create_refund(s, created, amount="25.00", actor="user:ana", **REFUNDER).id
    first, second = race(pg, lambda s: refunds.reject_refund(s, refund_id, "wrong", actor="user:bo", **REFUNDER),
                         lambda s: refunds.confirm_refund(s, refund_id, actor="user:ana", **REFUNDER))
    assert first is None and isinstance(second, LostRace)
    with pg.session() as s:
        assert rules.get(s, created).state == "received_return"


@ON_POSTGRES
def test_two_stock_ins_of_one_return_at_once_take_the_units_in_once(pg) -> None:
    order_id = stored_order(pg)
    with pg.session() as s:
        created = a.create(s, kind=rules.RETURN_REFUND, order_id=order_id, actor="user:ana", **ALLOWED).id
        a.confirm(s, created, actor="user:ana", **ALLOWED)

    def stock_in(s) -> None:
        a.stock_in(s, created, actor="user:ana", **ALLOWED)

    first, second = race(pg, stock_in, stock_in)
    assert first is None and isinstance(second, LostRace)
    with pg.session() as s:
        assert stock.level(s, stock.default_warehouse(s).id, "SKU-1") == 2


@ON_POSTGRES
def test_two_refund_orders_at_once_never_pass_what_was_paid(pg) -> None:
    order_id = stored_order(pg)
    ids = []
    with pg.session() as s:
        for _ in range(2):
            found = a.create(s, kind=rules.REFUND_ONLY, order_id=order_id, actor="user:ana", can_edit_prices=True,
                             return_amount="20.00", items=[a.ItemInput("SKU-1", 1)], **ALLOWED)
            a.confirm(s, found.id, actor="user:ana", **ALLOWED)
            ids.append(found.id)
    first, second = race(pg, lambda s: refunds.create_refund(s, ids[0], amount="20.00", actor="u:a", **REFUNDER),
                         lambda s: refunds.create_refund(s, ids[1], amount="20.00", actor="u:b", **REFUNDER))
    assert first is None and isinstance(second, rules.AfterSalesError) and "up to 5.00" in str(second)
