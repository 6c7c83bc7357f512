from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from sync import after_sales as a
from sync import after_sales_refunds as refunds
from sync import after_sales_rules as rules
from sync import money, prices, stock
from sync.after_sales_exchange import generate_exchange
from sync.messenger import add_store
from sync.messenger_models import MessengerOrder
from sync.models import CatalogueItem, Customer, Order, OrderEvent, Shipment, SupplierOrderRow

from support.after_sales import ALLOWED, REFUNDER, stored_order
from support.messenger import PNG


def _create(db, order_id: int, kind: str = rules.RETURN_REFUND, **kwargs) -> int:
    with db.session() as s:
        return a.create(s, kind=kind, order_id=order_id, actor="user:ana", **ALLOWED, **kwargs).id


def _state(db, ref: int) -> str:
    with db.session() as s:
        return rules.get(s, ref).state


def test_return_and_refund_goes_through_its_lists_and_the_order_history_says_who(db) -> None:
    order_id = stored_order(db)
    created = _create(db, order_id)
    with db.session() as s:
        found = rules.get(s, created)
        assert (found.number, found.state) == ("AS-000001", "to_confirm")
        assert [(i.sku, i.quantity, i.unit_price) for i in found.items] == [
            ("SKU-1", 2, Decimal("10.00")), ("SKU-2", 1, Decimal("5.00"))]
        assert found.return_amount == Decimal("25.00")
        a.confirm(s, created, actor="user:ana", **ALLOWED)
    assert _state(db, created) == "confirm_return"
    with db.session() as s:
        a.set_return_tracking(s, created, "RT-1", actor="user:ana", **ALLOWED)
    with db.session() as s:
        a.stock_in_by_tracking(s, "RT-1", actor="user:bo", **ALLOWED)
    assert _state(db, created) == "received_return"
    with db.session() as s:
        main = stock.default_warehouse(s).id
        assert (stock.level(s, main, "SKU-1"), stock.level(s, main, "SKU-2")) == (2, 1)
        refund = refunds.create_refund(s, created, amount="25.00", payment_info="IBAN ES00", proof=PNG,
                                       actor="user:ana", **REFUNDER)
        assert refunds.proof(s, refund.proof_key).content_type == "image/png"
    assert _state(db, created) == "refund_processing"
    with db.session() as s:
        refunds.confirm_refund(s, refund.id, actor="user:cy", **REFUNDER)
    assert _state(db, created) == "completed"
    with db.session() as s:
        history = [(e.actor, e.from_state, e.to_state) for e in rules.events(s, created)]
        assert history == [("user:ana", None, "to_confirm"), ("user:ana", "to_confirm", "confirm_return"),
                           ("user:ana", "confirm_return", "confirm_return"),
                           ("user:bo", "confirm_return", "received_return"),
                           ("user:ana", "received_return", "refund_processing"),
                           ("user:cy", "refund_processing", "completed")]
        lines = s.scalars(select(OrderEvent.reason).where(OrderEvent.order_id == order_id,
                                                          OrderEvent.reason.like("after-sales%"))).all()
        assert len(lines) == 6 and "RT-1" in lines[2] and "confirmed" in lines[-1]


def test_confirm_with_stock_in_receives_at_once_and_a_second_stock_in_is_refused(db) -> None:
    order_id = stored_order(db)
    created = _create(db, order_id, items=[a.ItemInput("SKU-1", 1)])
    with db.session() as s:
        a.confirm(s, created, actor="user:ana", stock_in=True, **ALLOWED)
    assert _state(db, created) == "received_return"
    with db.session() as s, pytest.raises(rules.AfterSalesError, match="stocked in already"):
        a.stock_in(s, created, actor="user:bo", **ALLOWED)
    with db.session() as s:
        assert stock.level(s, stock.default_warehouse(s).id, "SKU-1") == 1
        assert len(stock.movements(s, order_id=order_id)) == 1


