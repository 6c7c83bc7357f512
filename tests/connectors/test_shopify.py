"""Shopify connector against respx-mocked HTTP, built from Shopify's own sample bodies."""

from __future__ import annotations

import contextlib
import copy
import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import httpx
import pytest
import respx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import SecretStr

from connectors import errors
from connectors.base import ConnectorConfig
from connectors.records import ChannelOrder, OrderLine, Shipment, Tracking
from connectors.shopify import (
    ShopifyAuthError,
    ShopifyConfigError,
    ShopifyConnector,
    ShopifyOutcomeUnknown,
    ShopifyParseError,
    ShopifyRateLimited,
    ShopifyUnavailable,
)

import support
from support.pacing import RecordingPacer

PAYLOADS = support.PAYLOADS / "shopify"

SHOP = "https://test-shop.myshopify.com"
TOKEN = "shpat_0123456789abcdef_secret"
ORDERS_URL = f"{SHOP}/admin/api/2024-10/orders.json"


def payload(name: str) -> Any:
    return json.loads((PAYLOADS / name).read_text())


def sample_order() -> dict[str, Any]:
    return dict(payload("order.json")["order"])


class Sleeps(list[float]):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def sleeps(connector: ShopifyConnector) -> Sleeps:
    assert isinstance(connector.sleep, Sleeps)
    return connector.sleep


def make(settings_: dict[str, Any] | None = None, pacer: RecordingPacer | None = None) -> ShopifyConnector:
    config = ConnectorConfig(name="shop", kind="shopify", url=SHOP, credentials={"access_token": SecretStr(TOKEN)},
                             settings=settings_ or {})
    connector = ShopifyConnector(config, pacer=pacer)
    connector.sleep = Sleeps()
    return connector


def orders_response(orders: list[Any], *, link: str | None = None, limit: str = "1/40") -> httpx.Response:
    headers = {"X-Shopify-Shop-Api-Call-Limit": limit}
    if link:
        headers["Link"] = link
    return httpx.Response(200, json={"orders": orders}, headers=headers)


# parsing --------------------------------------------------------------------------------------


def test_parse_order_json() -> None:
    order = ShopifyConnector.parse_order(payload("order.json")["order"])
    assert order.external_id == "450789469"
    assert order.number == "#1001"
    assert order.status == "open"
    assert order.payment_status == "authorized"
    assert order.currency == "USD"
    assert order.total == Decimal("409.94")
    assert order.updated_at == datetime(2008, 1, 10, 16, 0, tzinfo=UTC)
    assert order.placed_at == order.updated_at
    assert [(ln.sku, ln.quantity, ln.unit_price, ln.external_id) for ln in order.lines] == [
        ("IPOD2008GREEN", 1, Decimal("199.00"), "466157049"),
        ("IPOD2008RED", 1, Decimal("199.00"), "518995019"),
        ("IPOD2008BLACK", 1, Decimal("199.00"), "703073504"),
    ]
    assert order.lines[0].title == "IPod Nano - 8gb - green"
    ship = order.shipping_address
    assert ship is not None
    assert (ship.first_name, ship.last_name, ship.address2) == ("Bob", "Norman", None)
    assert ship.address1 == "Chestnut Street 92"
    assert (ship.city, ship.region, ship.postcode, ship.country_code) == ("Louisville", "KY", "40202", "US")
    assert ship.email == "bob.norman@hostmail.com"
    assert order.billing_address == ship
    assert order.customer is not None
    assert order.customer.external_id == "207119551"
    assert order.customer.addresses[0].postcode == "40202"
    assert not order.cancelled and not order.test
    assert order.raw["id"] == 450789469


def test_parse_orders_json_without_line_items() -> None:
    page = make().parse_page(payload("orders.json"))
    assert page.rejected == [] and len(page.orders) == 1
    order = page.orders[0]
    assert order.lines == []
    assert order.payment_status == "partially_refunded"
    assert order.total == Decimal("598.94")
    assert order.customer is not None and order.customer.phone == "+16136120707"


@pytest.mark.parametrize(
    ("financial", "expected"),
    [("pending", "pending"), ("authorized", "authorized"), ("partially_paid", "pending"), ("paid", "paid"),
     ("partially_refunded", "partially_refunded"), ("refunded", "refunded"), ("voided", "voided"),
     ("expired", "voided"), ("something_new", "unknown"), (None, "unknown")],
)
def test_financial_status_mapping(financial: str | None, expected: str) -> None:
    body = sample_order() | {"financial_status": financial}
    assert ShopifyConnector.parse_order(body).payment_status == expected


