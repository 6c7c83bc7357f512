"""WooCommerce connector against respx mocks built from the official wc/v3 sample bodies."""

from __future__ import annotations

import base64
import contextlib
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import httpx
import pytest
import respx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import SecretStr

from connectors import errors
from connectors.base import ConnectorConfig, parse_bodies
from connectors.records import OrderLine, Shipment, Tracking
from connectors.woocommerce import (
    WooAuthError,
    WooCommerceConnector,
    WooParseError,
    WooRateLimited,
    WooRequestRejected,
    WooUnavailable,
)

import support

PAYLOADS = support.PAYLOADS / "woocommerce"
ORDER_FILES = [
    "orders__batch-update-orders.response.json",
    "orders__create-an-order.response.json",
    "orders__delete-an-order.response.json",
    "orders__list-all-orders.response.json",
    "orders__retrieve-an-order.response.json",
    "orders__update-an-order.response.json",
]
BASE = "https://shop.example"
ORDERS = "/wp-json/wc/v3/orders"
KEY, SECRET = "ck_4f1e0c2d9b7a", "cs_9d8c7b6a5f4e3d2c1b0a"


def payload(name: str) -> Any:
    return json.loads((PAYLOADS / name).read_text())


def order_727() -> dict[str, Any]:
    body: dict[str, Any] = payload("orders__retrieve-an-order.response.json")
    return body


def make(**settings_: Any) -> WooCommerceConnector:
    config = ConnectorConfig(name="shop", kind="woocommerce", url=BASE,
                             credentials={"consumer_key": SecretStr(KEY),
                                          "consumer_secret": SecretStr(SECRET)},
                             settings=settings_)
    connector = WooCommerceConnector(config)
    connector.retry_sleep = lambda seconds: None
    return connector


@pytest.fixture
def woo() -> Iterator[WooCommerceConnector]:
    connector = make()
    yield connector
    connector.close()


@pytest.fixture
def api() -> Iterator[respx.MockRouter]:
    with respx.mock(base_url=BASE, assert_all_called=False) as router:
        # no line of the sample orders is a virtual product
        router.get(path__regex=r"^/wp-json/wc/v3/products(/\d+/variations)?$").mock(
            return_value=httpx.Response(200, json=[]))
        yield router


def listing(bodies: list[Any], total_pages: int | None = None) -> httpx.Response:
    headers = {"X-WP-Total": str(len(bodies))}
    if total_pages is not None:
        headers["X-WP-TotalPages"] = str(total_pages)
    return httpx.Response(200, json=bodies, headers=headers)


# Parsing the official bodies -------------------------------------------------------------


@pytest.mark.parametrize("name", ORDER_FILES)
def test_every_official_order_body_parses(name: str) -> None:
    body = payload(name)
    bodies = WooCommerceConnector.order_bodies(body)
    page = parse_bodies(WooCommerceConnector, bodies)
    assert page.rejected == []
    assert len(page.orders) == len(bodies) >= 1
    for order in page.orders:
        assert order.external_id.isdigit()
        assert order.updated_at.tzinfo == UTC
        assert order.total > 0 and order.currency == "USD"
        assert order.lines and all(line.quantity > 0 for line in order.lines)
        assert order.raw["id"] == int(order.external_id)


def test_list_all_orders_guest_registered_lines_and_gmt_dates() -> None:
    guest, registered = WooCommerceConnector.parse_page(
        make(), payload("orders__list-all-orders.response.json")).orders
    assert guest.external_id == "727" and guest.number == "727"
    assert guest.customer is not None and guest.customer.external_id is None
    assert guest.customer.email == "john.doe@example.com"
    assert registered.customer is not None and registered.customer.external_id == "26"
    assert registered.customer.first_name == "João"
    # the *_gmt fields, not the shop's local time three hours earlier
    assert guest.placed_at == datetime(2017, 3, 22, 19, 28, 2, tzinfo=UTC)
    assert guest.updated_at == datetime(2017, 3, 22, 19, 28, 8, tzinfo=UTC)
    first, second = guest.lines
    assert first.sku is None and first.quantity == 2 and first.unit_price == Decimal("3")
    assert first.external_id == "315"
    assert second.sku == "Bar3" and second.unit_price == Decimal("12")
    assert second.title == "Ship Your Idea – Color: Black, Size: M Test"
    address = guest.shipping_address
    assert address is not None
    assert (address.address1, address.region, address.postcode, address.country_code) == (
        "969 Market", "CA", "94103", "US")
    assert address.email == "john.doe@example.com" and address.phone == "(555) 555-5555"
    assert guest.billing_address == address
    assert guest.payment_status == "paid" and not guest.cancelled and not guest.test
    # completed, no date_paid (bank transfer marked by hand) and two refunds in the body
    assert registered.payment_status == "partially_refunded"