def test_a_partial_receipt_caps_the_refund_at_what_came_back(db) -> None:
    created = _create(db, stored_order(db), items=[a.ItemInput("SKU-1", 2)])
    with db.session() as s:
        a.confirm(s, created, actor="user:ana", **ALLOWED)
    for wrong in ({"SKU-1": 3}, {"SKU-2": 1}, {"SKU-1": 0}):
        with db.session() as s, pytest.raises(rules.AfterSalesError, match="received"):
            a.stock_in(s, created, actor="user:ana", received=wrong, **ALLOWED)
    with db.session() as s:
        a.stock_in(s, created, actor="user:ana", received={"SKU-1": 1}, **ALLOWED)
    with db.session() as s:
        found = rules.get(s, created)
        assert refunds.refundable(s, found) == Decimal("10.00")
        with pytest.raises(rules.AfterSalesError, match="up to 10.00 EUR"):
            refunds.create_refund(s, created, amount="20.00", actor="user:ana", **REFUNDER)


def test_refund_only_is_rejected_with_a_reason_and_a_new_refund_order_follows(db) -> None:
    created = _create(db, stored_order(db), kind=rules.REFUND_ONLY, items=[a.ItemInput("SKU-2", 1)])
    with db.session() as s:
        with pytest.raises(rules.AfterSalesError, match="refund-only"):
            a.confirm(s, created, actor="user:ana", stock_in=True, **ALLOWED)
        a.confirm(s, created, actor="user:ana", **ALLOWED)
    assert _state(db, created) == "confirm_refund"
    with db.session() as s:
        first = refunds.create_refund(s, created, amount="5.00", actor="user:ana", **REFUNDER)
    with db.session() as s, pytest.raises(rules.AfterSalesError, match="reason"):
        refunds.reject_refund(s, first.id, "  ", actor="user:bo", **REFUNDER)
    assert _state(db, created) == "refund_processing"
    with db.session() as s:
        refunds.reject_refund(s, first.id, "wrong account", actor="user:bo", **REFUNDER)
    assert _state(db, created) == "confirm_refund"
    with db.session() as s:
        second = refunds.create_refund(s, created, amount="5.00", actor="user:ana", **REFUNDER)
        refunds.confirm_refund(s, second.id, actor="user:bo", **REFUNDER)
    with db.session() as s:
        assert [(x.state, x.reason) for x in refunds.refund_orders(s, after_sales_id=created)] == [
            ("rejected", "wrong account"), ("confirmed", "")]
        with pytest.raises(rules.AfterSalesError, match="confirmed already"):
            refunds.confirm_refund(s, second.id, actor="user:bo", **REFUNDER)
    assert _state(db, created) == "completed"


def test_an_exchange_makes_a_messenger_order_to_approve_and_refunds_the_difference(db) -> None:
    order_id = stored_order(db)
    with db.session() as s:
        add_store(s, "Chat shop")
        prices.set_wholesale(s, "SKU-9", 1, None, Decimal("4.00"))
    created = _create(db, order_id, kind=rules.EXCHANGE,
                      items=[a.ItemInput("SKU-1", 2), a.ItemInput("SKU-9", 3, kind=a.EXCHANGED)])
    with db.session() as s:
        found = rules.get(s, created)
        assert (found.returned_amount, found.exchange_amount) == (Decimal("20.00"), Decimal("12.00"))
        a.confirm(s, created, actor="user:ana", **ALLOWED)
        assert found.state == "confirm_exchange"
        new_id = generate_exchange(s, created, actor="user:ana", store="Chat shop", **ALLOWED)
        with pytest.raises(rules.AfterSalesError, match="already"):
            generate_exchange(s, created, actor="user:ana", store="Chat shop", **ALLOWED)
    with db.session() as s:
        made = s.get(Order, new_id)
        assert s.get(MessengerOrder, new_id).state == "waiting_to_approve"
        assert [(ln.sku, ln.quantity, ln.unit_price) for ln in made.lines] == [("SKU-9", 3, Decimal("4.00"))]
        assert rules.get(s, created).exchange_order_id == new_id
        assert "exchange order for AS-000001 of order #1" in s.scalars(
            select(OrderEvent.reason).where(OrderEvent.order_id == new_id)).all()
        a.stock_in(s, created, actor="user:ana", **ALLOWED)
        assert refunds.refundable(s, rules.get(s, created)) == Decimal("8.00")
        refunds.create_refund(s, created, amount="8.00", actor="user:ana", **REFUNDER)