def test_guest_order_has_no_customer() -> None:
    body = sample_order() | {"customer": None}
    order = ShopifyConnector.parse_order(body)
    assert order.customer is None
    assert order.shipping_address is not None


def test_cancelled_and_fulfilled_status() -> None:
    cancelled = ShopifyConnector.parse_order(sample_order() | {"cancelled_at": "2008-01-11T10:00:00-05:00"})
    assert cancelled.cancelled and cancelled.status == "cancelled"
    fulfilled = ShopifyConnector.parse_order(sample_order() | {"fulfillment_status": "fulfilled", "test": True})
    assert fulfilled.status == "fulfilled" and fulfilled.test and not fulfilled.cancelled


def test_number_falls_back_to_order_number() -> None:
    body = sample_order() | {"name": None, "order_number": 1001}
    assert ShopifyConnector.parse_order(body).number == "1001"


def test_order_bodies() -> None:
    one = sample_order()
    assert ShopifyConnector.order_bodies({"order": one}) == [one]
    assert ShopifyConnector.order_bodies({"orders": [one, one]}) == [one, one]
    bad: Any
    for bad in ({}, [], {"orders": {}}, {"order": []}, "orders", None):
        with pytest.raises(ShopifyParseError):
            ShopifyConnector.order_bodies(bad)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"total_price": "abc"}, "total_price"),
        ({"total_price": None}, "total_price"),
        ({"total_price": "-1.00"}, "total_price"),
        ({"id": None}, "id"),
        ({"id": True}, "id"),
        ({"updated_at": "yesterday"}, "updated_at"),
        ({"updated_at": None}, "updated_at"),
        ({"currency": 12}, "currency"),
        ({"currency": "euro"}, "currency"),
        ({"line_items": {"sku": "x"}}, "line_items"),
        ({"line_items": [{"id": 1, "sku": "A", "quantity": -1, "price": "1.00"}]}, "line_items[0].quantity"),
        ({"line_items": [{"id": 1, "sku": "A", "quantity": 1, "price": "NaN"}]}, "line_items[0].price"),
        ({"line_items": [{"id": 1, "sku": 5, "quantity": 1, "price": "1.00"}]}, "line_items[0].sku"),
        ({"shipping_address": "Chestnut Street 92"}, "shipping_address"),
        ({"customer": {"id": 1, "email": ["bob.norman@hostmail.com"]}}, "customer.email"),
        ({"test": "false"}, "test"),
        ({"name": None, "order_number": None}, "name"),
    ],
)
def test_invalid_values_raise_parse_error_naming_the_field(change: dict[str, Any], field: str) -> None:
    body = sample_order() | change
    with pytest.raises(ShopifyParseError) as info:
        ShopifyConnector.parse_order(body)
    assert isinstance(info.value, errors.ParseError)
    assert field in str(info.value)
    for personal in ("bob", "Bob", "Norman", "Chestnut", "hostmail"):
        assert personal not in str(info.value)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(json_values)
def test_arbitrary_json_raises_only_parse_error(body: Any) -> None:
    with contextlib.suppress(ShopifyParseError):
        assert isinstance(ShopifyConnector.parse_order(body), ChannelOrder)


ORDER_KEYS = ["id", "name", "order_number", "email", "created_at", "updated_at", "cancelled_at", "currency",
              "financial_status", "fulfillment_status", "total_price", "test", "line_items", "shipping_address",
              "billing_address", "customer"]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(st.sampled_from(ORDER_KEYS), json_values, max_size=4),
       st.sampled_from(["quantity", "price", "sku", "id", "name"]), json_values)
def test_mutated_order_raises_only_parse_error(changes: dict[str, Any], line_key: str, line_value: Any) -> None:
    body = copy.deepcopy(sample_order()) | changes
    if isinstance(body.get("line_items"), list) and body["line_items"] and isinstance(body["line_items"][0], dict):
        body["line_items"][0][line_key] = line_value
    try:
        ShopifyConnector.parse_order(body)
    except ShopifyParseError as exc:
        assert "hostmail" not in str(exc)


# fetching -------------------------------------------------------------------------------------


