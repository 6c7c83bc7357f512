"""What a WooCommerce order means for the supplier: fulfilled on the shop, refunded units, held
orders, and paging that never skips an order which changes during a pull."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, ClassVar

import httpx
import pytest
import respx
from pydantic import SecretStr

from connectors.base import ConnectorConfig
from connectors.woocommerce import WooCommerceConnector
from connectors.woocommerce.parse import parse_order
from sync.evaluate import judge
from sync.states import Status
from validation import Context

import support

BASE = "https://shop.example"
ORDERS = "/wp-json/wc/v3/orders"


def order_727() -> dict[str, Any]:
    body: dict[str, Any] = json.loads(support.payload("woocommerce", "orders__retrieve-an-order.response.json")
                                      .read_text())
    return body


def connector(cls: type[WooCommerceConnector] = WooCommerceConnector) -> WooCommerceConnector:
    config = ConnectorConfig(name="shop", kind="woocommerce", url=BASE,
                             credentials={"consumer_key": SecretStr("ck_1"), "consumer_secret": SecretStr("cs_1")})
    woo = cls(config)
    woo.retry_sleep = lambda seconds: None
    return woo


@pytest.fixture
def api() -> Iterator[respx.MockRouter]:
    with respx.mock(base_url=BASE, assert_all_called=False) as router:
        # no line of the sample orders is a virtual product
        router.get(path__regex=r"^/wp-json/wc/v3/products(/\d+/variations)?$").mock(
            return_value=httpx.Response(200, json=[]))
        yield router


def verdict(body: dict[str, Any]) -> Status:
    return judge(parse_order(body), Context(), {}).status


def clean_727() -> dict[str, Any]:
    """Order 727 with a SKU on its first line, so that nothing but its status is judged."""
    body = order_727()
    body["line_items"][0]["sku"] = "WOO-SINGLE-1"
    return body


def test_completed_order_is_fulfilled_on_the_shop_and_never_ready() -> None:
    body = dict(clean_727(), status="completed")
    order = parse_order(body)
    assert order.fulfilled_on_channel and order.payment_status == "paid"
    assert verdict(body) is Status.FULFILLED_ON_CHANNEL
    assert verdict(dict(body, status="processing")) is Status.READY


def test_on_hold_with_date_paid_waits_for_payment() -> None:
    body = clean_727()
    assert body["date_paid"] is not None
    assert verdict(dict(body, status="on-hold")) is Status.AWAITING_PAYMENT
    assert verdict(body) is Status.READY  # processing


def refund(line_id: int, quantity: int) -> dict[str, Any]:
    """One refund as ``GET /orders/<id>/refunds`` answers it."""
    return {"id": 726, "date_created_gmt": "2017-03-23T10:00:00", "amount": "10.00", "reason": "",
            "refunded_by": 1, "refunded_payment": False, "meta_data": [],
            "line_items": [{"id": 900, "name": "Woo Single #1", "product_id": 93, "variation_id": 0,
                            "quantity": -quantity, "tax_class": "", "subtotal": "-6.00", "total": "-6.00",
                            "taxes": [], "sku": "", "price": -3,
                            "meta_data": [{"id": 901, "key": "_refunded_item_id", "value": str(line_id)}]}]}


def test_refunded_units_are_read_from_the_refunds_and_never_sent(api: respx.MockRouter) -> None:
    body = order_727()
    first, second = body["line_items"][0], body["line_items"][1]
    body["refunds"] = [{"id": 726, "reason": "", "total": "-6.00"}]
    listing = api.get(ORDERS).mock(return_value=httpx.Response(200, json=[body], headers={"X-WP-TotalPages": "1"}))
    refunds = api.get(f"{ORDERS}/727/refunds").mock(return_value=httpx.Response(
        200, json=[refund(first["id"], 1), refund(first["id"], first["quantity"] - 1)]))
    with connector() as woo:
        page = woo.fetch_orders(None)
    assert listing.called and refunds.called
    [order] = page.orders
    quantities = {ln.external_id: ln.quantity for ln in order.lines}
    assert quantities == {str(first["id"]): 0, str(second["id"]): second["quantity"]}
    assert order.payment_status == "partially_refunded"
    # the first line has no SKU: refunded whole, it is no longer a flaw, and the rest goes on
    assert [i.code for i in judge(parse_order(body), Context(), {}).issues] == ["missing_sku"]
    assert judge(order, Context(), {}).status is Status.READY


def test_a_refund_naming_its_item_with_half_a_character_quarantines_the_order_by_name(
        api: respx.MockRouter) -> None:
    """The refund's item names go into the stored body: held to what the body itself is held to."""
    body = order_727()
    body["refunds"] = [{"id": 726, "reason": "", "total": "-6.00"}]
    api.get(ORDERS).mock(return_value=httpx.Response(200, json=[body], headers={"X-WP-TotalPages": "1"}))
    answer = json.dumps([refund(body["line_items"][0]["id"], 1)]).replace("Woo Single #1", "Woo \\ud83d")
    api.get(f"{ORDERS}/727/refunds").mock(return_value=httpx.Response(
        200, content=answer.encode(), headers={"content-type": "application/json"}))
    with connector() as woo:
        page = woo.fetch_orders(None)
    assert page.orders == [] and [r.external_id for r in page.rejected] == ["727"]
    assert page.rejected[0].error == ("refunds: refunds[0].line_items[0].name holds half a character "
                                      "(a lone UTF-16 surrogate)")


