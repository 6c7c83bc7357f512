"""Shopify GraphQL connector against respx-mocked HTTP: parsing, cost throttle, error tree."""

from __future__ import annotations

import copy
import json
from decimal import Decimal
from typing import Any

import httpx
import pytest
import respx
from pydantic import SecretStr

from connectors import errors
from connectors.base import ConnectorConfig, parse_bodies
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
from connectors.shopify.graphql import ShopifyGraphQLConnector
from connectors.shopify.graphql_parse import parse_order

from support.pacing import RecordingPacer

SHOP = "https://test-shop.myshopify.com"
TOKEN = "shpat_0123456789abcdef_secret"
GRAPHQL = f"{SHOP}/admin/api/2024-10/graphql.json"

ADDRESS = {"firstName": "Ana", "lastName": "García", "company": None, "address1": "Calle Mayor 1",
           "address2": None, "city": "Madrid", "zip": "28013", "province": "Madrid", "provinceCode": "M",
           "countryCodeV2": "ES", "phone": "+34600111222"}


def line(n: int, **changes: Any) -> dict[str, Any]:
    item = {"id": f"gid://shopify/LineItem/{n}", "name": f"Item {n}", "title": f"Item {n}", "sku": f"SKU-{n}",
            "quantity": 2, "currentQuantity": 2, "unfulfilledQuantity": 2, "requiresShipping": True,
            "isGiftCard": False, "originalUnitPriceSet": {"shopMoney": {"amount": "9.95", "currencyCode": "EUR"}}}
    item.update(changes)
    return item


def node(n: int = 1001, *, lines: list[dict[str, Any]] | None = None, **changes: Any) -> dict[str, Any]:
    body = {
        "id": f"gid://shopify/Order/{n}", "legacyResourceId": str(n), "name": f"#{n}",
        "createdAt": "2026-03-01T10:00:00Z", "updatedAt": "2026-03-01T11:00:00Z", "cancelledAt": None,
        "test": False, "displayFinancialStatus": "PAID", "displayFulfillmentStatus": "UNFULFILLED",
        "currencyCode": "EUR", "email": "ana@example.com", "phone": None,
        "totalPriceSet": {"shopMoney": {"amount": "24.85", "currencyCode": "EUR"}},
        "shippingAddress": dict(ADDRESS), "billingAddress": dict(ADDRESS),
        "customer": {"id": "gid://shopify/Customer/77", "legacyResourceId": "77", "email": "ana@example.com",
                     "phone": None, "firstName": "Ana", "lastName": "García", "defaultAddress": dict(ADDRESS)},
        "shippingLines": {"nodes": [{"title": "Standard", "code": "STD"}]},
        "lineItems": {"pageInfo": {"hasNextPage": False, "endCursor": "c1"},
                      "nodes": lines if lines is not None else [line(1)]},
    }
    body.update(changes)
    return body


def cost(requested: int = 50, available: float = 950.0, rate: float = 50.0) -> dict[str, Any]:
    return {"cost": {"requestedQueryCost": requested, "actualQueryCost": requested // 2,
                     "throttleStatus": {"maximumAvailable": 1000.0, "currentlyAvailable": available,
                                        "restoreRate": rate}}}


def answer(data: dict[str, Any], **kwargs: Any) -> httpx.Response:
    return httpx.Response(200, json={"data": data, "extensions": cost(**kwargs)})


def orders_answer(nodes: list[dict[str, Any]], end: str | None = None, **kwargs: Any) -> httpx.Response:
    return answer({"orders": {"pageInfo": {"hasNextPage": end is not None, "endCursor": end}, "nodes": nodes}},
                  **kwargs)


def throttled(requested: int = 300, available: float = 100.0, rate: float = 50.0) -> httpx.Response:
    return httpx.Response(200, json={
        "errors": [{"message": "Throttled", "extensions": {"code": "THROTTLED"}}],
        "extensions": {"cost": {"requestedQueryCost": requested, "actualQueryCost": None,
                                "throttleStatus": {"maximumAvailable": 1000.0, "currentlyAvailable": available,
                                                   "restoreRate": rate}}}})


def failure(code: str, message: str = "refused") -> httpx.Response:
    return httpx.Response(200, json={"errors": [{"message": message, "extensions": {"code": code}}]})


