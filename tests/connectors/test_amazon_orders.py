"""Amazon order bodies (Orders API v2026-01-01 and v0 bundles) read into canonical orders, from
Amazon's own published examples, and the state each would enter."""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from connectors import codes
from connectors.amazon import AmazonConnector, AmazonParseError
from connectors.base import ConnectorConfig
from connectors.records import ChannelOrder
from sync.evaluate import judge
from sync.records import customer_key
from validation import Context

import support

PAYLOADS = support.PAYLOADS / "amazon"


def payload(name: str) -> Any:
    return json.loads((PAYLOADS / name).read_text())


def v2026_order(**changes: Any) -> dict[str, Any]:
    body = copy.deepcopy(payload("v2026.getOrder.200.example.json")["order"])
    body["fulfillment"]["fulfillmentStatus"] = "UNSHIPPED"
    for path, value in changes.items():
        *parents, last = path.split("__")
        target = body
        for key in parents:
            target = target[key]
        target[last] = value
    return body


def status_of(order: ChannelOrder) -> str:
    return judge(order, Context(), {}).status.value


def test_get_order_example_reads_unit_prices_address_company_and_buyer_email() -> None:
    order = AmazonConnector.parse_order(AmazonConnector.order_bodies(payload("v2026.getOrder.200.example.json"))[0])
    assert order.external_id == order.number == "202-1234567-8901234"
    assert order.currency == "GBP" and order.total == Decimal("103.97")
    [line] = order.lines
    assert (line.sku, line.quantity, line.unit_price, line.external_id) == (
        "ECHO-DOT-4-UK-CHARCOAL-3PACK", 3, Decimal("29.99"), "20212345678901")
    address = order.shipping_address
    assert address is not None
    assert (address.first_name, address.last_name, address.company) == ("James", "Wilson", "Wilson Electronics Ltd")
    assert (address.address1, address.address2, address.postcode, address.country_code) == (
        "123 High Street", "Unit 4B", "M1 2AB", "GB")
    # no buyer id at Amazon: the buyer e-mail keys the customer
    assert order.customer is not None and order.customer.external_id is None
    assert customer_key(order.customer, order) == "email:buyer-email@marketplace.amazon.co.uk"
    # the example was shipped by the seller already
    assert order.fulfilled_on_channel and status_of(order) == "fulfilled_on_channel"


def test_search_orders_example_gives_every_order_and_keeps_the_business_company() -> None:
    body = payload("v2026.searchOrders.200.example.json")
    bodies = AmazonConnector.order_bodies(body)
    assert len(bodies) == len(body["orders"])
    order = AmazonConnector.parse_order(bodies[0])
    assert order.shipping_address is not None and order.shipping_address.company == "Smith Industries LLC"
    assert [(ln.sku, ln.quantity, ln.unit_price) for ln in order.lines] == [
        ("ECHO-DOT-4-CHARCOAL", 2, Decimal("49.99")), ("FIRE-TV-4K-2021", 1, Decimal("49.99"))]


@pytest.mark.parametrize(("fulfillment_status", "expected"), [
    ("PENDING", "awaiting_payment"),
    ("PENDING_AVAILABILITY", "awaiting_payment"),
    ("UNSHIPPED", "ready"),
    ("CANCELLED", "cancelled"),
    ("SHIPPED", "fulfilled_on_channel"),
    ("PARTIALLY_SHIPPED", "fulfilled_on_channel"),
])
def test_fulfillment_status_decides_the_state(fulfillment_status: str, expected: str) -> None:
    order = AmazonConnector.parse_order(v2026_order(fulfillment__fulfillmentStatus=fulfillment_status))
    assert status_of(order) == expected


def test_orders_amazon_fulfils_are_ignored_and_never_sent() -> None:
    order = AmazonConnector.parse_order(v2026_order(fulfillment__fulfilledBy="AMAZON"))
    assert order.lines == [] and len(order.unshipped_lines) == 1
    assert status_of(order) == "ignored"


def test_an_order_without_fulfilled_by_is_refused_not_guessed() -> None:
    body = v2026_order()
    del body["fulfillment"]["fulfilledBy"]
    with pytest.raises(AmazonParseError, match="fulfilledBy"):
        AmazonConnector.parse_order(body)


def test_a_one_word_name_is_held_as_missing_surname() -> None:
    """The seed's own example: an Amazon order that reaches review without the buyer's surname."""
    order = AmazonConnector.parse_order(v2026_order(recipient__deliveryAddress__name="Madonna"))
    assert order.shipping_address is not None
    assert (order.shipping_address.first_name, order.shipping_address.last_name) == ("Madonna", None)
    verdict = judge(order, Context(), {})
    assert verdict.status.value == "pending_review"
    assert [i.code for i in verdict.issues] == [codes.MISSING_SURNAME]
    assert order.notes == []


def test_a_name_of_several_words_is_split_at_its_last_word_with_a_visible_note() -> None:
    order = AmazonConnector.parse_order(v2026_order(recipient__deliveryAddress__name="Mary Ann  Smith"))
    assert order.shipping_address is not None
    assert (order.shipping_address.first_name, order.shipping_address.last_name) == ("Mary Ann", "Smith")
    [note] = order.notes
    assert note.field == "shipping_address.last_name"
    assert "last word" in note.message and not note.review
    assert status_of(order) == "ready"


def test_the_channel_setting_sends_every_derived_split_to_review() -> None:
    connector = AmazonConnector(ConnectorConfig(
        name="amz", kind="amazon", url="https://sellingpartnerapi-eu.amazon.com",
        credentials={k: SecretStr("x") for k in ("refresh_token", "client_id", "client_secret")},
        settings={"review_derived_names": True}))
    try:
        marked = connector._mark_one(AmazonConnector.parse_order(v2026_order()))
    finally:
        connector.close()
    verdict = judge(marked, Context(), {})
    assert verdict.status.value == "pending_review"
    assert [(i.code, i.field) for i in verdict.issues] == [(codes.DERIVED_NAME, "shipping_address.last_name")]