def test_each_refunds_units_are_kept_in_the_stored_body_and_counted_once(api: respx.MockRouter) -> None:
    from connectors.woocommerce.refunds import refunds_in

    body = order_727()
    first, second = body["line_items"][0], body["line_items"][1]
    body["refunds"] = [{"id": 726, "reason": "broken", "total": "-3.00"}, {"id": 730, "reason": "", "total": "-9.00"}]
    api.get(ORDERS).mock(return_value=httpx.Response(200, json=[body], headers={"X-WP-TotalPages": "1"}))
    later = dict(refund(second["id"], 1), id=730)
    later["line_items"][0].update(sku="WOO-2", name="Woo Two")
    api.get(f"{ORDERS}/727/refunds").mock(return_value=httpx.Response(200, json=[later, refund(first["id"], 1)]))
    with connector() as woo:
        [order] = woo.fetch_orders(None).orders
    shown = refunds_in(order.raw)
    assert [(f.external_id, f.amount, f.reason) for f in shown] == [("726", Decimal("3.00"), "broken"),
                                                                   ("730", Decimal("9.00"), "")]
    assert [(ln.sku, ln.quantity, ln.line_external_id) for ln in shown[0].lines] == [(None, 1, str(first["id"]))]
    assert [(ln.sku, ln.quantity, ln.line_external_id, ln.title) for ln in shown[1].lines] == [
        ("WOO-2", 1, str(second["id"]), "Woo Two")]
    assert body["refunds"][0] == {"id": 726, "reason": "broken", "total": "-3.00"}  # the body read is left as it was
    # the stored body read again gives the same lines: the units are taken off once
    assert [(ln.external_id, ln.quantity) for ln in parse_order(order.raw).lines] == [
        (ln.external_id, ln.quantity) for ln in order.lines]
    assert {ln.external_id: ln.quantity for ln in order.lines}[str(second["id"])] == second["quantity"] - 1
    assert not order.store_checked  # the body changed: the store checks it again


def test_order_without_refunds_costs_no_refunds_call(api: respx.MockRouter) -> None:
    api.get(ORDERS).mock(return_value=httpx.Response(200, json=[order_727()], headers={"X-WP-TotalPages": "1"}))
    refunds = api.get(f"{ORDERS}/727/refunds").mock(return_value=httpx.Response(200, json=[]))
    with connector() as woo:
        woo.fetch_orders(None)
    assert not refunds.called


