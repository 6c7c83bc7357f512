"""Reading Shopee get_order_detail bodies into canonical orders, and what the engine decides on them."""

from __future__ import annotations

import argparse
import copy
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from admin.commands import cmd_inspect
from connectors import codes
from connectors.base import ConnectorConfig
from connectors.registry import channel_class
from connectors.shopee import ShopeeConnector, ShopeeParseError
from connectors.shopee.parse import DERIVED_SURNAME, order_bodies, parse_order
from sync.evaluate import judge
from sync.states import Status
from validation import Context, validate


def detail(**changes: Any) -> dict[str, Any]:
    """One order as get_order_detail answers it with the optional fields a fulfilment asks for."""
    body: dict[str, Any] = {
        "order_sn": "261102JAJXU6G7", "region": "ES", "currency": "EUR", "cod": False,
        "order_status": "READY_TO_SHIP", "create_time": 1793610000, "update_time": 1793613600,
        "buyer_user_id": 88112233, "buyer_username": "lucia.g",
        "total_amount": 41.85, "pay_time": 1793610060,
        "recipient_address": {"name": "Lucia Maria Garcia", "phone": "+34 612345678", "town": "",
                              "district": "", "city": "Valencia", "state": "V", "region": "ES",
                              "zipcode": "46005", "full_address": "Calle Mayor 12, Piso 3"},
        "item_list": [
            {"item_id": 3001, "item_name": "Desk lamp", "item_sku": "LAMP", "model_id": 9001,
             "model_name": "Black", "model_sku": "LAMP-BLK", "model_quantity_purchased": 2,
             "model_original_price": 19.9, "model_discounted_price": 18.45, "order_item_id": 70001},
            {"item_id": 3002, "item_name": "Bulb", "item_sku": "BULB-E27", "model_id": 0,
             "model_name": "", "model_sku": "", "model_quantity_purchased": 1,
             "model_original_price": 4.95, "model_discounted_price": 4.95, "order_item_id": 70002},
        ],
    }
    body.update(changes)
    return body


def answer(*orders: dict[str, Any]) -> dict[str, Any]:
    return {"error": "", "message": "", "request_id": "a1b2", "warning": [],
            "response": {"order_list": list(orders)}}


def test_order_detail_reads_into_the_canonical_order() -> None:
    order = parse_order(detail())
    assert order.external_id == order.number == "261102JAJXU6G7"
    assert order.currency == "EUR" and order.total == Decimal("41.85")
    assert order.payment_status == "paid" and not order.cancelled and not order.fulfilled_on_channel
    ship = order.shipping_address
    assert ship is not None
    assert (ship.first_name, ship.last_name) == ("Lucia Maria", "Garcia")
    assert (ship.address1, ship.city, ship.postcode, ship.country_code, ship.phone) == \
        ("Calle Mayor 12, Piso 3", "Valencia", "46005", "ES", "+34 612345678")
    assert [(ln.sku, ln.quantity, ln.unit_price, ln.external_id) for ln in order.lines] == [
        ("LAMP-BLK", 2, Decimal("18.45"), "70001"), ("BULB-E27", 1, Decimal("4.95"), "70002")]
    assert order.lines[0].title == "Desk lamp (Black)"


def test_a_split_name_carries_a_note_that_the_surname_was_derived() -> None:
    assert [n.message for n in parse_order(detail()).notes] == [DERIVED_SURNAME]


def test_a_one_word_name_leaves_the_surname_empty_and_is_held_as_missing_surname() -> None:
    body = detail()
    body["recipient_address"]["name"] = "Lucia"
    order = parse_order(body)
    assert order.shipping_address is not None and order.shipping_address.last_name is None
    assert order.notes == []
    verdict = judge(order, Context(), {})
    assert verdict.status is Status.PENDING_REVIEW
    assert codes.MISSING_SURNAME in {i.code for i in verdict.issues}


@pytest.mark.parametrize(("status", "payment", "cancelled", "fulfilled", "state"), [
    ("UNPAID", "pending", False, False, Status.AWAITING_PAYMENT),
    ("READY_TO_SHIP", "paid", False, False, Status.READY),
    ("PROCESSED", "paid", False, False, Status.READY),
    ("SHIPPED", "paid", False, True, Status.FULFILLED_ON_CHANNEL),
    ("COMPLETED", "paid", False, True, Status.FULFILLED_ON_CHANNEL),
    ("IN_CANCEL", "paid", True, False, Status.CANCELLED),
    ("CANCELLED", "unknown", True, False, Status.CANCELLED),
])
def test_order_status_decides_payment_cancel_and_fulfilment(status: str, payment: str, cancelled: bool,
                                                            fulfilled: bool, state: Status) -> None:
    order = parse_order(detail(order_status=status))
    assert (order.payment_status, order.cancelled, order.fulfilled_on_channel) == (payment, cancelled, fulfilled)
    assert judge(order, Context(), {}).status is state


