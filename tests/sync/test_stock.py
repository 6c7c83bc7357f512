from __future__ import annotations

import pytest
from sqlalchemy import func, select

from sync import stock
from sync.stock_models import StockMovement, Warehouse

from support.races import ON_POSTGRES, race


def _main(db) -> int:
    with db.session() as s:
        return stock.default_warehouse(s).id


def test_the_default_warehouse_is_made_once_on_first_use(db) -> None:
    first = _main(db)
    with db.session() as s:
        assert stock.default_warehouse(s).id == first
        assert stock.warehouse_named(s, "Main").id == first
        assert s.scalar(select(func.count()).select_from(Warehouse)) == 1


def test_a_warehouse_name_is_unique_and_not_empty(db) -> None:
    with db.session() as s:
        stock.add_warehouse(s, "Valencia")
        with pytest.raises(stock.StockError, match="exists already"):
            stock.add_warehouse(s, " Valencia ")
        with pytest.raises(stock.StockError, match="1 to 100"):
            stock.add_warehouse(s, "  ")
        with pytest.raises(stock.StockError, match="no warehouse"):
            stock.warehouse_named(s, "Madrid")


def test_moves_change_the_level_and_are_kept_in_the_ledger(db) -> None:
    wh = _main(db)
    with db.session() as s:
        stock.move(s, warehouse_id=wh, sku="SKU-1", quantity=5, reason="stock-in", actor="user:ana")
        stock.move(s, warehouse_id=wh, sku="SKU-1", quantity=-2, reason="self-delivered order", actor="user:bo")
    with db.session() as s:
        assert stock.level(s, wh, "SKU-1") == 3
        assert stock.levels(s, wh) == {"SKU-1": 3}
        ledger = stock.movements(s, warehouse_id=wh, sku="SKU-1")
        assert [(m.quantity, m.reason, m.actor) for m in ledger] == [
            (-2, "self-delivered order", "user:bo"), (5, "stock-in", "user:ana")]
        assert sum(m.quantity for m in ledger) == stock.level(s, wh, "SKU-1")


def test_taking_more_than_is_held_is_refused_unless_allowed(db) -> None:
    wh = _main(db)
    with db.session() as s:
        stock.move(s, warehouse_id=wh, sku="SKU-1", quantity=1, reason="stock-in", actor="user:ana")
    with db.session() as s:
        with pytest.raises(stock.StockError, match="1 held, 2 cannot be taken"):
            stock.move(s, warehouse_id=wh, sku="SKU-1", quantity=-2, reason="order", actor="user:ana")
        assert stock.level(s, wh, "SKU-1") == 1
        assert len(stock.movements(s, sku="SKU-1")) == 1  # the refused take left nothing behind
        stock.move(s, warehouse_id=wh, sku="SKU-1", quantity=-2, reason="oversold", actor="user:ana",
                   allow_negative=True)
    with db.session() as s:
        assert stock.level(s, wh, "SKU-1") == -1


def test_a_key_used_twice_is_refused_and_the_first_movement_stays(db) -> None:
    wh = _main(db)
    with db.session() as s:
        stock.move(s, warehouse_id=wh, sku="SKU-1", quantity=2, reason="return stock-in", actor="user:ana",
                   key="return:AS-000001:SKU-1", reference="after_sales:1")
    with db.session() as s:
        with pytest.raises(stock.DuplicateMovement, match="recorded already"):
            stock.move(s, warehouse_id=wh, sku="SKU-1", quantity=2, reason="return stock-in", actor="user:bo",
                       key="return:AS-000001:SKU-1")
        stock.move(s, warehouse_id=wh, sku="SKU-2", quantity=1, reason="stock-in", actor="user:bo")
    with db.session() as s:
        assert stock.level(s, wh, "SKU-1") == 2
        assert stock.level(s, wh, "SKU-2") == 1  # the same transaction went on after the refusal
        assert [m.actor for m in stock.movements(s, reference="after_sales:1")] == ["user:ana"]


@pytest.mark.parametrize("bad", [{"sku": " "}, {"quantity": 0}, {"warehouse_id": 999}])
def test_bad_input_is_refused_in_words(db, bad) -> None:
    wh = _main(db)
    args = {"warehouse_id": wh, "sku": "SKU-1", "quantity": 1, **bad}
    with db.session() as s, pytest.raises(stock.StockError):
        stock.move(s, reason="stock-in", actor="user:ana", **args)
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(StockMovement)) == 0


@ON_POSTGRES
def test_two_moves_at_once_are_both_counted(db) -> None:
    wh = _main(db)

    def stock_in(s) -> None:
        stock.move(s, warehouse_id=wh, sku="SKU-1", quantity=3, reason="stock-in", actor="user:ana")

    assert race(db, stock_in, stock_in) == [None, None]
    with db.session() as s:
        assert stock.level(s, wh, "SKU-1") == 6
        assert len(stock.movements(s, sku="SKU-1")) == 2


@ON_POSTGRES
def test_two_takes_of_the_last_unit_at_once_take_it_once(db) -> None:
    wh = _main(db)
    with db.session() as s:
        stock.move(s, warehouse_id=wh, sku="SKU-1", quantity=1, reason="stock-in", actor="user:ana")

    def take(s) -> None:
        stock.move(s, warehouse_id=wh, sku="SKU-1", quantity=-1, reason="order", actor="user:ana")

    first, second = race(db, take, take)
    assert first is None and isinstance(second, stock.StockError)
    with db.session() as s:
        assert stock.level(s, wh, "SKU-1") == 0


@ON_POSTGRES
def test_the_same_key_twice_at_once_is_recorded_once(db) -> None:
    wh = _main(db)

    def stock_in(s) -> None:
        stock.move(s, warehouse_id=wh, sku="SKU-1", quantity=2, reason="return stock-in", actor="user:ana",
                   key="return:1")

    first, second = race(db, stock_in, stock_in)
    assert first is None and isinstance(second, stock.DuplicateMovement)
    with db.session() as s:
        assert stock.level(s, wh, "SKU-1") == 2