@respx.mock
def test_first_page_filters_then_page_info_only() -> None:
    seen: list[dict[str, str]] = []
    second = sample_order() | {"id": 2, "name": "#1002"}

    def answer(request: httpx.Request) -> httpx.Response:
        params = dict(request.url.params)
        seen.append(params)
        assert request.headers["X-Shopify-Access-Token"] == TOKEN
        if "page_info" not in params:
            link = (f'<{ORDERS_URL}?limit=250&page_info=eyJsYXN0X2lkIjo0NTB9>; rel="next"')
            return orders_response([sample_order()], link=link)
        prev = f'<{ORDERS_URL}?limit=250&page_info=eyJwcmV2Ijp0cnVlfQ>; rel="previous"'
        return orders_response([second], link=prev)

    respx.get(ORDERS_URL).mock(side_effect=answer)
    connector = make()
    first = connector.fetch_orders(datetime(2026, 11, 2, 10, 0, 5, 123, tzinfo=UTC))
    assert [o.external_id for o in first.orders] == ["450789469"]
    assert first.next_page == "eyJsYXN0X2lkIjo0NTB9"
    last = connector.fetch_orders(None, first.next_page)
    assert [o.external_id for o in last.orders] == ["2"]
    assert last.next_page is None
    assert seen[0] == {"status": "any", "limit": "250", "order": "updated_at asc",
                       "updated_at_min": "2026-11-02T10:00:05+00:00"}
    assert seen[1] == {"limit": "250", "page_info": "eyJsYXN0X2lkIjo0NTB9"}


@respx.mock
def test_no_since_means_no_updated_at_min_and_page_size_setting() -> None:
    route = respx.get(ORDERS_URL).mock(return_value=orders_response([]))
    page = make({"page_size": 7}).fetch_orders(None)
    assert page.orders == [] and page.next_page is None
    assert dict(route.calls.last.request.url.params) == {"status": "any", "limit": "7", "order": "updated_at asc"}


@respx.mock
def test_api_version_setting() -> None:
    route = respx.get(f"{SHOP}/admin/api/2025-01/orders.json").mock(return_value=orders_response([]))
    make({"api_version": "2025-01"}).fetch_orders(None)
    assert route.called
    with pytest.raises(ShopifyConfigError):
        make({"api_version": "../../x"})


@respx.mock
def test_429_with_retry_after_is_retried_then_succeeds() -> None:
    respx.get(ORDERS_URL).mock(side_effect=[
        httpx.Response(429, json={"errors": "Exceeded 2 calls per second for api client."},
                       headers={"Retry-After": "2.0", "X-Shopify-Shop-Api-Call-Limit": "40/40"}),
        orders_response([sample_order()]),
    ])
    pacer = RecordingPacer()
    connector = make(pacer=pacer)
    page = connector.fetch_orders(None)
    assert len(page.orders) == 1
    assert 2.0 in sleeps(connector)
    assert len(pacer.holds) == 1 and pacer.waits == 2


@respx.mock
def test_429_keeps_failing_raises_rate_limited_after_bounded_attempts() -> None:
    route = respx.get(ORDERS_URL).mock(return_value=httpx.Response(429, headers={"Retry-After": "1.5"}))
    with pytest.raises(ShopifyRateLimited) as info:
        make().fetch_orders(None)
    assert isinstance(info.value, errors.RateLimited) and info.value.retry_after == 1.5
    assert route.call_count == ShopifyConnector.read_attempts


@respx.mock
def test_401_is_auth_error_without_the_token() -> None:
    respx.get(ORDERS_URL).mock(return_value=httpx.Response(
        401, json={"errors": f"[API] Invalid API key or access token (unrecognized login or wrong password) {TOKEN}"}))
    with pytest.raises(ShopifyAuthError) as info:
        make().fetch_orders(None)
    assert isinstance(info.value, errors.AuthenticationFailed)
    assert TOKEN not in str(info.value) and TOKEN not in repr(info.value.args)
    assert "401" in str(info.value)


@respx.mock
def test_5xx_and_connection_errors_are_retried_then_retry_later() -> None:
    route = respx.get(ORDERS_URL).mock(side_effect=[httpx.Response(503), httpx.ConnectError("refused"),
                                                    orders_response([sample_order()])])
    assert len(make().fetch_orders(None).orders) == 1
    assert route.call_count == 3
    respx.get(ORDERS_URL).mock(return_value=httpx.Response(502, text="<html>bad gateway</html>"))
    with pytest.raises(ShopifyUnavailable) as info:
        make().fetch_orders(None)
    assert isinstance(info.value, errors.RetryLater)


@respx.mock
def test_other_4xx_fails_loudly() -> None:
    respx.get(ORDERS_URL).mock(return_value=httpx.Response(400, json={"errors": {"limit": "too big"}}))
    with pytest.raises(errors.FailLoudly) as info:
        make().fetch_orders(None)
    assert "limit" in str(info.value)