class Sleeps(list[float]):
    """The connector's sleep and clock in one: a wait moves the clock, as it would."""

    now = 0.0

    def __call__(self, seconds: float) -> None:
        self.append(seconds)
        self.now += seconds

    def clock(self) -> float:
        return self.now


def make(**settings: Any) -> ShopifyGraphQLConnector:
    config = ConnectorConfig(name="shop", kind="shopify", url=SHOP, credentials={"access_token": SecretStr(TOKEN)},
                             settings={"api": "graphql", **settings})
    connector = ShopifyConnector(config)
    assert isinstance(connector, ShopifyGraphQLConnector)
    waits = Sleeps()
    connector.sleep, connector.clock = waits, waits.clock
    return connector


def sent(call: Any) -> dict[str, Any]:
    return dict(json.loads(call.request.content))


# the switch -----------------------------------------------------------------------------------


def test_api_setting_chooses_the_connector_and_rest_stays_the_default() -> None:
    assert type(make()) is ShopifyGraphQLConnector
    rest = ConnectorConfig(name="s", kind="shopify", url=SHOP, credentials={"access_token": SecretStr(TOKEN)})
    assert type(ShopifyConnector(rest)) is ShopifyConnector
    with pytest.raises(ShopifyConfigError, match="api must be"):
        make(api="soap")


def test_webhook_and_file_bodies_stay_rest_shaped() -> None:
    assert ShopifyGraphQLConnector.parse_order.__func__ is ShopifyConnector.parse_order.__func__


def test_saved_graphql_answers_read_like_rest_bodies() -> None:
    bodies = ShopifyConnector.order_bodies({"data": {"orders": {"nodes": [node(1001), node(1002, currencyCode=None)]}}})
    page = parse_bodies(ShopifyConnector, bodies)
    assert [o.external_id for o in page.orders] == ["1001"] and len(page.rejected) == 1
    one = ShopifyConnector.order_bodies({"data": {"order": node(1003)}})
    assert ShopifyConnector.parse_order(one[0]).external_id == "1003"
    with pytest.raises(ShopifyParseError):
        ShopifyConnector.order_bodies({"data": {"shop": {}}})


# parsing --------------------------------------------------------------------------------------


def test_parse_node_to_the_canonical_order() -> None:
    order = parse_order(node(lines=[line(1), line(2, requiresShipping=False), line(3, isGiftCard=True)]))
    assert isinstance(order, ChannelOrder)
    assert order.external_id == "1001" and order.number == "#1001"
    assert order.payment_status == "paid" and order.status == "open" and not order.fulfilled_on_channel
    assert order.total == Decimal("24.85") and order.currency == "EUR"
    assert [ln.external_id for ln in order.lines] == ["1"]
    assert [ln.external_id for ln in order.unshipped_lines] == ["2", "3"]
    assert order.lines[0].unit_price == Decimal("9.95") and order.lines[0].sku == "SKU-1"
    assert order.shipping_address is not None and order.shipping_address.region == "M"
    assert order.shipping_address.email == "ana@example.com"
    assert order.customer is not None and order.customer.external_id == "77"


@pytest.mark.parametrize(("status", "expected"), [
    ("PAID", "paid"), ("PARTIALLY_PAID", "pending"), ("AUTHORIZED", "authorized"), ("EXPIRED", "voided"),
    ("REFUNDED", "refunded"), ("PARTIALLY_REFUNDED", "partially_refunded"), (None, "unknown")])
def test_financial_status_reads_as_rest(status: str | None, expected: str) -> None:
    assert parse_order(node(displayFinancialStatus=status)).payment_status == expected


def test_current_quantity_and_open_count_follow_the_rest_rules() -> None:
    edited = parse_order(node(lines=[line(1, quantity=3, currentQuantity=1, unfulfilledQuantity=3)]))
    assert edited.lines[0].quantity == 1
    elsewhere = parse_order(node(lines=[line(1, quantity=3, currentQuantity=3, unfulfilledQuantity=1)]))
    assert elsewhere.lines[0].quantity == 1  # the rest is fulfilled by the shop itself
    fulfilled = parse_order(node(displayFulfillmentStatus="PARTIALLY_FULFILLED",
                                 lines=[line(1, quantity=3, currentQuantity=3, unfulfilledQuantity=0)]))
    assert fulfilled.fulfilled_on_channel and fulfilled.status == "partial" and fulfilled.lines[0].quantity == 3


