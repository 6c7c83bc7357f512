"""The WooCommerce sandbox, driven by the real connector over loopback HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import ClassVar

import httpx
import pytest
from pydantic import SecretStr

from connectors.base import ConnectorConfig
from connectors.records import ChannelOrder, Shipment, Tracking
from connectors.woocommerce import WooAuthError, WooCommerceConnector
from connectors.woocommerce.oauth import OAuth1
from sandbox import seeding, server
from sandbox.woocommerce import WooCommerceSandbox

ORDERS = "/wp-json/wc/v3/orders"


class SmallPages(WooCommerceConnector):
    page_size: ClassVar[int] = 7


def connect(running: server.Running, app: WooCommerceSandbox, *, secret: str | None = None,
            cls: type[WooCommerceConnector] = SmallPages) -> WooCommerceConnector:
    credentials = app.credentials()
    if secret is not None:
        credentials["consumer_secret"] = secret
    config = ConnectorConfig(name="sandbox", kind="woocommerce", url=running.url,
                             credentials={k: SecretStr(v) for k, v in credentials.items()})
    connector = cls(config)
    connector.retry_sleep = lambda seconds: None
    return connector


def pull(connector: WooCommerceConnector, since: datetime | None = None) -> tuple[
        list[ChannelOrder], int]:
    orders: list[ChannelOrder] = []
    token, pages = None, 0
    while True:
        page = connector.fetch_orders(since, token)
        pages += 1
        assert page.rejected == []
        orders += page.orders
        token = page.next_page
        if token is None:
            return orders, pages


@pytest.fixture
def app() -> WooCommerceSandbox:
    return WooCommerceSandbox(seeding.generate("woocommerce"))


@pytest.fixture
def running(app: WooCommerceSandbox) -> Iterator[server.Running]:
    with server.Running(app) as running:
        yield running


@pytest.fixture
def woo(running: server.Running, app: WooCommerceSandbox) -> Iterator[WooCommerceConnector]:
    connector = connect(running, app)
    yield connector
    connector.close()


def test_pages_through_all_30_orders(woo: WooCommerceConnector, app: WooCommerceSandbox) -> None:
    orders, pages = pull(woo)
    assert pages == 5  # 30 orders, 7 a page, each page from a second before the last one read
    assert len({o.external_id for o in orders}) == 30 and len(orders) == 30 + pages - 1
    assert [o.updated_at for o in orders] == sorted(o.updated_at for o in orders)
    specs = {str(s.order_id): s for s in app.specs}
    for order in orders:
        spec = specs[order.external_id]
        assert order.placed_at == spec.created_at  # read from *_gmt, not the shop's local time
        assert order.total == spec.total
        assert [(ln.sku, ln.quantity, ln.unit_price) for ln in order.lines] == [
            (ln.sku, ln.quantity, ln.unit_price) for ln in spec.lines]
        assert order.payment_status == ("paid" if spec.paid else "pending")
        assert order.shipping_address is not None
        assert order.shipping_address.phone == spec.phone  # falls back to billing.phone
        assert order.customer is not None and order.customer.email == spec.email
        assert order.customer.external_id == (
            None if spec.customer_id is None else str(spec.customer_id))


def test_advance_shows_changes_through_modified_after(
    woo: WooCommerceConnector, app: WooCommerceSandbox
) -> None:
    before, _ = pull(woo)
    cursor = max(o.updated_at for o in before)
    assert pull(woo, cursor)[0] == []
    changed = app.advance(1)
    assert len(changed) == 4  # three paid later, one cancelled unpaid
    after, _ = pull(woo, cursor)
    assert sorted(o.external_id for o in after) == sorted(str(i) for i in changed)
    by_id = {o.external_id: o for o in after}
    cancelled = [o for o in after if o.cancelled]
    assert len(cancelled) == 1 and cancelled[0].status == "cancelled"
    paid = [o for o in after if not o.cancelled]
    assert all(o.status == "processing" and o.payment_status == "paid" for o in paid)
    assert all(by_id[o.external_id].updated_at > cursor for o in after)


def test_push_tracking_adds_a_note_and_completes(
    woo: WooCommerceConnector, app: WooCommerceSandbox
) -> None:
    orders, _ = pull(woo)
    target = next(o for o in orders if o.status == "processing")
    cursor = max(o.updated_at for o in orders)
    tracking = Tracking(supplier_order_id="BB-1", number="JJD0099887766", carrier="DHL",
                        url="https://dhl.example/JJD0099887766")
    shipment = Shipment(order_external_id=target.external_id, tracking=tracking)
    woo.push_tracking(shipment)
    woo.push_tracking(shipment)  # a retried job changes nothing
    order_id = int(target.external_id)
    notes = [n["note"] for n in app.notes[order_id]]
    text = "Shipped with DHL: tracking JJD0099887766 https://dhl.example/JJD0099887766"
    assert notes.count(text) == 1
    assert app.notes[order_id][0]["customer_note"] is True
    assert app.completed == [order_id]
    changed, _ = pull(woo, cursor)
    assert [(o.external_id, o.status) for o in changed] == [(target.external_id, "completed")]


def test_malformed_order_is_rejected_among_the_others(
    running: server.Running, app: WooCommerceSandbox
) -> None:
    app.add_raw({"id": 4242, "status": "processing", "total": "oops", "line_items": "none"})
    with connect(running, app, cls=WooCommerceConnector) as woo:
        page = woo.fetch_orders(None)
    assert len(page.orders) == 30 and page.next_page is None
    assert [r.external_id for r in page.rejected] == ["4242"]


def test_wrong_secret_is_refused(running: server.Running, app: WooCommerceSandbox) -> None:
    with connect(running, app, secret="cs_wrong") as woo, pytest.raises(WooAuthError) as caught:
        woo.fetch_orders(None)
    assert "cs_wrong" not in str(caught.value)
    answer = httpx.get(running.url + ORDERS)
    assert answer.status_code == 401
    assert answer.json() == {"code": "woocommerce_rest_cannot_view",
                             "message": "Sorry, you cannot list resources.",
                             "data": {"status": 401}}


def test_query_string_credentials_and_listing_rules(
    running: server.Running, app: WooCommerceSandbox
) -> None:
    app.https = True  # the key pair in the query string is taken over HTTPS only
    params = {**app.credentials(), "per_page": "5", "orderby": "modified", "order": "desc"}
    answer = httpx.get(running.url + ORDERS, params=params)
    assert answer.status_code == 200
    assert answer.headers["X-WP-Total"] == "30" and answer.headers["X-WP-TotalPages"] == "6"
    body = answer.json()
    assert len(body) == 5
    assert body[0]["date_modified_gmt"] >= body[-1]["date_modified_gmt"]
    assert isinstance(body[0]["number"], str)
    assert isinstance(body[0]["line_items"][0]["price"], float)
    assert body[0]["date_created"] != body[0]["date_created_gmt"]  # plain dates are local time
    too_many = httpx.get(running.url + ORDERS, params={**params, "per_page": "101"})
    assert too_many.status_code == 400 and too_many.json()["code"] == "rest_invalid_param"
    missing = httpx.get(running.url + ORDERS + "/99999", params=app.credentials())
    assert missing.status_code == 404


def test_modified_after_is_exclusive_and_reads_local_time_without_dates_are_gmt(
    running: server.Running, app: WooCommerceSandbox
) -> None:
    app.https = True  # the key pair in the query string is taken over HTTPS only
    newest = max(app.specs, key=lambda s: s.updated_at)
    stamp = (newest.updated_at - timedelta(seconds=1)).strftime("%Y-%m-%dT%H:%M:%S")
    gmt = {**app.credentials(), "dates_are_gmt": "true", "modified_after": stamp}
    newer = httpx.get(running.url + ORDERS, params=gmt).json()
    assert [o["id"] for o in newer] == [newest.order_id]
    local = {**gmt, "dates_are_gmt": "false"}  # the same text read as CET is an hour earlier
    assert len(httpx.get(running.url + ORDERS, params=local).json()) > 1
    exact = {**gmt, "modified_after": newest.updated_at.strftime("%Y-%m-%dT%H:%M:%S")}
    assert httpx.get(running.url + ORDERS, params=exact).json() == []


def test_faults_are_ridden_out_by_retries(app: WooCommerceSandbox) -> None:
    app.faults = server.Faults(http_429_rate=0.15, http_5xx_rate=0.15, seed=3)
    with server.Running(app) as running, connect(running, app) as woo:
        orders, _ = pull(woo)
        raw = [httpx.get(running.url + ORDERS, params=app.credentials()) for _ in range(20)]
    assert len({o.external_id for o in orders}) == 30
    statuses = {r.status_code for r in raw}
    assert {429, 503} <= statuses
    html = next(r for r in raw if r.status_code == 503)
    assert html.headers["Content-Type"].startswith("text/html")
    assert next(r for r in raw if r.status_code == 429).headers["Retry-After"] == "1"


def test_control_endpoints(running: server.Running, app: WooCommerceSandbox) -> None:
    advanced = httpx.post(running.url + "/_sandbox/advance", json={"step": 1})
    assert advanced.status_code == 200 and len(advanced.json()["changed"]) == 4
    state = httpx.get(running.url + "/_sandbox/state").json()
    assert state == {"orders": 30, "notes": {}, "completed": []}
    assert httpx.post(running.url + "/_sandbox/advance", json={}).status_code == 400


def test_over_http_only_oauth_is_taken(running: server.Running, app: WooCommerceSandbox) -> None:
    key, secret = app.consumer_key, app.consumer_secret
    assert httpx.get(running.url + ORDERS, auth=(key, secret)).status_code == 401
    assert httpx.get(running.url + ORDERS, params=app.credentials()).status_code == 401
    signed = httpx.get(running.url + ORDERS, auth=OAuth1(key, secret, method="HMAC-SHA1"))
    assert signed.status_code == 200 and isinstance(signed.json(), list)
    wrong = httpx.get(running.url + ORDERS, auth=OAuth1(key, "cs_wrong"))
    assert wrong.status_code == 401
    # a replayed request (same nonce and timestamp) is refused
    request = httpx.Client(auth=OAuth1(key, secret)).build_request("GET", running.url + ORDERS)
    with httpx.Client() as plain:
        first = next(OAuth1(key, secret).auth_flow(request))
        assert plain.send(first).status_code == 200
        assert plain.send(first).status_code == 401


def test_woocommerces_own_python_client_works_over_http(running: server.Running, app: WooCommerceSandbox) -> None:
    from woocommerce import API

    client = API(url=running.url, consumer_key=app.consumer_key, consumer_secret=app.consumer_secret,
                 version="wc/v3", timeout=10)
    answer = client.get("orders", params={"per_page": 5, "orderby": "modified", "order": "asc"})
    assert answer.status_code == 200, answer.text
    assert len(answer.json()) == 5
    order_id = answer.json()[0]["id"]
    note = client.post(f"orders/{order_id}/notes", {"note": "Shipped with GLS: tracking 123"})
    assert note.status_code == 201, note.text


def test_refunded_units_never_reach_the_supplier(woo: WooCommerceConnector, app: WooCommerceSandbox) -> None:
    spec = next(s for s in app.specs if s.paid and not s.cancelled and s.lines[0].quantity >= 1)
    line = spec.lines[0]
    app.refund(spec.order_id, line.line_id, line.quantity)
    orders, _ = pull(woo)
    order = {o.external_id: o for o in orders}[str(spec.order_id)]
    assert order.payment_status == "partially_refunded"
    assert {ln.external_id: ln.quantity for ln in order.lines}[str(line.line_id)] == 0


def test_completed_and_on_hold_orders_through_the_sandbox(woo: WooCommerceConnector,
                                                          app: WooCommerceSandbox, running: server.Running) -> None:
    paid = [s for s in app.specs if s.paid and not s.cancelled][:2]
    with httpx.Client(base_url=running.url, auth=OAuth1(app.consumer_key, app.consumer_secret)) as shop:
        for spec, status in zip(paid, ("completed", "on-hold"), strict=True):
            assert shop.put(f"{ORDERS}/{spec.order_id}", json={"status": status}).status_code == 200
    orders = {o.external_id: o for o in pull(woo)[0]}
    completed, held = orders[str(paid[0].order_id)], orders[str(paid[1].order_id)]
    assert completed.fulfilled_on_channel and completed.payment_status == "paid"
    assert held.payment_status == "pending" and held.raw["date_paid"] is not None


def test_virtual_products_are_set_apart_through_the_sandbox(woo: WooCommerceConnector,
                                                            app: WooCommerceSandbox) -> None:
    spec = next(s for s in app.specs if len(s.lines) >= 2)
    app.virtual_skus.add(spec.lines[0].sku)
    order = {o.external_id: o for o in pull(woo)[0]}[str(spec.order_id)]
    assert spec.lines[0].sku in [ln.sku for ln in order.unshipped_lines]
    assert spec.lines[0].sku not in [ln.sku for ln in order.lines]