def test_v0_bundle_takes_item_price_as_the_line_total() -> None:
    order_body = payload("getOrder.200.example.json")
    items = payload("getOrderItems.200.example.json")
    items["payload"]["AmazonOrderId"] = order_body["payload"]["AmazonOrderId"]
    order_body["payload"]["OrderStatus"] = "Unshipped"
    bundle = {"order": order_body, "items": items, "address": payload("getOrderAddress.200.example.json")}
    [body] = AmazonConnector.order_bodies(bundle)
    order = AmazonConnector.parse_order(body)
    # ItemPrice 25.99 for 1, 17.95 for 2: unit prices 25.99 and 8.98 (to the cent)
    assert [(ln.sku, ln.quantity, ln.unit_price) for ln in order.lines] == [
        ("CBA_OTF_1", 1, Decimal("25.99")), ("CBA_OTF_5", 2, Decimal("8.98"))]
    assert order.currency == "JPY" and order.payment_status == "paid"
    assert order.shipping_address is not None and order.shipping_address.address1 == "1 cross st"
    assert order.customer is not None and order.customer.email == "user@example.com"


def test_v0_bundle_of_amazons_sandbox_answers_reads_one_order() -> None:
    bundle = {"order": payload("getOrder.200.sandbox-static-0.json"),
              "items": payload("getOrderItems.200.sandbox-static-0.json"),
              "address": payload("getOrderAddress.200.sandbox-static-0.json")}
    order = AmazonConnector.parse_order(AmazonConnector.order_bodies(bundle)[0])
    assert order.external_id == "902-1845936-5435065" and order.total == Decimal("11.01")
    assert [(ln.sku, ln.quantity) for ln in order.lines] == [("NABetaASINB00551Q3CS", 1)]


def test_v0_bundle_with_another_orders_items_is_refused() -> None:
    bundle = {"order": payload("getOrder.200.example.json"), "items": payload("getOrderItems.200.example.json")}
    with pytest.raises(AmazonParseError, match="another order"):
        AmazonConnector.parse_order(AmazonConnector.order_bodies(bundle)[0])


def test_messages_name_the_field_never_the_value() -> None:
    with pytest.raises(AmazonParseError) as caught:
        AmazonConnector.parse_order(v2026_order(orderItems=[{"orderItemId": "1", "quantityOrdered": "lots@x.com",
                                                              "product": {"sellerSku": "A"}}]))
    assert "quantityOrdered" in str(caught.value) and "lots@x.com" not in str(caught.value)


def _order_files() -> list[Path]:
    return [p for p in sorted(PAYLOADS.glob("*.json"))
            if p.name.startswith(("v2026.", "getOrder.", "getOrders."))]


def _inspect(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "admin.cli", "inspect", "amazon", str(path)],
                          capture_output=True, text=True, cwd=support.REPO, env=dict(os.environ), timeout=60)


def test_inspect_reads_every_published_amazon_order_payload(tmp_path: Path) -> None:
    bundle = tmp_path / "bundle.json"
    bundle.write_text(json.dumps({"order": payload("getOrder.200.sandbox-static-0.json"),
                                  "items": payload("getOrderItems.200.sandbox-static-0.json"),
                                  "address": payload("getOrderAddress.200.sandbox-static-0.json")}))
    files = [*_order_files(), bundle]
    assert len(files) >= 10
    for path in files:
        done = _inspect(path)
        assert done.returncode == 0, f"{path.name}: {done.stderr or done.stdout}"
        out = json.loads(done.stdout)
        assert out["orders"] and "rejected" not in out, path.name
        for item in out["orders"]:
            assert item["status"] in {"ready", "pending_review", "awaiting_payment", "cancelled", "ignored",
                                      "fulfilled_on_channel"}


def test_inspect_shows_the_derived_name_note(tmp_path: Path) -> None:
    path = tmp_path / "order.json"
    path.write_text(json.dumps({"order": v2026_order()}))
    done = _inspect(path)
    assert done.returncode == 0, done.stderr
    [item] = json.loads(done.stdout)["orders"]
    assert item["status"] == "ready"
    assert [n["field"] for n in item["order"]["notes"]] == ["shipping_address.last_name"]


def test_inspect_refuses_an_amazon_body_that_holds_no_order_with_one_line() -> None:
    done = _inspect(PAYLOADS / "getOrderItems.200.example.json")
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize(("written", "read"), [("1.0397E+2", "103.97"), ("1e2", "100"), ("2.5E-1", "0.25"),
                                                ("10397e-2", "103.97")])
def test_an_amount_written_with_an_exponent_is_read(written: str, read: str) -> None:
    """Amazon's ``Decimal`` "follows RFC 7159 for number representation", exponents included."""
    order = AmazonConnector.parse_order(v2026_order(proceeds__grandTotal__amount=written))
    assert order.total == Decimal(read) and "E" not in str(order.total)


@pytest.mark.parametrize("written", ["1e20", "1e-11", "1e999", "0E-5000", "1e", "e2", "1.e2", "--1e2", "1e2.5"])
def test_an_amount_past_the_plain_form_is_refused_by_name(written: str) -> None:
    with pytest.raises(AmazonParseError, match=r"^proceeds\.grandTotal\.amount is not a decimal amount$"):
        AmazonConnector.parse_order(v2026_order(proceeds__grandTotal__amount=written))