class _Shop:
    """A list of orders served as wc/v3 does: ``orderby=modified`` ascending, ``modified_after``
    exclusive, paged by number; ``touch`` changes an order between two requests."""

    def __init__(self, count: int) -> None:
        start = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
        self.modified = {1000 + n: start + timedelta(minutes=n) for n in range(count)}
        self.requests = 0
        self.on_request: dict[int, int] = {}  # request number -> order id to touch before answering

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests += 1
        touched = self.on_request.get(self.requests)
        if touched is not None:
            self.modified[touched] = max(self.modified.values()) + timedelta(minutes=1)
        params = request.url.params
        after = params.get("modified_after")
        rows = sorted(self.modified.items(), key=lambda kv: (kv[1], kv[0]))
        if after:
            cut = datetime.fromisoformat(after).replace(tzinfo=UTC)
            rows = [r for r in rows if r[1] > cut]
        per_page, page = int(params["per_page"]), int(params["page"])
        body = []
        for order_id, at in rows[(page - 1) * per_page:page * per_page]:
            body.append(dict(order_727(), id=order_id, number=str(order_id),
                             date_modified_gmt=at.replace(tzinfo=None).isoformat()))
        pages = max(1, -(-len(rows) // per_page))
        return httpx.Response(200, json=body, headers={"X-WP-TotalPages": str(pages), "X-WP-Total": str(len(rows))})


class _SmallPages(WooCommerceConnector):
    page_size: ClassVar[int] = 3


def test_an_order_changed_during_a_pull_skips_nothing(api: respx.MockRouter) -> None:
    shop = _Shop(9)
    shop.on_request[2] = 1001  # while page 2 is asked, an order of page 1 changes and moves last
    api.get(ORDERS).mock(side_effect=shop)
    seen: set[str] = set()
    with connector(_SmallPages) as woo:
        token = None
        for _ in range(20):
            page = woo.fetch_orders(None, token)
            seen.update(o.external_id for o in page.orders)
            token = page.next_page
            if token is None:
                break
    # by page number, order 1003 would have slid onto page 1 after it was read: never seen
    assert seen == {str(i) for i in shop.modified}


def test_a_stored_token_resumes_at_its_position_not_at_an_offset(api: respx.MockRouter) -> None:
    shop = _Shop(9)
    api.get(ORDERS).mock(side_effect=shop)
    with connector(_SmallPages) as woo:
        first = woo.fetch_orders(None)
        assert first.next_page is not None
        # between two pulls, two orders already read change and move to the end of the list
        shop.on_request[shop.requests + 1] = 1000
        shop.on_request[shop.requests + 2] = 1001
        resumed = woo.fetch_orders(None, first.next_page)
    # page 2 by number would now start at 1005; the token starts after the last order read
    assert [o.external_id for o in resumed.orders] == ["1002", "1003", "1004"]


def test_over_http_requests_are_signed_with_oauth_and_carry_no_keys() -> None:
    from sandbox.server import Request
    from sandbox.woocommerce_auth import Credentials

    config = ConnectorConfig(name="shop", kind="woocommerce", url="http://shop.example",
                             credentials={"consumer_key": SecretStr("ck_1"), "consumer_secret": SecretStr("cs_1")},
                             settings={"query_string_auth": True})
    with respx.mock(assert_all_called=False) as api, WooCommerceConnector(config) as woo:
        route = api.get("http://shop.example" + ORDERS).mock(
            return_value=httpx.Response(200, json=[], headers={"X-WP-TotalPages": "1"}))
        api.get(path__regex=r"^/wp-json/wc/v3/products(/\d+/variations)?$").mock(
            return_value=httpx.Response(200, json=[]))
        woo.fetch_orders(datetime(2026, 11, 2, 9, 0, tzinfo=UTC))
    sent = route.calls.last.request
    assert "authorization" not in sent.headers and "cs_1" not in str(sent.url)
    assert sent.url.params["oauth_signature_method"] == "HMAC-SHA256"
    query: dict[str, list[str]] = {}
    for k, v in sent.url.params.multi_items():
        query.setdefault(k, []).append(v)
    # checked the way WooCommerce checks it (the sandbox's copy of WC_REST_Authentication)
    as_received = Request(method="GET", path=sent.url.path, query=query, headers={"host": "shop.example"}, body=b"")
    assert Credentials("ck_1", "cs_1").authorized(as_received, https=False)
    assert not Credentials("ck_1", "cs_2").authorized(as_received, https=False)


def test_over_https_the_keys_go_as_basic_auth(api: respx.MockRouter) -> None:
    route = api.get(ORDERS).mock(return_value=httpx.Response(200, json=[], headers={"X-WP-TotalPages": "1"}))
    with connector() as woo:
        woo.fetch_orders(None)
    sent = route.calls.last.request
    assert sent.headers["authorization"].startswith("Basic ") and "oauth_signature" not in sent.url.params


def test_virtual_products_are_set_apart_and_never_flagged() -> None:
    body = order_727()  # line 0 (product 93, no SKU) and line 1 (Bar3, a variation of 22)
    with respx.mock(base_url=BASE) as api:
        _virtual_first_line(api, body)


def _virtual_first_line(api: respx.MockRouter, body: dict[str, Any]) -> None:
    first, second = body["line_items"]
    api.get(ORDERS).mock(return_value=httpx.Response(200, json=[body], headers={"X-WP-TotalPages": "1"}))
    products = api.get("/wp-json/wc/v3/products").mock(return_value=httpx.Response(200, json=[
        {"id": first["product_id"], "virtual": True, "downloadable": True}]))
    variations = api.get(f"/wp-json/wc/v3/products/{second['product_id']}/variations").mock(
        return_value=httpx.Response(200, json=[{"id": second["variation_id"], "virtual": False}]))
    with connector() as woo:
        [order] = woo.fetch_orders(None).orders
        woo.fetch_orders(None)  # the flags are remembered: no second products call
    assert products.call_count == 1
    assert variations.call_count == (1 if second["variation_id"] else 0)
    assert products.calls.last.request.url.params["include"] == str(first["product_id"])
    assert [ln.external_id for ln in order.unshipped_lines] == [str(first["id"])]
    assert [ln.external_id for ln in order.lines] == [str(second["id"])]
    # the virtual line has no SKU: set apart, it is no longer a flaw
    assert judge(order, Context(), {}).status is Status.READY