def test_exchanged_items_are_named_like_the_order_line_or_the_catalogue_and_the_history_says_the_type(
        db) -> None:
    order_id = stored_order(db)
    with db.session() as s:
        s.add(CatalogueItem(sku="SKU-9", supplier_sku="B-9", title="Blue mug"))
    created = _create(db, order_id, kind=rules.EXCHANGE,
                      items=[a.ItemInput("SKU-1", 1), a.ItemInput("SKU-1", 1, kind=a.EXCHANGED),
                             a.ItemInput("SKU-9", 1, kind=a.EXCHANGED), a.ItemInput("SKU-0", 1, kind=a.EXCHANGED)])
    with db.session() as s:
        found = rules.get(s, created)
        assert [(i.kind, i.sku, i.title) for i in found.items] == [
            ("returned", "SKU-1", "Item SKU-1"), ("exchange", "SKU-1", "Item SKU-1"),
            ("exchange", "SKU-9", "Blue mug"), ("exchange", "SKU-0", "")]
        assert [e.reason for e in rules.events(s, found.id)] == ["exchange created"]


def test_an_exchange_worth_more_than_the_return_refunds_nothing(db) -> None:
    order_id = stored_order(db)
    created = _create(db, order_id, kind=rules.EXCHANGE, can_edit_prices=True,
                      items=[a.ItemInput("SKU-2", 1), a.ItemInput("SKU-9", 1, kind=a.EXCHANGED,
                                                                    unit_price=Decimal("30.00"))])
    with db.session() as s:
        a.confirm(s, created, actor="user:ana", stock_in=True, **ALLOWED)
        assert refunds.refundable(s, rules.get(s, created)) == Decimal("0")
        with pytest.raises(rules.AfterSalesError, match="up to 0"):
            refunds.create_refund(s, created, amount="0.01", actor="user:ana", **REFUNDER)
        with pytest.raises(rules.AfterSalesError, match="reason"):
            a.complete_without_refund(s, created, "", actor="user:ana", **ALLOWED)
        a.complete_without_refund(s, created, "the buyer pays the difference", actor="user:ana", **ALLOWED)
    assert _state(db, created) == "completed"


@pytest.mark.parametrize("status", ["new", "ready", "pending_review", "awaiting_payment", "forwarding", "ignored"])
def test_only_orders_to_pickup_shipped_completed_or_cancelled_qualify(db, status) -> None:
    order_id = stored_order(db, status=status)
    with db.session() as s, pytest.raises(rules.AfterSalesError, match="to pickup, shipped, completed or cancelled"):
        a.create(s, kind=rules.RETURN_REFUND, order_id=order_id, actor="user:ana", **ALLOWED)


def test_the_order_states_map_to_the_manuals(db) -> None:
    wanted = {"sent": "to_pickup", "shipped": "shipped", "fulfilled_on_channel": "completed",
              "cancelled": "cancelled"}
    ids = {status: stored_order(db, status=status, external_id=status) for status in wanted}
    with db.session() as s:
        assert {st: rules.order_state(s, s.get(Order, i)) for st, i in ids.items()} == wanted
        row = SupplierOrderRow(order_id=ids["shipped"], supplier_id=s.get(Order, ids["shipped"]).channel_id,
                               internal_reference="R-1")
        s.add(row)
        s.flush()
        s.add(Shipment(supplier_order_row_id=row.id, order_id=ids["shipped"], tracking_number="T1",
                       status="Delivered"))
        s.flush()
        assert rules.order_state(s, s.get(Order, ids["shipped"])) == "completed"
    for status in wanted:
        assert _create(db, ids[status])