def masked_detail() -> dict[str, Any]:
    return detail(recipient_address={"name": "****", "phone": "******78", "town": "", "district": "",
                                     "city": "****", "state": "****", "region": "ES", "zipcode": "****",
                                     "full_address": "****"}, buyer_username="l****g")


def test_masked_buyers_are_flagged_masked_data_in_every_field_and_never_ready() -> None:
    order = parse_order(masked_detail())
    issues = validate(order, Context())
    masked = {i.field for i in issues if i.code == codes.MASKED_DATA}
    assert {"shipping_address.first_name", "shipping_address.last_name", "shipping_address.address1",
            "shipping_address.city", "shipping_address.region", "shipping_address.postcode",
            "shipping_address.phone"} <= masked
    assert codes.MISSING_SURNAME not in {i.code for i in issues}
    assert judge(order, Context(), {}).status is Status.PENDING_REVIEW


def test_no_customer_is_made_from_shopee_orders_unless_the_channel_asks() -> None:
    assert parse_order(detail()).customer is None
    made = parse_order(detail(), customers=True).customer
    assert made is not None and made.external_id == "shopee:88112233"


@pytest.mark.parametrize(("change", "field"), [
    ({"order_sn": None}, "order_sn"),
    ({"order_status": "TELEPORTED"}, "order_status"),
    ({"currency": "euro"}, "currency"),
    ({"total_amount": "NaN"}, "total_amount"),
    ({"total_amount": None}, "total_amount"),
    ({"update_time": "yesterday"}, "update_time"),
    ({"item_list": {"sku": "x"}}, "item_list"),
    ({"recipient_address": ["Lucia"]}, "recipient_address"),
])
def test_bad_bodies_raise_a_parse_error_naming_the_field(change: dict[str, Any], field: str) -> None:
    with pytest.raises(ShopeeParseError, match=field):
        parse_order(detail(**change))


def test_a_bad_quantity_names_its_line_and_never_its_value() -> None:
    body = detail()
    body["item_list"][1]["model_quantity_purchased"] = -3
    with pytest.raises(ShopeeParseError) as raised:
        parse_order(body)
    assert "item_list[1].model_quantity_purchased" in str(raised.value) and "-3" not in str(raised.value)


def test_a_page_quarantines_one_bad_order_and_keeps_the_rest() -> None:
    bad = copy.deepcopy(detail(order_sn="261102BAD", currency=None))
    config = ConnectorConfig(name="s", kind="shopee", url="https://partner.shopeemobile.com",
                             settings={"create_customers": True},
                             credentials={k: SecretStr(v) for k, v in (("partner_id", "1"), ("partner_key", "k"),
                                          ("shop_id", "2"), ("access_token", "a"), ("refresh_token", "r"))})
    with ShopeeConnector(config) as connector:
        page = connector.parse_page(answer(detail(), bad))
    assert [o.external_id for o in page.orders] == ["261102JAJXU6G7"]
    assert page.orders[0].customer is not None  # the channel asked for customers
    assert [r.external_id for r in page.rejected] == ["261102BAD"]


def test_order_bodies_takes_the_answer_its_response_or_one_order() -> None:
    assert len(order_bodies(answer(detail(), detail(order_sn="X2")))) == 2
    assert len(order_bodies(answer(detail())["response"])) == 1
    assert len(order_bodies(detail())) == 1
    with pytest.raises(ShopeeParseError):
        order_bodies({"orders": []})


def test_shopee_is_a_registered_channel() -> None:
    assert channel_class("shopee") is ShopeeConnector


def test_inspect_reads_a_get_order_detail_answer(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "detail.json"
    path.write_text(json.dumps(answer(detail(), masked_detail() | {"order_sn": "261102MASKED"},
                                      detail(order_sn="261102UNPAID", order_status="UNPAID"))))
    # the command itself, not ``main``: main configures logging onto pytest's captured streams
    assert cmd_inspect(argparse.Namespace(command="inspect", channel="shopee", file=str(path))) == 0
    out = json.loads(capsys.readouterr().out)
    states = {o["order"]["external_id"]: (o["status"], o["reason"]) for o in out["orders"]}
    assert states["261102JAJXU6G7"][0] == "ready"
    assert states["261102MASKED"][0] == "pending_review" and "masked_data" in states["261102MASKED"][1]
    assert states["261102UNPAID"][0] == "awaiting_payment"
    assert [n["message"] for n in out["orders"][0]["order"]["notes"]] == [DERIVED_SURNAME]
