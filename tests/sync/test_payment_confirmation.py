"""Payment confirmation of shop orders: a bank transfer (WooCommerce BACS, ``on-hold``) and, when
the seller asks for it, cash on delivery wait until the seller confirms the payment; the
channel's own "paid" confirms it; nothing read later un-confirms it."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError
from sqlalchemy import func, select

from connectors.records import OrderPage
from connectors.shopify.parse import order_bodies
from connectors.shopify.parse import parse_order as shopify_order
from connectors.woocommerce.parse import parse_order as woo_order
from sync import messenger_payment
from sync import payment_confirmation as pc
from sync.fields import ChannelSettings
from sync.forward import forward
from sync.ingest import store_page
from sync.messenger import MessengerError
from sync.models import OrderEvent, SupplierOrderRow
from sync.payment_models import PaymentConfirmation
from sync.review import LostRace

from support import payload
from support.messenger import BUYER, new_order, setup_store
from support.orders import add_accounts, order
from support.payments import add_shop, ingest, order_id_of, shop_id, standing, woo_body
from support.supplier import FakeSupplier


def _held_bank_transfer(db, **settings) -> int:
    shop = add_shop(db, settings=settings or None)
    assert ingest(db, shop, woo_body()) == []
    order_id = order_id_of(db)
    assert standing(db, order_id) == ("awaiting_payment", "pending", None)
    return order_id


def test_a_bank_transfer_waits_until_confirmed_and_is_forwarded_once(db) -> None:
    order_id = _held_bank_transfer(db)
    supplier = FakeSupplier()
    assert forward(db, order_id, lambda row: supplier).result != "sent"  # nothing leaves before the confirmation
    with db.session() as s:
        assert pc.confirm(s, order_id, actor="user:seller", reference="TX-100") == pc.Confirmed(True, "ready")
    with db.session() as s:
        assert pc.confirm(s, order_id, actor="user:other") == pc.Confirmed(False, "ready")
        assert pc.confirm(s, order_id, actor="user:other", reference="TX-100") == pc.Confirmed(False, "ready")
    with db.session() as s, pytest.raises(LostRace, match=r"its payment was confirmed already by "
                                                          r"user:seller \(reference TX-100\)"):
        pc.confirm(s, order_id, actor="user:other", reference="TX-200")  # never dropped without a word
    assert forward(db, order_id, lambda row: supplier).result == "sent"
    assert forward(db, order_id, lambda row: supplier).result == "skipped"
    assert supplier.creates == 1
    assert standing(db, order_id) == ("sent", "confirmed", "user:seller")
    with db.session() as s:
        assert s.get(PaymentConfirmation, order_id).transaction_reference == "TX-100"
        assert s.scalar(select(func.count()).select_from(SupplierOrderRow)) == 1
        assert s.scalar(select(func.count()).select_from(OrderEvent).where(
            OrderEvent.order_id == order_id, OrderEvent.to_status == "ready")) == 1


def test_two_sellers_confirming_at_once_one_wins_and_the_other_is_told(db) -> None:
    order_id = _held_bank_transfer(db)
    with db.session() as late:
        seen = pc.confirmation(late, order_id)  # the late seller's page showed it pending
        with db.session() as first:
            pc.confirm(first, order_id, actor="user:first", reference="TX-A")
        with pytest.raises(LostRace):
            pc.confirm(late, order_id, actor="user:late", reference="TX-B")
        assert seen.state == "pending"
    assert standing(db, order_id) == ("ready", "confirmed", "user:first")
    with db.session() as s:
        assert s.get(PaymentConfirmation, order_id).transaction_reference == "TX-A"
        assert s.scalar(select(func.count()).select_from(OrderEvent).where(
            OrderEvent.order_id == order_id, OrderEvent.to_status == "new")) == 1


def test_a_rejection_needs_a_reason_and_the_order_keeps_waiting(db) -> None:
    order_id = _held_bank_transfer(db)
    with db.session() as s, pytest.raises(pc.PaymentError, match="reason"):
        pc.reject(s, order_id, "  ", actor="user:seller")
    assert standing(db, order_id) == ("awaiting_payment", "pending", None)
    with db.session() as s:
        pc.reject(s, order_id, "not on the bank statement", actor="user:seller")
    assert standing(db, order_id) == ("awaiting_payment", "rejected", "user:seller")
    with db.session() as s:
        assert s.get(PaymentConfirmation, order_id).reason == "not on the bank statement"
        assert pc.confirm(s, order_id, actor="user:seller").status == "ready"  # it arrived after all


def test_the_channel_reporting_it_paid_confirms_it_as_the_channel(db) -> None:
    order_id = _held_bank_transfer(db)
    ready = ingest(db, shop_id(db), woo_body(status="processing", minutes=5, paid=True))
    assert ready == [order_id]
    assert standing(db, order_id) == ("ready", "confirmed", "channel")


def test_no_later_read_of_the_order_undoes_a_confirmation(db) -> None:
    order_id = _held_bank_transfer(db)
    with db.session() as s:
        pc.confirm(s, order_id, actor="user:seller")
    ingest(db, shop_id(db), woo_body(status="on-hold", minutes=-5))  # an older version, read late
    assert standing(db, order_id) == ("ready", "confirmed", "user:seller")
    ingest(db, shop_id(db), woo_body(status="on-hold", minutes=5))  # the shop still shows it on-hold
    assert standing(db, order_id) == ("ready", "confirmed", "user:seller")


def test_a_rejected_payment_the_channel_then_reports_paid_is_confirmed(db) -> None:
    order_id = _held_bank_transfer(db)
    with db.session() as s:
        pc.reject(s, order_id, "not yet", actor="user:seller")
    ingest(db, shop_id(db), woo_body(status="processing", minutes=5, paid=True))
    assert standing(db, order_id) == ("ready", "confirmed", "channel")


def test_cash_on_delivery_waits_when_the_seller_asks_for_it(db) -> None:
    shop = add_shop(db, settings={"confirm_payment_methods": ["bacs", "COD"]})
    assert ingest(db, shop, woo_body(status="processing", method="cod")) == []
    order_id = order_id_of(db)
    assert standing(db, order_id) == ("awaiting_payment", "pending", None)
    # WooCommerce shows it processing from the start: that is no payment
    assert ingest(db, shop, woo_body(status="processing", method="cod", minutes=5)) == []
    assert standing(db, order_id) == ("awaiting_payment", "pending", None)
    with db.session() as s:
        assert pc.confirm(s, order_id, actor="user:seller").status == "ready"


def test_cash_on_delivery_without_the_setting_goes_on_as_before(db) -> None:
    shop = add_shop(db)
    order_id_ready = ingest(db, shop, woo_body(status="processing", method="cod"))
    order_id = order_id_of(db)
    assert order_id_ready == [order_id]
    assert standing(db, order_id) == ("ready", None, None)


def test_a_bank_transfer_marked_paid_before_its_first_read_needs_no_confirmation(db) -> None:
    shop = add_shop(db)
    assert ingest(db, shop, woo_body(status="processing", paid=True)) == [order_id_of(db)]
    assert standing(db, order_id_of(db)) == ("ready", None, None)


def test_an_empty_list_of_methods_confirms_nothing(db) -> None:
    shop = add_shop(db, settings={"confirm_payment_methods": []})
    ingest(db, shop, woo_body())
    assert standing(db, order_id_of(db)) == ("awaiting_payment", None, None)  # it waits for the shop, as before


def test_one_transaction_reference_confirms_one_order_across_messenger_and_shop_orders(db) -> None:
    shop_order = _held_bank_transfer(db)
    setup_store(db)
    chat_order = new_order(db, buyer=BUYER)
    with db.session() as s:
        messenger_payment.confirm(s, chat_order, actor="user:seller", reference="TX-9")
    with db.session() as s, pytest.raises(pc.PaymentError, match="another order"):
        pc.confirm(s, shop_order, actor="user:seller", reference=" TX-9 ")
    assert standing(db, shop_order) == ("awaiting_payment", "pending", None)
    other_chat_order = new_order(db, buyer=BUYER)
    with db.session() as s:
        pc.confirm(s, shop_order, actor="user:seller", reference="TX-10")
    with db.session() as s, pytest.raises(MessengerError, match="another order"):
        messenger_payment.confirm(s, other_chat_order, actor="user:seller", reference="TX-10")


def test_an_order_without_a_confirmation_says_so(db) -> None:
    shop = add_shop(db)
    ingest(db, shop, woo_body(status="processing", paid=True))
    with db.session() as s, pytest.raises(pc.PaymentError, match="needs no confirmation"):
        pc.confirm(s, order_id_of(db), actor="user:seller")
    with db.session() as s, pytest.raises(pc.PaymentError, match="does not exist"):
        pc.confirm(s, 999_999, actor="user:seller")


def test_an_operator_names_the_order_by_its_id_number_or_reference(db) -> None:
    order_id = _held_bank_transfer(db)
    with db.session() as s:
        reference = s.get(pc.Order, order_id).internal_reference
        assert {pc.find_order(s, ref) for ref in (str(order_id), "#727", "727", reference)} == {order_id}
        with pytest.raises(pc.PaymentError, match="no order"):
            pc.find_order(s, "#nope")


def test_the_setting_takes_payment_method_codes() -> None:
    assert ChannelSettings(confirm_payment_methods=[" bacs ", "cod"]).confirm_payment_methods == ["bacs", "cod"]
    for bad in ([""], ["x" * 101], "bacs", ["bacs\n"]):
        with pytest.raises(ValidationError):
            ChannelSettings(confirm_payment_methods=bad)


def test_the_connectors_read_the_payment_method_as_the_platform_names_it() -> None:
    assert woo_order(woo_body(method="cod")).payment_method == "cod"
    listed = json.loads(payload("shopify", "orders.json").read_text())
    assert shopify_order(order_bodies(listed)[0]).payment_method == "bogus"  # payment_gateway_names
    one = json.loads(payload("shopify", "order.json").read_text())
    assert shopify_order(order_bodies(one)[0]).payment_method == "authorize_net"  # the older gateway


def test_a_shopify_manual_payment_waits_and_its_payment_on_shopify_confirms_it(db) -> None:
    channel_id, _ = add_accounts(db, settings={"confirm_payment_methods": ["Cash on Delivery (COD)"]})
    cod = order("55", paid="pending").model_copy(update={"payment_method": "Cash on Delivery (COD)"})
    with db.session() as s:
        store_page(s, channel_id, OrderPage(orders=[cod]))
    order_id = order_id_of(db, "55")
    assert standing(db, order_id) == ("awaiting_payment", "pending", None)
    paid = order("55", paid="paid", updated=5).model_copy(update={"payment_method": "Cash on Delivery (COD)"})
    with db.session() as s:
        assert store_page(s, channel_id, OrderPage(orders=[paid])).ready == [order_id]
    assert standing(db, order_id) == ("ready", "confirmed", "channel")