def test_batch_answer_is_split_into_its_orders() -> None:
    bodies = WooCommerceConnector.order_bodies(payload("orders__batch-update-orders.response.json"))
    assert [b["id"] for b in bodies] == [728, 729, 727, 723]


@pytest.mark.parametrize(
    ("status", "paid", "refunds", "expected", "cancelled"),
    [
        ("processing", True, [], "paid", False),
        ("processing", False, [], "paid", False),
        ("completed", False, [], "paid", False),
        ("pending", False, [], "pending", False),
        ("on-hold", False, [], "pending", False),
        ("failed", False, [], "pending", False),
        ("on-hold", True, [], "pending", False),
        ("on-hold", True, [{"id": 1, "total": "-2.00"}], "pending", False),
        ("failed", True, [], "pending", False),
        ("refunded", True, [], "refunded", False),
        ("cancelled", False, [], "pending", True),
        ("cancelled", True, [], "paid", True),
        ("completed", True, [{"id": 1, "total": "-2.00"}], "partially_refunded", False),
        ("wc-awaiting-shipment", False, [], "unknown", False),
    ],
)
def test_payment_status_mapping(
    status: str, paid: bool, refunds: list[Any], expected: str, cancelled: bool
) -> None:
    body = order_727()
    body.update(status=status, refunds=refunds, date_paid_gmt=None, date_paid=None)
    if paid:
        body.update(date_paid_gmt="2017-03-22T19:28:08", date_paid="2017-03-22T16:28:08")
    order = WooCommerceConnector.parse_order(body)
    assert order.payment_status == expected
    assert order.cancelled is cancelled


def test_empty_shipping_block_ships_to_billing_and_price_falls_back_to_total() -> None:
    body = order_727()
    body["shipping"] = {k: "" for k in body["shipping"]}
    body["billing"]["address_1"] = "1 Billing Road"
    del body["line_items"][0]["price"]
    body["line_items"][1]["price"] = "12.50"
    order = WooCommerceConnector.parse_order(body)
    assert order.shipping_address is not None
    assert order.shipping_address.address1 == "1 Billing Road"
    assert order.lines[0].unit_price == Decimal("3")  # total "6.00" / quantity 2
    assert order.lines[1].unit_price == Decimal("12.50")


def test_guest_without_email_has_no_customer_and_naive_fallback_dates_are_utc() -> None:
    body = order_727()
    body["billing"]["email"] = ""
    body["date_modified_gmt"] = None
    order = WooCommerceConnector.parse_order(body)
    assert order.customer is None
    assert order.updated_at == datetime(2017, 3, 22, 16, 28, 8, tzinfo=UTC)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"id": None}, "id"),
        ({"total": "twelve"}, "total"),
        ({"date_modified_gmt": "yesterday"}, "date_modified_gmt"),
        ({"billing": ["not", "an", "object"]}, "billing"),
        ({"line_items": [{"quantity": "two", "price": 3}]}, "line_items[0].quantity"),
        ({"line_items": [{"quantity": -1, "price": 3}]}, "line_items[0].quantity"),
        ({"currency": None}, "currency"),
    ],
)
def test_bad_fields_raise_parse_error_naming_the_field_without_data(
    change: dict[str, Any], field: str
) -> None:
    body = order_727()
    body.update(change)
    with pytest.raises(WooParseError) as caught:
        WooCommerceConnector.parse_order(body)
    assert field in str(caught.value)
    assert "john.doe" not in str(caught.value) and "969 Market" not in str(caught.value)


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=10),
    lambda inner: st.lists(inner, max_size=3)
    | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=12,
)


@settings(max_examples=300, suppress_health_check=list(HealthCheck), deadline=None)
@given(anything=JSON, replacement=st.dictionaries(
    st.sampled_from(["id", "number", "status", "currency", "total", "date_created_gmt",
                     "date_modified_gmt", "date_paid_gmt", "customer_id", "billing", "shipping",
                     "line_items", "refunds"]), JSON, max_size=5))