def test_cancelled_and_test_orders() -> None:
    order = parse_order(node(cancelledAt="2026-03-02T09:00:00Z", test=True))
    assert order.cancelled and order.status == "cancelled" and order.test


def test_guest_and_phone_from_the_order() -> None:
    address = dict(ADDRESS, phone=None)
    order = parse_order(node(customer=None, phone="+34611000000", shippingAddress=address))
    assert order.customer is None
    assert order.shipping_address is not None and order.shipping_address.phone == "+34611000000"


@pytest.mark.parametrize(("changes", "field"), [
    ({"id": "gid://shopify/Product/1"}, "id"),
    ({"totalPriceSet": None}, "totalPriceSet"),
    ({"currencyCode": "euro"}, "currencyCode"),
    ({"updatedAt": "yesterday"}, "updatedAt"),
    ({"lineItems": {"pageInfo": {"hasNextPage": True}, "nodes": []}}, "lineItems"),
    ({"lineItems": {"nodes": [line(1, currentQuantity=-1)]}}, "currentQuantity"),
])
def test_bad_nodes_raise_parse_error_naming_the_field(changes: dict[str, Any], field: str) -> None:
    with pytest.raises(ShopifyParseError, match=field) as caught:
        parse_order(node(**changes))
    assert "García" not in str(caught.value)


# polling --------------------------------------------------------------------------------------


@respx.mock
def test_query_shape_paging_and_a_rejected_node() -> None:
    route = respx.post(GRAPHQL).mock(side_effect=[
        orders_answer([node(1001), {"id": "gid://shopify/Order/1002", "updatedAt": None}], end="cur-1"),
        orders_answer([node(1003)])])
    connector = make()
    from datetime import UTC, datetime
    since = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
    first = connector.fetch_orders(since)
    assert [o.external_id for o in first.orders] == ["1001"]
    assert [r.external_id for r in first.rejected] == ["1002"] and first.next_page == "cur-1"
    second = connector.fetch_orders(since, first.next_page)
    assert second.next_page is None and [o.external_id for o in second.orders] == ["1003"]
    asked = [sent(c) for c in route.calls]
    assert "sortKey: UPDATED_AT" in asked[0]["query"] and "currentQuantity" in asked[0]["query"]
    assert asked[0]["variables"]["query"] == "updated_at:>='2026-03-01T09:00:00Z'"
    assert asked[0]["variables"]["after"] is None and asked[1]["variables"]["after"] == "cur-1"
    assert route.calls[0].request.headers["X-Shopify-Access-Token"] == TOKEN


def test_page_size_is_bounded_by_the_query_cost_cap() -> None:
    from connectors.shopify import graphql_queries as q
    connector = make(page_size=250)
    assert q.orders_cost(connector.first, connector.lines) <= q.MAX_QUERY_COST
    assert q.orders_cost(connector.first + 1, connector.lines) > q.MAX_QUERY_COST
    assert make(page_size=5).first == 5


@respx.mock
def test_more_lines_are_read_before_the_order_is_parsed() -> None:
    big = node(lines=[line(1)])
    big["lineItems"]["pageInfo"] = {"hasNextPage": True, "endCursor": "l1"}
    route = respx.post(GRAPHQL).mock(side_effect=[
        orders_answer([big]),
        answer({"order": {"lineItems": {"pageInfo": {"hasNextPage": False, "endCursor": "l2"},
                                        "nodes": [line(2)]}}})])
    page = make().fetch_orders(None)
    assert [ln.external_id for ln in page.orders[0].lines] == ["1", "2"]
    assert sent(route.calls[1])["variables"] == {"id": "gid://shopify/Order/1001", "after": "l1"}


