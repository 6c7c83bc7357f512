"""After-sales, continued: an exchange's items changed after creation (priced by the look-up, a
typed price needing "edit prices", only before the exchange order, conditional and in the history);
exchange prices a messenger order cannot hold refused in words naming the currency; a customer's
erasure reaching the offline buyer typed on their after-sales orders."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select, update

from sync import after_sales as a
from sync import after_sales_exchange as exchange
from sync import after_sales_rules as rules
from sync import customer_book, prices
from sync.after_sales_exchange import generate_exchange, set_exchange_items
from sync.after_sales_models import AfterSalesOrder
from sync.messenger import add_store
from sync.models import Order, OrderEvent

from support.after_sales import ALLOWED, stored_order


def _exchange(db, **kwargs) -> int:
    order_id = stored_order(db)
    with db.session() as s:
        add_store(s, "Chat shop")
        prices.set_wholesale(s, "SKU-9", 1, None, Decimal("4.00"))
        prices.set_wholesale(s, "SKU-8", 1, None, Decimal("6.00"))
        return a.create(s, kind=rules.EXCHANGE, order_id=order_id, actor="user:ana", **ALLOWED,
                        items=[a.ItemInput("SKU-1", 2), a.ItemInput("SKU-9", 3, kind=a.EXCHANGED)], **kwargs).id


def test_exchange_items_are_changed_before_the_exchange_order_priced_by_the_look_up(db) -> None:
    created = _exchange(db)
    with db.session() as s:
        found = set_exchange_items(s, created, [a.ItemInput("SKU-8", 2)], actor="user:bo", **ALLOWED)
        assert [(i.kind, i.sku, i.quantity, i.unit_price) for i in found.items] == [
            ("returned", "SKU-1", 2, Decimal("10.00")), ("exchange", "SKU-8", 2, Decimal("6.00"))]
        assert found.exchange_amount == Decimal("12.00") and found.state == "to_confirm"
        a.confirm(s, created, actor="user:ana", **ALLOWED)
        found = set_exchange_items(s, created, [a.ItemInput("SKU-9", 1), a.ItemInput("SKU-8", 1)],
                                   actor="user:bo", **ALLOWED)
        assert found.exchange_amount == Decimal("10.00") and found.state == "confirm_exchange"
        history = [(e.actor, e.from_state, e.to_state, e.reason) for e in rules.events(s, created)]
        assert history[1] == ("user:bo", "to_confirm", "to_confirm",
                              "exchange items changed: SKU-8 x2 at 6.00 (12.00 EUR)")
        assert history[3][3] == "exchange items changed: SKU-9 x1 at 4.00, SKU-8 x1 at 6.00 (10.00 EUR)"
        notes = s.scalars(select(OrderEvent.reason).where(OrderEvent.reason.like("%exchange items changed%"))).all()
        assert len(notes) == 2
        made = generate_exchange(s, created, actor="user:ana", store="Chat shop", **ALLOWED)
        lines = s.get(Order, made).lines
        assert sorted((ln.sku, ln.quantity, ln.unit_price) for ln in lines) == [
            ("SKU-8", 1, Decimal("6.00")), ("SKU-9", 1, Decimal("4.00"))]
        with pytest.raises(rules.AfterSalesError, match="before the exchange order is made"):
            set_exchange_items(s, created, [a.ItemInput("SKU-8", 5)], actor="user:bo", **ALLOWED)
        assert rules.get(s, created).exchange_amount == Decimal("10.00")


def test_a_typed_exchange_price_needs_edit_prices_and_bad_input_changes_nothing(db) -> None:
    created = _exchange(db)
    with db.session() as s:
        typed = [a.ItemInput("SKU-8", 1, unit_price=Decimal("5.50"))]
        with pytest.raises(rules.AfterSalesError, match="edit prices"):
            set_exchange_items(s, created, typed, actor="user:bo", **ALLOWED)
        with pytest.raises(rules.AfterSalesError, match="manual after-sales|Manual after-sales"):
            set_exchange_items(s, created, typed, actor="user:bo", can_after_sales=False, can_edit_prices=True)
        for bad, words in (([], "at least one"), ([a.ItemInput("SKU-8", 0)], "quantity"),
                           ([a.ItemInput("", 1)], "sku")):
            with pytest.raises(rules.AfterSalesError, match=words):
                set_exchange_items(s, created, bad, actor="user:bo", **ALLOWED)
        found = rules.get(s, created)
        assert [(i.sku, i.quantity) for i in found.items if i.kind == a.EXCHANGED] == [("SKU-9", 3)]
        found = set_exchange_items(s, created, typed, actor="user:bo", can_edit_prices=True, **ALLOWED)
        assert found.exchange_amount == Decimal("5.50")


def test_exchange_items_are_refused_out_of_their_lists_and_for_other_kinds(db) -> None:
    created = _exchange(db)
    order_id = stored_order(db, external_id="2")
    with db.session() as s:
        other = a.create(s, kind=rules.RETURN_REFUND, order_id=order_id, actor="user:ana", **ALLOWED).id
        with pytest.raises(rules.AfterSalesError, match="not an exchange"):
            set_exchange_items(s, other, [a.ItemInput("SKU-8", 1)], actor="user:bo", **ALLOWED)
        a.confirm(s, created, actor="user:ana", stock_in=True, **ALLOWED)
        with pytest.raises(rules.AfterSalesError, match="received_return"):
            set_exchange_items(s, created, [a.ItemInput("SKU-8", 1)], actor="user:bo", **ALLOWED)


def test_exchange_items_changed_meanwhile_report_a_lost_race(db, monkeypatch) -> None:
    created = _exchange(db)
    with db.session() as s:
        seen = rules.get(s, created)  # read before another operator confirms with stock-in
        with db.session() as other:
            other.execute(update(AfterSalesOrder).where(AfterSalesOrder.id == created).values(state="received_return"))
        monkeypatch.setattr(exchange, "_locked", lambda session, ref: seen)
        with pytest.raises(rules.AfterSalesLostRace):
            set_exchange_items(s, created, [a.ItemInput("SKU-8", 1)], actor="user:bo", **ALLOWED)
    with db.session() as s:
        found = rules.get(s, created)
        assert [(i.sku, i.quantity) for i in found.items if i.kind == a.EXCHANGED] == [("SKU-9", 3)]
        assert found.exchange_amount == Decimal("12.00")


def test_an_exchange_price_in_fils_that_an_order_cannot_hold_is_refused_naming_the_currency(db) -> None:
    offline = a.OfflineSale(buyer_name="Noor Ali", currency="KWD", buyer_phone="+96550000000")
    with db.session() as s:
        add_store(s, "Chat shop")
        with pytest.raises(rules.AfterSalesError, match=r"12\.345 KWD has 3 decimals.*2 decimals") as refused:
            a.create(s, kind=rules.EXCHANGE, actor="user:ana", can_edit_prices=True, **ALLOWED, offline=offline,
                     items=[a.ItemInput("SKU-1", 1, unit_price=Decimal("20.000")),
                            a.ItemInput("SKU-2", 1, kind=a.EXCHANGED, unit_price=Decimal("12.345"))])
        assert refused.value.field == "unit_price"
        found = a.create(s, kind=rules.EXCHANGE, actor="user:ana", can_edit_prices=True, **ALLOWED, offline=offline,
                         items=[a.ItemInput("SKU-1", 1, unit_price=Decimal("20.000")),
                                a.ItemInput("SKU-2", 1, kind=a.EXCHANGED, unit_price=Decimal("12.340"))])
        with pytest.raises(rules.AfterSalesError, match="BHD|KWD"):
            set_exchange_items(s, found.id, [a.ItemInput("SKU-2", 1, unit_price=Decimal("0.005"))],
                               actor="user:ana", can_edit_prices=True, **ALLOWED)
        a.confirm(s, found.id, actor="user:ana", **ALLOWED)
        made = generate_exchange(s, found.id, actor="user:ana", store="Chat shop", **ALLOWED)
        assert s.get(Order, made).total == Decimal("12.34")


def test_erasing_a_customer_clears_the_offline_buyer_of_their_after_sales_orders(db) -> None:
    with db.session() as s:
        kept = customer_book.add(s, {"first_name": "Noor", "phone": "+96550000000"})
        other = customer_book.add(s, {"first_name": "Sara"})
        codes = kept.customer_code, other.customer_code
    made = []
    with db.session() as s:
        for code, name in ((codes[0], "Noor Ali"), (codes[1], "Sara Saleh")):
            made.append(a.create(s, kind=rules.REFUND_ONLY, actor="user:ana", can_edit_prices=True, **ALLOWED,
                                 offline=a.OfflineSale(buyer_name=name, currency="EUR", buyer_phone="+96550000000",
                                                       buyer_email="n@example.com", customer=code),
                                 items=[a.ItemInput("SKU-1", 1, unit_price=Decimal("5.00"))]).id)
    with db.session() as s:
        customer_book.erase(s, codes[0])
    with db.session() as s:
        erased, untouched = (rules.get(s, i) for i in made)
        assert (erased.buyer_name, erased.buyer_phone, erased.buyer_email) == ("erased", "", "")
        assert (erased.number, erased.state, erased.return_amount) == ("AS-000001", "to_confirm", Decimal("5.00"))
        assert (untouched.buyer_name, untouched.buyer_phone) == ("Sara Saleh", "+96550000000")


def test_a_self_delivered_order_comes_back_to_its_warehouse_and_its_exchange_leaves_from_there(db) -> None:
    """Shipped by hand from one of two warehouses: the return's units go back where they were taken
    from (each movement once), and the exchange order is self-delivered from the same warehouse."""
    from sync import messenger_delivery as delivery
    from sync import stock
    from sync.messenger_models import MessengerOrder
    from sync.stock_models import StockMovement

    from support.messenger import BUYER, self_delivered, setup_store, setup_warehouse

    setup_store(db)
    setup_warehouse(db, "Main", {"SKU-2": 1})  # the first warehouse: where a return goes by default
    shop_floor = setup_warehouse(db)
    order_id = self_delivered(db, quantity=2)
    with db.session() as s:
        delivery.ship(s, order_id, carrier="SEUR", tracking="T-1", actor="user:seller")
        assert stock.level(s, shop_floor, "SKU-1") == 8
        created = a.create(s, kind=rules.EXCHANGE, order_id=order_id, actor="user:ana", **ALLOWED,
                           items=[a.ItemInput("SKU-1", 2), a.ItemInput("SKU-1", 1, kind=a.EXCHANGED,
                                                                          unit_price=Decimal("5.00"))],
                           can_edit_prices=True).id
        a.confirm(s, created, actor="user:ana", stock_in=True, **ALLOWED)
        assert stock.level(s, shop_floor, "SKU-1") == 10
        assert stock.level(s, stock.warehouse_named(s, "Main").id, "SKU-1") == 0
        keys = s.scalars(select(StockMovement.key).where(StockMovement.order_id == order_id)).all()
        assert len(keys) == len(set(keys)) == 2
        made = generate_exchange(s, created, actor="user:ana", **ALLOWED)
        mo = s.get(MessengerOrder, made)
        assert (mo.logistics, delivery.warehouse_name(s, mo)) == ("self_delivery", "Shop floor")
        assert s.get(Order, made).shipping_address["phone"] == BUYER["phone"]