def test_any_json_raises_only_parse_error(anything: Any, replacement: dict[str, Any]) -> None:
    base = order_727()
    for body in (anything, {**base, **replacement}):
        try:
            WooCommerceConnector.parse_order(body)
        except WooParseError as exc:
            assert "john.doe" not in str(exc)
    with contextlib.suppress(WooParseError):
        WooCommerceConnector.order_bodies(anything)


# Fetching --------------------------------------------------------------------------------


def test_request_carries_incremental_filter_and_basic_auth(
    woo: WooCommerceConnector, api: respx.MockRouter
) -> None:
    route = api.get(ORDERS).mock(return_value=listing([order_727()], total_pages=1))
    since = datetime(2026, 11, 2, 10, 0, 0, 250_000, tzinfo=timezone(timedelta(hours=1)))
    page = woo.fetch_orders(since)
    request = route.calls.last.request
    assert dict(request.url.params) == {
        "modified_after": "2026-11-02T09:00:00", "dates_are_gmt": "true", "orderby": "modified",
        "order": "asc", "per_page": "100", "page": "1"}
    expected = base64.b64encode(f"{KEY}:{SECRET}".encode()).decode()
    assert request.headers["Authorization"] == f"Basic {expected}"
    assert [o.external_id for o in page.orders] == ["727"] and page.next_page is None

    woo.fetch_orders(None)
    assert "modified_after" not in route.calls.last.request.url.params


def test_pages_follow_x_wp_totalpages(woo: WooCommerceConnector, api: respx.MockRouter) -> None:
    bodies = []
    for n in range(250):
        body = order_727()
        body["id"] = 1000 + n
        bodies.append(body)

    def answer(request: httpx.Request) -> httpx.Response:
        page = int(request.url.params["page"])
        return listing(bodies[(page - 1) * 100:page * 100], total_pages=3)

    api.get(ORDERS).mock(side_effect=answer)
    seen, token, calls = [], None, 0
    while True:
        page = woo.fetch_orders(None, token)
        calls += 1
        seen += [o.external_id for o in page.orders]
        token = page.next_page
        if token is None:
            break
    # one more call than pages: every order has the same second, so page 1 is asked again from a
    # second before it, then pages 2 and 3 of that query
    assert calls == 4 and len(set(seen)) == 250


def test_full_page_on_the_last_page_stops(woo: WooCommerceConnector, api: respx.MockRouter) -> None:
    body = order_727()
    api.get(ORDERS).mock(return_value=listing(
        [dict(body, id=i) for i in range(1, 101)], total_pages=2))
    assert woo.fetch_orders(None, "|2").next_page is None
    # every order of the page has the same second: the next page of the same query
    assert woo.fetch_orders(None, "2017-03-22T19:28:07|1").next_page == "2017-03-22T19:28:07|2"
    for bad in ("next!", "2", "2017-03-22T19:28:07|0", "yesterday|1"):
        with pytest.raises(WooRequestRejected):
            woo.fetch_orders(None, bad)


def test_same_order_twice_in_one_fetch_keeps_the_newest(
    woo: WooCommerceConnector, api: respx.MockRouter
) -> None:
    old, new = order_727(), order_727()
    new["date_modified_gmt"], new["status"] = "2017-03-23T08:00:00", "completed"
    api.get(ORDERS).mock(return_value=listing([new, old], total_pages=1))
    page = woo.fetch_orders(None)
    assert [(o.external_id, o.status) for o in page.orders] == [("727", "completed")]


def test_malformed_order_is_quarantined_and_the_rest_parsed(
    woo: WooCommerceConnector, api: respx.MockRouter
) -> None:
    good, bad, other = order_727(), order_727(), order_727()
    bad["id"], bad["total"] = 800, {"amount": 1}
    other["id"] = 801
    api.get(ORDERS).mock(return_value=listing([good, bad, other, "junk"], total_pages=1))
    page = woo.fetch_orders(None)
    assert [o.external_id for o in page.orders] == ["727", "801"]
    assert [(r.external_id, "total" in r.error) for r in page.rejected] == [("800", True),
                                                                          (None, False)]