def test_permissions_are_checked_in_the_functions(db) -> None:
    order_id = stored_order(db)
    with db.session() as s:
        with pytest.raises(rules.AfterSalesError, match="manual after-sales"):
            a.create(s, kind=rules.RETURN_REFUND, order_id=order_id, actor="user:clerk", can_after_sales=False)
        with pytest.raises(rules.AfterSalesError, match="edit prices"):
            a.create(s, kind=rules.RETURN_REFUND, order_id=order_id, actor="user:clerk", return_amount="1.00",
                     **ALLOWED)
        with pytest.raises(rules.AfterSalesError, match="edit prices"):
            a.create(s, kind=rules.RETURN_REFUND, order_id=order_id, actor="user:clerk", **ALLOWED,
                     items=[a.ItemInput("SKU-1", 1, unit_price=Decimal("1.00"))])
    created = _create(db, order_id)
    with db.session() as s:
        with pytest.raises(rules.AfterSalesError, match="manual after-sales"):
            a.confirm(s, created, actor="user:clerk", stock_in=True, can_after_sales=False)
        a.confirm(s, created, actor="user:ana", stock_in=True, **ALLOWED)
    with db.session() as s:
        with pytest.raises(rules.AfterSalesError, match="after-sales refund"):
            refunds.create_refund(s, created, amount="1.00", actor="user:clerk", can_refund=False)
        refund = refunds.create_refund(s, created, amount="1.00", actor="user:ana", **REFUNDER)
    with db.session() as s:
        with pytest.raises(rules.AfterSalesError, match="after-sales refund"):
            refunds.confirm_refund(s, refund.id, actor="user:clerk", can_refund=False)
        with pytest.raises(rules.AfterSalesError, match="after-sales refund"):
            refunds.reject_refund(s, refund.id, "no", actor="user:clerk", can_refund=False)
    assert _state(db, created) == "refund_processing"


def test_added_items_are_priced_tiered_then_wholesale_then_zero(db) -> None:
    order_id = stored_order(db)
    with db.session() as s:
        customer_id = s.get(Order, order_id).customer_id
        prices.add_level(s, "Gold")
        prices.set_tiered(s, "SKU-7", "Gold", Decimal("3.00"))
        prices.set_wholesale(s, "SKU-7", 1, None, Decimal("6.00"))
        prices.set_wholesale(s, "SKU-8", 1, None, Decimal("2.50"))
        s.get(Customer, customer_id).level_id = prices.level_named(s, "Gold").id  # the buyer is a Gold customer
    created = _create(db, order_id, items=[a.ItemInput("SKU-1", 1), a.ItemInput("SKU-7", 1),
                                           a.ItemInput("SKU-8", 2), a.ItemInput("SKU-X", 1)])
    with db.session() as s:
        found = rules.get(s, created)
        assert [(i.sku, i.unit_price, i.order_line_id is not None) for i in found.items] == [
            ("SKU-1", Decimal("10.00"), True), ("SKU-7", Decimal("3.00"), False),
            ("SKU-8", Decimal("2.50"), False), ("SKU-X", Decimal("0.00"), False)]
        assert found.returned_amount == Decimal("18.00")


def test_returned_units_and_prices_are_capped_by_the_line_across_after_sales_orders(db) -> None:
    order_id = stored_order(db)
    _create(db, order_id, items=[a.ItemInput("SKU-1", 1)])
    with db.session() as s:
        with pytest.raises(rules.AfterSalesError, match="2 bought, 1 in other"):
            a.create(s, kind=rules.RETURN_REFUND, order_id=order_id, actor="user:ana", **ALLOWED,
                     items=[a.ItemInput("SKU-1", 2)])
        with pytest.raises(rules.AfterSalesError, match="at most 10.00 was paid"):
            a.create(s, kind=rules.RETURN_REFUND, order_id=order_id, actor="user:ana", **ALLOWED,
                     can_edit_prices=True, items=[a.ItemInput("SKU-1", 1, unit_price=Decimal("11.00"))])
        with pytest.raises(rules.AfterSalesError, match="at most 25.00 EUR was paid"):
            a.create(s, kind=rules.RETURN_REFUND, order_id=order_id, actor="user:ana", **ALLOWED,
                     can_edit_prices=True, return_amount="25.01", items=[a.ItemInput("SKU-2", 1)])