@respx.mock
def test_line_paging_that_does_not_advance_stops() -> None:
    big = node(lines=[line(1)])
    big["lineItems"]["pageInfo"] = {"hasNextPage": True, "endCursor": "l1"}
    same = {"order": {"lineItems": {"pageInfo": {"hasNextPage": True, "endCursor": "l1"}, "nodes": [line(2)]}}}
    route = respx.post(GRAPHQL).mock(side_effect=[orders_answer([big, node(1002)])] + [answer(same)] * 5)
    page = make().fetch_orders(None)
    assert [o.external_id for o in page.orders] == ["1002"]  # the rest of the page goes on
    assert [r.external_id for r in page.rejected] == ["1001"] and "incomplete" in page.rejected[0].error
    assert route.call_count == 2


@respx.mock
def test_waits_until_the_bucket_covers_the_next_query() -> None:
    respx.post(GRAPHQL).mock(side_effect=[
        orders_answer([node()], end="c", requested=400, available=100.0, rate=50.0),
        orders_answer([node(1002)], end="d", requested=400, available=980.0),
        orders_answer([node(1003)])])
    connector = make(page_size=10)
    connector.fetch_orders(None)
    connector.fetch_orders(None, "c")  # Shopify's own price of the query, not yet restored
    connector.fetch_orders(None, "d")  # plenty left: no wait
    assert connector.sleep == [pytest.approx((400 - 100.0) / 50.0)]


@respx.mock
def test_throttled_is_retried_after_the_restore_time() -> None:
    route = respx.post(GRAPHQL).mock(side_effect=[throttled(300, 100.0, 50.0), orders_answer([node()])])
    connector = make()
    page = connector.fetch_orders(None)
    assert len(page.orders) == 1 and route.call_count == 2
    assert connector.sleep == [pytest.approx(4.0)]  # (300 - 100) / 50


@respx.mock
def test_a_429_throttle_without_retry_after_waits_the_restore_time() -> None:
    refused = throttled(300, 200.0, 50.0)
    route = respx.post(GRAPHQL).mock(side_effect=[httpx.Response(429, json=refused.json()), orders_answer([node()])])
    pacer = RecordingPacer()
    connector = make()
    connector.pacer = pacer
    assert len(connector.fetch_orders(None).orders) == 1 and route.call_count == 2
    assert connector.sleep == [pytest.approx(2.0)]  # (300 - 200) / 50
    assert pacer.holds  # other workers on the same shop hold back too


@respx.mock
def test_throttled_without_end_raises_rate_limited() -> None:
    respx.post(GRAPHQL).mock(return_value=throttled())
    connector = make()
    with pytest.raises(ShopifyRateLimited) as caught:
        connector.fetch_orders(None)
    assert isinstance(caught.value, errors.RetryLater)
    assert len(connector.sleep) == connector.read_attempts - 1


@respx.mock
def test_401_and_access_denied_are_auth_errors_without_the_token() -> None:
    respx.post(GRAPHQL).mock(return_value=httpx.Response(401, json={"errors": f"[API] Invalid token {TOKEN}"}))
    with pytest.raises(ShopifyAuthError) as caught:
        make().check()
    assert TOKEN not in str(caught.value)
    respx.post(GRAPHQL).mock(return_value=failure("ACCESS_DENIED", f"Access denied for orders field ({TOKEN})"))
    with pytest.raises(ShopifyAuthError) as denied:
        make().fetch_orders(None)
    assert TOKEN not in str(denied.value) and "scopes" in str(denied.value)


@respx.mock
@pytest.mark.parametrize("code", ["MAX_COST_EXCEEDED", "BAD_REQUEST", ""])
def test_other_errors_fail_loudly_at_once(code: str) -> None:
    route = respx.post(GRAPHQL).mock(return_value=failure(code, "Field 'x' doesn't exist on type 'Order'"))
    with pytest.raises(errors.FailLoudly, match="doesn't exist"):
        make().fetch_orders(None)
    assert route.call_count == 1


@respx.mock
def test_internal_error_on_a_read_is_retried() -> None:
    route = respx.post(GRAPHQL).mock(side_effect=[failure("INTERNAL_SERVER_ERROR"), orders_answer([node()])])
    assert len(make().fetch_orders(None).orders) == 1 and route.call_count == 2


@respx.mock
def test_a_refused_stored_cursor_reads_again_from_since() -> None:
    route = respx.post(GRAPHQL).mock(side_effect=[failure("BAD_REQUEST", "Invalid cursor"), orders_answer([node()])])
    page = make().fetch_orders(None, "stale")
    assert len(page.orders) == 1 and sent(route.calls[1])["variables"]["after"] is None