@pytest.mark.parametrize(
    "response",
    [httpx.Response(200, json={"id": 1}), httpx.Response(200, text="<html>Maintenance</html>")],
)
def test_a_listing_that_is_not_a_json_list_raises_parse_error(
    woo: WooCommerceConnector, api: respx.MockRouter, response: httpx.Response
) -> None:
    api.get(ORDERS).mock(return_value=response)
    with pytest.raises(WooParseError):
        woo.fetch_orders(None)


@pytest.mark.parametrize("status", [401, 403])
def test_refused_credentials_raise_auth_error_without_the_secret(
    woo: WooCommerceConnector, api: respx.MockRouter, status: int
) -> None:
    api.get(ORDERS).mock(return_value=httpx.Response(status, json={
        "code": "woocommerce_rest_cannot_view", "message": "Sorry, you cannot list resources.",
        "data": {"status": status}}))
    with pytest.raises(WooAuthError) as caught:
        woo.fetch_orders(None)
    assert isinstance(caught.value, errors.AuthenticationFailed)
    assert "woocommerce_rest_cannot_view" in str(caught.value)
    for text in (str(caught.value), repr(caught.value)):
        assert SECRET not in text and KEY not in text


def test_query_string_auth_keeps_the_secret_out_of_errors(api: respx.MockRouter) -> None:
    route = api.get(ORDERS).mock(side_effect=httpx.ConnectError("refused"))
    with make(query_string_auth=True) as woo, pytest.raises(WooUnavailable) as caught:
        woo.fetch_orders(None)
    request = route.calls.last.request
    assert request.url.params["consumer_secret"] == SECRET
    assert "Authorization" not in request.headers
    assert SECRET not in str(caught.value) and caught.value.__cause__ is None
    assert route.call_count == 4  # bounded


def test_503_html_is_retried(woo: WooCommerceConnector, api: respx.MockRouter) -> None:
    html = "<html><head><title>503 Service Unavailable</title></head></html>"
    route = api.get(ORDERS).mock(side_effect=[
        httpx.Response(503, text=html, headers={"Content-Type": "text/html"}),
        listing([order_727()], total_pages=1)])
    assert len(woo.fetch_orders(None).orders) == 1
    assert route.call_count == 2


def test_persistent_5xx_gives_up_as_retry_later(
    woo: WooCommerceConnector, api: respx.MockRouter
) -> None:
    route = api.get(ORDERS).mock(return_value=httpx.Response(502, text="Bad Gateway"))
    with pytest.raises(WooUnavailable) as caught:
        woo.fetch_orders(None)
    assert isinstance(caught.value, errors.RetryLater)
    assert route.call_count == 4


def test_429_honours_retry_after(woo: WooCommerceConnector, api: respx.MockRouter) -> None:
    waits: list[float] = []
    woo.retry_sleep = waits.append
    api.get(ORDERS).mock(side_effect=[
        httpx.Response(429, headers={"Retry-After": "7"}),
        listing([order_727()], total_pages=1)])
    assert len(woo.fetch_orders(None).orders) == 1
    assert waits == [7.0]
    api.get(ORDERS).mock(return_value=httpx.Response(429, headers={"Retry-After": "2"}))
    with pytest.raises(WooRateLimited) as caught:
        woo.fetch_orders(None)
    assert caught.value.retry_after == 2.0


def test_other_4xx_fails_loudly(woo: WooCommerceConnector, api: respx.MockRouter) -> None:
    api.get(ORDERS).mock(return_value=httpx.Response(400, json={
        "code": "rest_invalid_param", "message": "Invalid parameter(s): per_page"}))
    with pytest.raises(WooRequestRejected) as caught:
        woo.fetch_orders(None)
    assert isinstance(caught.value, errors.FailLoudly) and caught.value.code == "rest_invalid_param"


# Pushing tracking ------------------------------------------------------------------------

TRACKING = Tracking(supplier_order_id="S-1", number="1Z999AA10123456784", carrier="UPS",
                    url="https://ups.example/1Z999AA10123456784")