def test_refunds_across_refund_orders_of_one_order_never_pass_what_was_paid(db) -> None:
    order_id = stored_order(db)
    first = _create(db, order_id, kind=rules.REFUND_ONLY, can_edit_prices=True, return_amount="20.00",
                    items=[a.ItemInput("SKU-1", 1)])
    second = _create(db, order_id, kind=rules.REFUND_ONLY, can_edit_prices=True, return_amount="20.00",
                     items=[a.ItemInput("SKU-1", 1)])
    with db.session() as s:
        for ref in (first, second):
            a.confirm(s, ref, actor="user:ana", **ALLOWED)
        refunds.create_refund(s, first, amount="20.00", actor="user:ana", **REFUNDER)
        assert refunds.refundable(s, rules.get(s, second)) == Decimal("5.00")
        with pytest.raises(rules.AfterSalesError, match="up to 5.00 EUR"):
            refunds.create_refund(s, second, amount="5.01", actor="user:ana", **REFUNDER)
        refunds.create_refund(s, second, amount="5.00", actor="user:ana", **REFUNDER)


def test_an_unpaid_cancelled_order_has_nothing_to_refund(db) -> None:
    order_id = stored_order(db, status="cancelled", paid="pending")
    with db.session() as s, pytest.raises(rules.AfterSalesError, match="at most 0"):
        a.create(s, kind=rules.RETURN_REFUND, order_id=order_id, actor="user:ana", **ALLOWED)


def test_an_offline_sale_is_typed_in_and_rounded_in_its_currency(db) -> None:
    with db.session() as s:
        found = a.create(s, kind=rules.REFUND_ONLY, actor="user:ana", can_edit_prices=True, **ALLOWED,
                         offline=a.OfflineSale(buyer_name="Kenji Sato", currency="jpy", buyer_phone="+81300000000"),
                         items=[a.ItemInput("SKU-1", 3, unit_price=Decimal("1200"))])
        assert (found.order_id, found.currency, found.return_amount) == (None, "JPY", Decimal("3600"))
        with pytest.raises(rules.AfterSalesError, match="JPY amounts have 0 decimals"):
            a.create(s, kind=rules.REFUND_ONLY, actor="user:ana", can_edit_prices=True, **ALLOWED,
                     offline=a.OfflineSale(buyer_name="Kenji Sato", currency="JPY"),
                     items=[a.ItemInput("SKU-1", 1, unit_price=Decimal("10.5"))])
        with pytest.raises(rules.AfterSalesError, match="ISO 4217"):
            a.create(s, kind=rules.REFUND_ONLY, actor="user:ana", **ALLOWED,
                     offline=a.OfflineSale(buyer_name="Kenji Sato", currency="XYZ"), items=[a.ItemInput("S", 1)])
        a.confirm(s, found.id, actor="user:ana", **ALLOWED)
        with pytest.raises(rules.AfterSalesError, match="JPY amounts"):
            refunds.create_refund(s, found.id, amount="100.5", actor="user:ana", **REFUNDER)
        assert refunds.create_refund(s, found.id, amount="3600", actor="user:ana", **REFUNDER).amount == 3600


def test_three_decimal_currencies_keep_their_third_decimal(db) -> None:
    with db.session() as s:
        found = a.create(s, kind=rules.EXCHANGE, actor="user:ana", can_edit_prices=True, **ALLOWED,
                         offline=a.OfflineSale(buyer_name="Noor Ali", currency="KWD"),
                         items=[a.ItemInput("SKU-1", 3, unit_price=Decimal("1.235")),
                                a.ItemInput("SKU-2", 1, kind=a.EXCHANGED, unit_price=Decimal("0.500"))])
        assert (found.returned_amount, found.exchange_amount) == (Decimal("3.705"), Decimal("0.500"))
        a.confirm(s, found.id, actor="user:ana", stock_in=True, **ALLOWED)
    with db.session() as s:
        found = rules.get(s, found.id)
        assert refunds.refundable(s, found) == Decimal("3.205")
        with pytest.raises(rules.AfterSalesError, match="3 decimals"):
            refunds.create_refund(s, found.id, amount="3.2051", actor="user:ana", **REFUNDER)
        assert refunds.create_refund(s, found.id, amount="3.205", actor="user:ana", **REFUNDER).amount == \
            Decimal("3.205")