@respx.mock
def test_check_is_one_cheap_shop_query() -> None:
    route = respx.post(GRAPHQL).mock(return_value=answer({"shop": {"name": "Test"}}))
    assert "shop" in make().check()
    assert route.call_count == 1 and "shop { name }" in sent(route.calls[0])["query"]


# tracking -------------------------------------------------------------------------------------


def fo(n: int, items: list[tuple[int, int]], *, status: str = "OPEN",
       actions: tuple[str, ...] = ("CREATE_FULFILLMENT",), location: int = 1) -> dict[str, Any]:
    return {"id": f"gid://shopify/FulfillmentOrder/{n}", "status": status,
            "supportedActions": [{"action": a} for a in actions],
            "assignedLocation": {"location": {"id": f"gid://shopify/Location/{location}"}},
            "lineItems": {"nodes": [{"id": f"gid://shopify/FulfillmentOrderLineItem/{n}{li}", "remainingQuantity": q,
                                     "lineItem": {"id": f"gid://shopify/LineItem/{li}", "sku": f"SKU-{li}"}}
                                    for li, q in items]}}


def fos(*orders: dict[str, Any]) -> httpx.Response:
    return answer({"order": {"fulfillmentOrders": {"nodes": list(orders)}}})


def created(n: int = 55) -> httpx.Response:
    return answer({"fulfillmentCreate": {"fulfillment": {"id": f"gid://shopify/Fulfillment/{n}", "status": "SUCCESS",
                                                         "trackingInfo": []}, "userErrors": []}})


def shipment(number: str = "TRK-1", lines: list[OrderLine] | None = None) -> Shipment:
    return Shipment(order_external_id="1001", lines=lines or [],
                    tracking=Tracking(supplier_order_id="BB-1", number=number, carrier="GLS",
                                      url="https://gls.example/t"))


def order_line(n: int, quantity: int = 2, with_id: bool = True) -> OrderLine:
    return OrderLine(sku=f"SKU-{n}", quantity=quantity, unit_price=Decimal("1"), title="x",
                     external_id=str(n) if with_id else None)


@respx.mock
def test_fulfillment_create_on_the_open_fulfillment_orders_by_location() -> None:
    route = respx.post(GRAPHQL).mock(side_effect=[
        fos(fo(7, [(1, 2)], location=1), fo(8, [(2, 1)], location=2), fo(9, [(3, 1)], status="CLOSED")),
        created(1), created(2)])
    make().push_tracking(shipment())
    first, second = sent(route.calls[1]), sent(route.calls[2])
    assert "fulfillmentCreate(fulfillment: $fulfillment)" in first["query"]
    assert first["variables"]["fulfillment"] == {
        "lineItemsByFulfillmentOrder": [{"fulfillmentOrderId": "gid://shopify/FulfillmentOrder/7",
                                         "fulfillmentOrderLineItems": [
                                             {"id": "gid://shopify/FulfillmentOrderLineItem/71", "quantity": 2}]}],
        "trackingInfo": {"number": "TRK-1", "company": "GLS", "url": "https://gls.example/t"},
        "notifyCustomer": True}
    assert second["variables"]["fulfillment"]["lineItemsByFulfillmentOrder"][0]["fulfillmentOrderId"].endswith("/8")
    assert sent(route.calls[0])["variables"] == {"id": "gid://shopify/Order/1001"}


@respx.mock
def test_only_the_shipment_lines_and_by_sku_without_an_id() -> None:
    route = respx.post(GRAPHQL).mock(side_effect=[fos(fo(7, [(1, 2), (2, 3)])), created()])
    make().push_tracking(shipment(lines=[order_line(2, 1, with_id=False)]))
    group = sent(route.calls[1])["variables"]["fulfillment"]["lineItemsByFulfillmentOrder"]
    assert group == [{"fulfillmentOrderId": "gid://shopify/FulfillmentOrder/7",
                      "fulfillmentOrderLineItems": [{"id": "gid://shopify/FulfillmentOrderLineItem/72",
                                                     "quantity": 1}]}]