class Shop:
    """A stateful mock of one order and its notes."""

    def __init__(self, api: respx.MockRouter, notes: list[dict[str, Any]]) -> None:
        self.order = order_727()
        self.notes = notes
        self.fail_next_post = False
        api.get(f"{ORDERS}/727").mock(side_effect=lambda r: httpx.Response(200, json=self.order))
        api.get(f"{ORDERS}/727/notes").mock(
            side_effect=lambda r: httpx.Response(200, json=self.notes))
        self.post = api.post(f"{ORDERS}/727/notes").mock(side_effect=self._post)
        self.put = api.put(f"{ORDERS}/727").mock(side_effect=self._put)

    def _post(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        self.notes.insert(0, {"id": 900 + len(self.notes), "note": body["note"],
                              "customer_note": body["customer_note"]})
        if self.fail_next_post:  # stored, then the proxy timed out
            self.fail_next_post = False
            return httpx.Response(504, text="Gateway Timeout")
        return httpx.Response(201, json=self.notes[0])

    def _put(self, request: httpx.Request) -> httpx.Response:
        self.order["status"] = json.loads(request.content)["status"]
        return httpx.Response(200, json=self.order)


@pytest.fixture
def shop(api: respx.MockRouter) -> Shop:
    notes = payload("order-notes__list-all-order-notes.response.json")
    return Shop(api, notes)


def test_push_tracking_adds_a_customer_note_then_completes(
    woo: WooCommerceConnector, shop: Shop
) -> None:
    woo.push_tracking(Shipment(order_external_id="727", tracking=TRACKING))
    assert json.loads(shop.post.calls.last.request.content) == {
        "note": "Shipped with UPS: tracking 1Z999AA10123456784 https://ups.example/1Z999AA10123456784",
        "customer_note": True}
    assert json.loads(shop.put.calls.last.request.content) == {"status": "completed"}
    assert shop.order["status"] == "completed"


def test_push_tracking_again_changes_nothing(woo: WooCommerceConnector, shop: Shop) -> None:
    shipment = Shipment(order_external_id="727", tracking=TRACKING)
    woo.push_tracking(shipment)
    woo.push_tracking(shipment)
    assert shop.post.call_count == 1 and shop.put.call_count == 1


def test_a_note_whose_answer_was_lost_is_not_added_twice(
    woo: WooCommerceConnector, shop: Shop
) -> None:
    shop.fail_next_post = True
    woo.push_tracking(Shipment(order_external_id="727", tracking=TRACKING))
    assert shop.post.call_count == 1
    assert sum("1Z999AA10123456784" in n["note"] for n in shop.notes) == 1
    assert shop.order["status"] == "completed"


def test_partial_shipment_adds_the_note_only(woo: WooCommerceConnector, shop: Shop) -> None:
    line = OrderLine(sku="Bar3", quantity=1, unit_price=Decimal("12"), external_id="316")
    woo.push_tracking(Shipment(order_external_id="727", tracking=TRACKING, lines=[line]))
    assert shop.post.call_count == 1 and shop.put.call_count == 0
    everything = [line, OrderLine(sku=None, quantity=2, unit_price=Decimal("3"), external_id="315")]
    other = TRACKING.model_copy(update={"number": "JJD000390007"})
    woo.push_tracking(Shipment(order_external_id="727", tracking=other, lines=everything))
    assert shop.put.call_count == 1


def test_a_cancelled_order_keeps_its_status(woo: WooCommerceConnector, shop: Shop) -> None:
    shop.order["status"] = "cancelled"
    woo.push_tracking(Shipment(order_external_id="727", tracking=TRACKING, notify_customer=False))
    assert json.loads(shop.post.calls.last.request.content)["customer_note"] is False
    assert shop.put.call_count == 0


def test_push_tracking_to_an_unknown_order_fails_loudly(
    woo: WooCommerceConnector, api: respx.MockRouter
) -> None:
    api.get(f"{ORDERS}/9").mock(return_value=httpx.Response(404, json={
        "code": "woocommerce_rest_shop_order_invalid_id", "message": "Invalid ID."}))
    with pytest.raises(WooRequestRejected):
        woo.push_tracking(Shipment(order_external_id="9", tracking=TRACKING))
    with pytest.raises(WooRequestRejected):
        woo.push_tracking(Shipment(order_external_id="../customers", tracking=TRACKING))


def test_missing_credentials_fail_at_construction() -> None:
    config = ConnectorConfig(name="shop", kind="woocommerce", url=BASE, credentials={})
    with pytest.raises(WooAuthError):
        WooCommerceConnector(config)
