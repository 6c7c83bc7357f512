"""Refunds the channels report, shown on the order and starting after-sales orders; customer
statistics with refunds."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from sync import after_sales as a
from sync import after_sales_refunds as refunds
from sync import after_sales_rules as rules
from sync import customer_book
from sync.channel_refunds import channel_refunds, start_after_sales
from sync.customers import stats_of
from sync.models import Order

from support import payload
from support.after_sales import ALLOWED, REFUNDER, stored_order


def _shopify_body() -> dict:
    refund = json.loads(payload("shopify", "refund.json").read_text())["refund"]
    refund["refund_line_items"][0]["line_item_id"] = "L0"  # the order's first line, as stored
    refund["refund_line_items"][0]["line_item"]["sku"] = "SKU-1"
    del refund["refund_line_items"][1]
    refund["transactions"][0]["amount"] = "10.00"
    return {"id": 1, "refunds": [refund, {"id": "broken", "transactions": "nope"}]}


def test_a_shopify_refund_is_shown_on_the_order_and_starts_an_after_sales_order(db) -> None:
    order_id = stored_order(db, raw=_shopify_body())
    with db.session() as s:
        shown = channel_refunds(s, s.get(Order, order_id))
        assert [(f.external_id, f.amount, f.reason) for f in shown] == [
            ("509562969", Decimal("10.00"), "it broke during shipping")]
        assert [(ln.sku, ln.quantity, ln.line_external_id) for ln in shown[0].lines] == [("SKU-1", 1, "L0")]
        started = start_after_sales(s, order_id, "509562969", kind=rules.RETURN_REFUND, actor="user:ana", **ALLOWED)
        assert [(i.sku, i.quantity, i.unit_price) for i in started.items] == [("SKU-1", 1, Decimal("10.00"))]
        assert (started.return_amount, started.channel_refund_id) == (Decimal("10.00"), "509562969")
        assert "it broke during shipping" in started.note
        with pytest.raises(rules.AfterSalesError, match="started AS-000001 already"):
            start_after_sales(s, order_id, "509562969", kind=rules.RETURN_REFUND, actor="user:ana", **ALLOWED)
        with pytest.raises(rules.AfterSalesError, match="no channel refund"):
            start_after_sales(s, order_id, "1", kind=rules.RETURN_REFUND, actor="user:ana", **ALLOWED)
        with pytest.raises(rules.AfterSalesError, match="manual after-sales"):
            start_after_sales(s, order_id, "509562969", kind=rules.RETURN_REFUND, actor="user:x",
                              can_after_sales=False)


def _node_refund(number: int, amount: str, lines: list[tuple[str, int]], more: bool = False) -> dict:
    return {"id": f"gid://shopify/Refund/{number}", "createdAt": "2026-03-02T10:00:00Z", "note": "late",
            "totalRefundedSet": {"shopMoney": {"amount": amount, "currencyCode": "EUR"}},
            "refundLineItems": {"pageInfo": {"hasNextPage": more}, "nodes": [
                {"quantity": q, "lineItem": {"id": f"gid://shopify/LineItem/{70 + n}", "sku": sku, "name": sku}}
                for n, (sku, q) in enumerate(lines)]}}


def test_a_shopify_graphql_order_node_shows_its_refunds_like_a_rest_body(db) -> None:
    node = {"id": "gid://shopify/Order/1", "refunds": [
        _node_refund(801, "10.00", [("SKU-1", 1)]), _node_refund(802, "5.00", [("SKU-2", 1)], more=True),
        {"id": "gid://shopify/Refund/803", "totalRefundedSet": None}, {"id": 804}]}
    order_id = stored_order(db, raw=node)
    with db.session() as s:
        shown = channel_refunds(s, s.get(Order, order_id))
        assert [(f.external_id, f.amount, f.reason) for f in shown] == [
            ("801", Decimal("10.00"), "late"), ("802", Decimal("5.00"), "late")]
        assert [(ln.sku, ln.quantity, ln.line_external_id) for ln in shown[0].lines] == [("SKU-1", 1, "70")]
        assert shown[1].lines == ()  # part of its units would pass for all of them
        started = start_after_sales(s, order_id, "801", kind=rules.RETURN_REFUND, actor="user:ana", **ALLOWED)
        assert [(i.sku, i.quantity, i.unit_price) for i in started.items] == [("SKU-1", 1, Decimal("10.00"))]


def test_a_channel_refund_not_taken_up_lowers_what_can_still_be_refunded(db) -> None:
    order_id = stored_order(db, raw=_shopify_body())  # 25.00 paid, 10.00 refunded on the channel
    with db.session() as s:
        found = a.create(s, kind=rules.REFUND_ONLY, order_id=order_id, actor="user:ana", **ALLOWED)
        a.confirm(s, found.id, actor="user:ana", **ALLOWED)
        assert refunds.refundable(s, found) == Decimal("15.00")
        with pytest.raises(rules.AfterSalesError, match="up to 15.00 EUR"):
            refunds.create_refund(s, found.id, amount="15.01", actor="user:ana", **REFUNDER)


def test_woocommerce_refunds_in_the_order_body_start_an_after_sales_order_of_the_whole_order(db) -> None:
    body = {"id": 7, "refunds": [{"id": 726, "reason": "damaged", "total": "-5.00"}, {"id": True, "total": "x"}]}
    order_id = stored_order(db, kind="woocommerce", raw=body)
    with db.session() as s:
        shown = channel_refunds(s, s.get(Order, order_id))
        assert [(f.external_id, f.amount, f.reason, f.lines) for f in shown] == [
            ("726", Decimal("5.00"), "damaged", ())]
        started = start_after_sales(s, order_id, "726", kind=rules.REFUND_ONLY, actor="user:ana", **ALLOWED)
        assert [i.sku for i in started.items] == ["SKU-1", "SKU-2"]
        assert started.return_amount == Decimal("5.00")


def test_a_woocommerce_refund_whose_units_the_connector_kept_starts_with_those_units(db) -> None:
    units = [{"id": 900, "sku": "SKU-2", "name": "Item SKU-2", "quantity": -1,
              "meta_data": [{"key": "_refunded_item_id", "value": "L1"}]}]
    body = {"id": 7, "refunds": [{"id": 726, "reason": "damaged", "total": "-5.00", "line_items": units},
                                 {"id": 727, "reason": "", "total": "-1.00", "line_items": [{"quantity": "x"}]}]}
    order_id = stored_order(db, kind="woocommerce", raw=body)
    with db.session() as s:
        shown = channel_refunds(s, s.get(Order, order_id))
        assert [(ln.sku, ln.quantity, ln.line_external_id) for ln in shown[0].lines] == [("SKU-2", 1, "L1")]
        assert shown[1].lines == ()  # units that cannot be read: the whole order, for the operator to narrow
        started = start_after_sales(s, order_id, "726", kind=rules.RETURN_REFUND, actor="user:ana", **ALLOWED)
        assert [(i.sku, i.quantity, i.unit_price) for i in started.items] == [("SKU-2", 1, Decimal("5.00"))]
        assert started.return_amount == Decimal("5.00")


def test_other_channels_report_no_refunds(db) -> None:
    order_id = stored_order(db, kind="amazon", raw={"refunds": [{"id": 1, "total": "-1"}]})
    with db.session() as s:
        assert channel_refunds(s, s.get(Order, order_id)) == []


def test_customer_statistics_keep_refunded_orders_in_spend_and_show_the_refunds_apart(db) -> None:
    order_id = stored_order(db)
    with db.session() as s:
        customer_id = s.get(Order, order_id).customer_id
        found = a.create(s, kind=rules.REFUND_ONLY, order_id=order_id, actor="user:ana", **ALLOWED,
                         items=[a.ItemInput("SKU-2", 1)])
        a.confirm(s, found.id, actor="user:ana", **ALLOWED)
        refund = refunds.create_refund(s, found.id, amount="5.00", actor="user:ana", **REFUNDER)
        assert refunds.customer_refunds(s, [customer_id]) == {customer_id: {}}  # requested is not refunded yet
        refunds.confirm_refund(s, refund.id, actor="user:bo", **REFUNDER)
    with db.session() as s:
        [stat] = stats_of(s, [customer_id])[customer_id]
        assert (stat.orders, stat.spend) == (1, Decimal("25.00"))
        assert refunds.customer_refunds(s, [customer_id]) == {customer_id: {"EUR": Decimal("5.00")}}
    stored_order(db, status=None, cancelled=True, updated=5)  # the channel cancels the order
    with db.session() as s:
        assert [(x.orders, x.spend) for x in stats_of(s, [customer_id])[customer_id]] == [(0, Decimal("0.00"))]
        assert refunds.customer_refunds(s, [customer_id]) == {customer_id: {"EUR": Decimal("5.00")}}


def _refunded_for(db, order_id: int) -> int:
    with db.session() as s:
        found = a.create(s, kind=rules.REFUND_ONLY, order_id=order_id, actor="user:ana", **ALLOWED,
                         items=[a.ItemInput("SKU-2", 1)])
        a.confirm(s, found.id, actor="user:ana", **ALLOWED)
        refund = refunds.create_refund(s, found.id, amount="5.00", actor="user:ana", **REFUNDER)
        refunds.confirm_refund(s, refund.id, actor="user:bo", **REFUNDER)
        return found.id


def test_refunds_follow_a_merged_customer_and_a_deleted_customer_leaves_its_after_sales_orders(db) -> None:
    older = stored_order(db, external_id="1", buyer="B1")
    newer = stored_order(db, external_id="2", buyer="B2")
    _refunded_for(db, newer)
    with db.session() as s:
        kept, gone = (s.get(Order, older).customer_id, s.get(Order, newer).customer_id)
        customer_book.merge(s, kept, gone)
    with db.session() as s:
        assert refunds.customer_refunds(s, [kept]) == {kept: {"EUR": Decimal("5.00")}}
        customer_book.delete(s, kept)
    with db.session() as s:
        [found] = a.listing(s, order_id=newer)
        assert (found.customer_id, found.state) == (None, "completed")