@respx.mock
def test_fulfilment_service_lines_are_reported_not_done() -> None:
    route = respx.post(GRAPHQL).mock(side_effect=[fos(fo(7, [(1, 2)], actions=("REQUEST_FULFILLMENT",)))])
    with pytest.raises(errors.FailLoudly, match="fulfilment service"):
        make().push_tracking(shipment())
    assert route.call_count == 1


@respx.mock
def test_on_hold_lines_retry_later() -> None:
    respx.post(GRAPHQL).mock(side_effect=[fos(fo(7, [(1, 2)], status="ON_HOLD", actions=()))])
    with pytest.raises(ShopifyUnavailable, match="on hold"):
        make().push_tracking(shipment())


@respx.mock
def test_user_errors_fail_loudly() -> None:
    respx.post(GRAPHQL).mock(side_effect=[fos(fo(7, [(1, 2)])), answer({"fulfillmentCreate": {
        "fulfillment": None, "userErrors": [{"field": ["fulfillment"], "message": "Invalid quantity"}]}})])
    with pytest.raises(errors.FailLoudly, match="Invalid quantity"):
        make().push_tracking(shipment())


@respx.mock
def test_a_write_without_a_clear_answer_is_outcome_unknown_and_not_repeated() -> None:
    route = respx.post(GRAPHQL).mock(side_effect=[fos(fo(7, [(1, 2)])), failure("INTERNAL_SERVER_ERROR")])
    with pytest.raises(ShopifyOutcomeUnknown):
        make().push_tracking(shipment())
    assert route.call_count == 2


@respx.mock
def test_a_throttled_write_is_sent_again() -> None:
    route = respx.post(GRAPHQL).mock(side_effect=[fos(fo(7, [(1, 2)])), throttled(10, 0.0), created()])
    make().push_tracking(shipment())
    assert route.call_count == 3


def fulfilled(n: int, number: str, lines: list[int], status: str = "SUCCESS") -> dict[str, Any]:
    return {"id": f"gid://shopify/Fulfillment/{n}", "status": status,
            "trackingInfo": [{"number": number, "company": "GLS", "url": None}],
            "fulfillmentLineItems": {"nodes": [{"quantity": 1, "lineItem": {"id": f"gid://shopify/LineItem/{li}"}}
                                               for li in lines]}}


@respx.mock
def test_a_corrected_number_updates_the_fulfillment_of_those_lines() -> None:
    route = respx.post(GRAPHQL).mock(side_effect=[
        fos(fo(7, [(1, 0), (2, 0)], status="CLOSED", actions=())),
        answer({"order": {"fulfillments": [fulfilled(51, "OLD-1", [1]), fulfilled(52, "TRK-2", [2])]}}),
        answer({"fulfillmentTrackingInfoUpdate": {"fulfillment": {"id": "gid://shopify/Fulfillment/51"},
                                                  "userErrors": []}})])
    make().push_tracking(shipment("NEW-1", [order_line(1)]))
    update = sent(route.calls[2])
    assert "fulfillmentTrackingInfoUpdate(" in update["query"]
    assert update["variables"] == {"fulfillmentId": "gid://shopify/Fulfillment/51",
                                   "trackingInfoInput": {"number": "NEW-1", "company": "GLS",
                                                         "url": "https://gls.example/t"},
                                   "notifyCustomer": True}


@respx.mock
@pytest.mark.parametrize("fulfillments", [
    [fulfilled(51, "TRK-1", [1])],  # the same number: already there
    [fulfilled(51, "A", [1]), fulfilled(52, "B", [1])],  # which one is ours cannot be told
    [fulfilled(51, "OLD", [1], status="CANCELLED")],
])
def test_no_update_when_the_number_is_there_or_the_fulfillment_is_not_clear(fulfillments: list[Any]) -> None:
    route = respx.post(GRAPHQL).mock(side_effect=[
        fos(fo(7, [(1, 0)], status="CLOSED", actions=())),
        answer({"order": {"fulfillments": copy.deepcopy(fulfillments)}})])
    make().push_tracking(shipment("TRK-1", [order_line(1)]))
    assert route.call_count == 2


def test_refuses_a_non_shopify_order_id() -> None:
    with pytest.raises(errors.FailLoudly):
        make().push_tracking(Shipment(order_external_id="gid://x", tracking=Tracking(supplier_order_id="B",
                                                                                       number="T")))
