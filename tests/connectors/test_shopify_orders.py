"""What a Shopify order means for the supplier, read from Shopify's own sample bodies: orders the
shop fulfilled itself, removed and refunded units, lines that need no shipping, the checkout phone,
and the API's answers about versions and expired page tokens."""

from __future__ import annotations

import copy
import json
import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
import respx
from pydantic import SecretStr

from connectors.base import ConnectorConfig
from connectors.shopify import ShopifyConnector
from connectors.shopify.parse import parse_order
from sync.evaluate import judge
from sync.states import Status
from validation import Context
from validation.delivery import delivery_contact

import support

SHOP = "https://test-shop.myshopify.com"
SKUS = frozenset({"IPOD2008GREEN", "IPOD2008RED", "IPOD2008BLACK"})


def sample() -> dict[str, Any]:
    """Shopify's sample order, paid, with a postcode the checks accept."""
    body = json.loads(support.payload("shopify", "order.json").read_text())["order"]
    body["financial_status"] = "paid"
    return copy.deepcopy(body)


def verdict(body: dict[str, Any]) -> Any:
    return judge(parse_order(body), Context(known_skus=SKUS), {})


def test_sample_order_is_ready() -> None:
    assert verdict(sample()).status is Status.READY


@pytest.mark.parametrize("fulfillment", ["fulfilled", "partial"])
def test_an_order_the_shop_fulfilled_is_recorded_and_never_ready(fulfillment: str) -> None:
    body = sample() | {"fulfillment_status": fulfillment}
    order = parse_order(body)
    assert order.fulfilled_on_channel
    result = verdict(body)
    assert result.status is Status.FULFILLED_ON_CHANNEL and fulfillment in result.reason


def test_restocked_is_not_a_fulfilment() -> None:
    assert not parse_order(sample() | {"fulfillment_status": "restocked"}).fulfilled_on_channel


def test_current_quantity_counts_not_the_original_one() -> None:
    body = sample()
    body["line_items"][0]["quantity"] = 3
    body["line_items"][0]["current_quantity"] = 1  # two removed by an order edit
    body["line_items"][1]["current_quantity"] = 0  # removed whole
    order = parse_order(body)
    assert [ln.quantity for ln in order.lines] == [1, 0, 1]
    # a line that dropped to 0 is not a flaw: the order goes on with the rest
    assert verdict(body).status is Status.READY


def test_refunds_are_taken_off_when_current_quantity_is_missing() -> None:
    """Older API versions have no current_quantity: the refund's line items (Shopify's sample
    refund, for the sample order) say what was given back."""
    body = sample()
    body["line_items"][0]["quantity"] = 2
    refund = json.loads(support.payload("shopify", "refund.json").read_text())["refund"]
    body["refunds"] = [refund]  # refunds one GREEN (466157049) and one BLACK (703073504)
    order = parse_order(body)
    assert {ln.sku: ln.quantity for ln in order.lines} == {"IPOD2008GREEN": 1, "IPOD2008RED": 1, "IPOD2008BLACK": 0}


def test_fulfillable_quantity_caps_an_open_order_only() -> None:
    body = sample()
    body["line_items"][0]["quantity"] = 2
    body["line_items"][0]["fulfillable_quantity"] = 1
    assert parse_order(body).lines[0].quantity == 1
    # once fulfilled (by our own tracking too) the open count is 0: the line is still what was sent
    done = sample() | {"fulfillment_status": "partial"}
    done["line_items"][0]["fulfillable_quantity"] = 0
    assert parse_order(done).lines[0].quantity == 1


def test_lines_that_need_no_shipping_never_reach_the_supplier() -> None:
    body = sample()
    body["line_items"][1] |= {"requires_shipping": False, "sku": "EBOOK-1"}
    body["line_items"][2] |= {"gift_card": True, "requires_shipping": True, "sku": "GIFT-50"}
    order = parse_order(body)
    assert [ln.sku for ln in order.lines] == ["IPOD2008GREEN"]
    assert [ln.sku for ln in order.unshipped_lines] == ["EBOOK-1", "GIFT-50"]
    # neither SKU is in the catalogue, and neither is flagged
    assert verdict(body).status is Status.READY


def test_an_order_of_gift_cards_only_is_ignored() -> None:
    body = sample()
    for item in body["line_items"]:
        item["gift_card"] = True
    result = verdict(body)
    assert result.status is Status.IGNORED and "shipping" in result.reason


def test_the_checkout_phone_comes_after_the_shipping_phone_and_before_billing() -> None:
    body = sample() | {"phone": "+15555550123"}
    body["shipping_address"]["phone"] = None
    contact = delivery_contact(parse_order(body), "phone")
    assert contact is not None and contact.value == "+15555550123" and contact.field == "shipping_address.phone"
    body["shipping_address"]["phone"] = "555-625-1199"
    contact = delivery_contact(parse_order(body), "phone")
    assert contact is not None and contact.value == "555-625-1199"


# the API -------------------------------------------------------------------------------------


def connector(**settings: Any) -> ShopifyConnector:
    config = ConnectorConfig(name="shop", kind="shopify", url=SHOP,
                             credentials={"access_token": SecretStr("shpat_x")}, settings=settings)
    shop = ShopifyConnector(config)
    shop.sleep = lambda seconds: None
    return shop


@pytest.fixture
def api() -> Iterator[respx.MockRouter]:
    with respx.mock(assert_all_called=False) as router:
        yield router


def test_the_api_version_is_a_setting_and_the_served_one_is_logged(
        api: respx.MockRouter, caplog: pytest.LogCaptureFixture) -> None:
    route = api.get(f"{SHOP}/admin/api/2025-01/orders.json").mock(return_value=httpx.Response(
        200, json={"orders": []}, headers={"X-Shopify-API-Version": "2025-04"}))
    shop = connector(api_version="2025-01")
    with caplog.at_level(logging.INFO, logger="connectors.shopify.connector"):
        shop.fetch_orders(None)
    assert route.called and shop.served_api_version == "2025-04"
    assert any("2025-04" in r.getMessage() and "2025-01" in r.getMessage() for r in caplog.records)


def test_a_refused_page_info_reads_again_from_the_cursor(api: respx.MockRouter) -> None:
    orders = json.loads(support.payload("shopify", "orders.json").read_text())["orders"]

    def answer(request: httpx.Request) -> httpx.Response:
        if "page_info" in request.url.params:
            return httpx.Response(400, json={"errors": {"page_info": "Invalid value."}})
        assert request.url.params["updated_at_min"] == "2026-11-02T09:00:00+00:00"
        return httpx.Response(200, json={"orders": orders})

    route = api.get(f"{SHOP}/admin/api/2024-10/orders.json").mock(side_effect=answer)
    page = connector().fetch_orders(datetime(2026, 11, 2, 9, 0, tzinfo=UTC), "expired-token")
    assert route.call_count == 2 and [o.external_id for o in page.orders] == [str(orders[0]["id"])]