@respx.mock
def test_one_malformed_order_is_rejected_and_the_rest_parsed() -> None:
    bad = sample_order() | {"id": 99, "total_price": "abc"}
    good = sample_order() | {"id": 100}
    respx.get(ORDERS_URL).mock(return_value=orders_response([sample_order(), bad, good]))
    page = make().fetch_orders(None)
    assert [o.external_id for o in page.orders] == ["450789469", "100"]
    assert len(page.rejected) == 1
    assert page.rejected[0].external_id == "99"
    assert "total_price" in page.rejected[0].error
    assert page.rejected[0].body == bad


@respx.mock
def test_whole_page_not_json_or_wrong_shape_raises_parse_error() -> None:
    respx.get(ORDERS_URL).mock(return_value=httpx.Response(200, text="<html>maintenance</html>"))
    with pytest.raises(ShopifyParseError):
        make().fetch_orders(None)
    respx.get(ORDERS_URL).mock(return_value=httpx.Response(200, json={"order": sample_order()}))
    with pytest.raises(ShopifyParseError):
        make().fetch_orders(None)


@respx.mock
def test_call_limit_is_read_and_near_full_slows_down() -> None:
    respx.get(ORDERS_URL).mock(side_effect=[orders_response([], limit="12/40"), orders_response([], limit="39/40")])
    connector = make()
    connector.fetch_orders(None)
    assert connector.last_call_limit == (12, 40) and sleeps(connector) == []
    connector.fetch_orders(None)
    assert connector.last_call_limit == (39, 40)
    assert sleeps(connector) == [ShopifyConnector.near_limit_pause]


def test_missing_token_is_a_config_error() -> None:
    config = ConnectorConfig(name="shop", kind="shopify", url=SHOP)
    with pytest.raises(ShopifyConfigError):
        ShopifyConnector(config)


# tracking -------------------------------------------------------------------------------------

FO_URL = f"{SHOP}/admin/api/2024-10/orders/450789469/fulfillment_orders.json"
FULFILL_URL = f"{SHOP}/admin/api/2024-10/fulfillments.json"


def fulfillment_orders() -> dict[str, Any]:
    def item(foli: int, line: int, qty: int, left: int) -> dict[str, Any]:
        return {"id": foli, "shop_id": 1, "fulfillment_order_id": 0, "quantity": qty, "line_item_id": line,
                "inventory_item_id": 5, "fulfillable_quantity": left, "variant_id": 6}

    return {"fulfillment_orders": [
        {"id": 1046000001, "order_id": 450789469, "assigned_location_id": 24826418, "status": "closed",
         "supported_actions": [], "line_items": [item(1025578001, 466157049, 1, 0)]},
        {"id": 1046000002, "order_id": 450789469, "assigned_location_id": 24826418, "status": "open",
         "supported_actions": ["create_fulfillment", "hold", "move"],
         "line_items": [item(1025578002, 518995019, 1, 1), item(1025578003, 703073504, 2, 2)]},
    ]}


def shipment(lines: list[OrderLine] | None = None) -> Shipment:
    return Shipment(order_external_id="450789469", lines=lines or [], notify_customer=False,
                    tracking=Tracking(supplier_order_id="BB-1", number="1Z2345", carrier="UPS",
                                      url="https://ups.example/1Z2345"))


@respx.mock
def test_push_tracking_sends_only_the_matching_lines() -> None:
    respx.get(FO_URL).mock(return_value=httpx.Response(200, json=fulfillment_orders()))
    post = respx.post(FULFILL_URL).mock(return_value=httpx.Response(201, json={"fulfillment": {"id": 1}}))
    line = OrderLine(sku="IPOD2008BLACK", quantity=2, unit_price=Decimal("199.00"), external_id="703073504")
    make().push_tracking(shipment([line]))
    assert json.loads(post.calls.last.request.content) == {"fulfillment": {
        "line_items_by_fulfillment_order": [
            {"fulfillment_order_id": 1046000002,
             "fulfillment_order_line_items": [{"id": 1025578003, "quantity": 2}]}],
        "tracking_info": {"number": "1Z2345", "company": "UPS", "url": "https://ups.example/1Z2345"},
        "notify_customer": False,
    }}