def test_a_cancelled_after_sales_order_frees_its_units_and_needs_a_reason(db) -> None:
    order_id = stored_order(db)
    created = _create(db, order_id, items=[a.ItemInput("SKU-1", 2)])
    with db.session() as s:
        with pytest.raises(rules.AfterSalesError, match="reason"):
            a.cancel(s, created, "", actor="user:ana", **ALLOWED)
        a.cancel(s, created, "the buyer kept it", actor="user:ana", **ALLOWED)
    assert _create(db, order_id, items=[a.ItemInput("SKU-1", 2)])
    with db.session() as s:
        assert [x.state for x in a.listing(s, order_id=order_id)] == ["cancelled", "to_confirm"]
        assert [x.number for x in a.listing(s, state="to_confirm")] == ["AS-000002"]
        assert a.counts(s) == {**dict.fromkeys(rules.STATES, 0), "cancelled": 1, "to_confirm": 1}
        assert set(a.counts(s, kind=rules.EXCHANGE).values()) == {0}


def test_an_exchange_order_needs_a_messenger_store_and_an_offline_buyer_adds_their_details(db) -> None:
    order_id = stored_order(db)
    with db.session() as s:
        add_store(s, "Chat shop")
    created = _create(db, order_id, kind=rules.EXCHANGE,
                      items=[a.ItemInput("SKU-1", 1), a.ItemInput("SKU-2", 1, kind=a.EXCHANGED)])
    with db.session() as s:
        a.confirm(s, created, actor="user:ana", **ALLOWED)
        with pytest.raises(rules.AfterSalesError, match="store: choose the messenger store"):
            generate_exchange(s, created, actor="user:ana", **ALLOWED)
        with pytest.raises(rules.AfterSalesError, match="manual after-sales"):
            generate_exchange(s, created, actor="user:ana", store="Chat shop", can_after_sales=False)
    with db.session() as s:
        offline = a.create(s, kind=rules.EXCHANGE, actor="user:ana", can_edit_prices=True, **ALLOWED,
                           offline=a.OfflineSale(buyer_name="Kenji Sato", currency="EUR"),
                           items=[a.ItemInput("SKU-1", 1, unit_price=Decimal("3.00")),
                                  a.ItemInput("SKU-2", 1, kind=a.EXCHANGED, unit_price=Decimal("3.00"))])
        a.confirm(s, offline.id, actor="user:ana", **ALLOWED)
        made = generate_exchange(s, offline.id, actor="user:ana", store="Chat shop", **ALLOWED)
        assert s.get(MessengerOrder, made).state == "waiting_to_add_info"
        address = s.get(Order, made).shipping_address
        assert (address["first_name"], address["last_name"]) == ("Kenji", "Sato")


def test_minor_units_follow_iso_4217() -> None:
    assert [money.minor_unit(c) for c in ("JPY", "EUR", "KWD", "BHD", "CLF", "usd")] == [0, 2, 3, 3, 4, 2]
    assert money.rounded(Decimal("1.2345"), "KWD") == Decimal("1.235")
    assert money.rounded(Decimal("99.5"), "JPY") == Decimal("100")


def test_a_refund_proof_must_be_a_photo_or_pdf_of_at_most_5_mb(db) -> None:
    created = _create(db, stored_order(db), kind=rules.REFUND_ONLY)
    with db.session() as s:
        a.confirm(s, created, actor="user:ana", **ALLOWED)
    for data, words in ((b"MZ\x90\x00 not a picture", "JPEG, PNG or PDF"), (PNG + b"\0" * (5 * 1024 * 1024), "5 MB")):
        with db.session() as s, pytest.raises(rules.AfterSalesError, match=words) as refused:
            refunds.create_refund(s, created, amount="1.00", proof=data, actor="user:ana", **REFUNDER)
        assert refused.value.field == "proof" and str(refused.value).startswith("payment proof:")
    assert _state(db, created) == "confirm_refund"