@respx.mock
def test_push_tracking_whole_order_sends_all_remaining() -> None:
    respx.get(FO_URL).mock(return_value=httpx.Response(200, json=fulfillment_orders()))
    post = respx.post(FULFILL_URL).mock(return_value=httpx.Response(201, json={"fulfillment": {"id": 1}}))
    make().push_tracking(shipment())
    sent = json.loads(post.calls.last.request.content)["fulfillment"]["line_items_by_fulfillment_order"]
    assert sent == [{"fulfillment_order_id": 1046000002, "fulfillment_order_line_items": [
        {"id": 1025578002, "quantity": 1}, {"id": 1025578003, "quantity": 2}]}]


@respx.mock
def test_push_tracking_matches_lines_without_id_by_sku() -> None:
    respx.get(FO_URL).mock(return_value=httpx.Response(200, json=fulfillment_orders()))
    respx.get(f"{SHOP}/admin/api/2024-10/orders/450789469.json").mock(
        return_value=httpx.Response(200, json={"order": sample_order()}))
    post = respx.post(FULFILL_URL).mock(return_value=httpx.Response(201, json={"fulfillment": {"id": 1}}))
    line = OrderLine(sku=sample_order()["line_items"][-1]["sku"], quantity=1, unit_price=Decimal("1"))
    make().push_tracking(shipment([line]))
    items = json.loads(post.calls.last.request.content)["fulfillment"]["line_items_by_fulfillment_order"]
    assert items[0]["fulfillment_order_line_items"][0]["quantity"] == 1


@respx.mock
def test_push_tracking_already_fulfilled_is_done() -> None:
    closed = fulfillment_orders()
    for fo in closed["fulfillment_orders"]:
        fo["status"] = "closed"
    respx.get(FO_URL).mock(return_value=httpx.Response(200, json=closed))
    done = {"order": {"id": 450789469, "fulfillments": [{"id": 1, "status": "success", "tracking_numbers": ["1Z2345"],
                                                         "line_items": [{"id": 466157049, "quantity": 1}]}]}}
    respx.get(f"{SHOP}/admin/api/2024-10/orders/450789469.json").mock(return_value=httpx.Response(200, json=done))
    post = respx.post(url__regex=r".*/fulfillments.*")
    make().push_tracking(shipment())
    assert not post.called


@respx.mock
def test_push_tracking_5xx_on_the_write_is_outcome_unknown_and_not_repeated() -> None:
    respx.get(FO_URL).mock(return_value=httpx.Response(200, json=fulfillment_orders()))
    post = respx.post(FULFILL_URL).mock(return_value=httpx.Response(500))
    with pytest.raises(ShopifyOutcomeUnknown) as info:
        make().push_tracking(shipment())
    assert isinstance(info.value, errors.OutcomeUnknown)
    assert post.call_count == 1


@respx.mock
def test_push_tracking_429_on_the_write_is_retried() -> None:
    respx.get(FO_URL).mock(return_value=httpx.Response(200, json=fulfillment_orders()))
    post = respx.post(FULFILL_URL).mock(side_effect=[httpx.Response(429, headers={"Retry-After": "1.0"}),
                                                     httpx.Response(201, json={"fulfillment": {"id": 1}})])
    make().push_tracking(shipment())
    assert post.call_count == 2


def test_push_tracking_refuses_a_non_shopify_order_id() -> None:
    with pytest.raises(errors.FailLoudly):
        make().push_tracking(shipment().model_copy(update={"order_external_id": "../shop.json"}))


@respx.mock
def test_push_tracking_on_hold_is_retry_later_not_done() -> None:
    held = fulfillment_orders()
    held["fulfillment_orders"][1] |= {"status": "on_hold", "supported_actions": ["release_hold"]}
    respx.get(FO_URL).mock(return_value=httpx.Response(200, json=held))
    post = respx.post(FULFILL_URL)
    with pytest.raises(errors.RetryLater):
        make().push_tracking(shipment())
    assert not post.called


@respx.mock
def test_push_tracking_groups_fulfillment_orders_by_location() -> None:
    two = fulfillment_orders()
    other = copy.deepcopy(two["fulfillment_orders"][1]) | {"id": 1046000003, "assigned_location_id": 99}
    other["line_items"] = [other["line_items"][0] | {"id": 1025578009, "line_item_id": 466157049}]
    two["fulfillment_orders"].append(other)
    respx.get(FO_URL).mock(return_value=httpx.Response(200, json=two))
    post = respx.post(FULFILL_URL).mock(return_value=httpx.Response(201, json={"fulfillment": {"id": 1}}))
    make().push_tracking(shipment())
    sent = [json.loads(c.request.content)["fulfillment"]["line_items_by_fulfillment_order"] for c in post.calls]
    assert [[g["fulfillment_order_id"] for g in groups] for groups in sent] == [[1046000002], [1046000003]]
