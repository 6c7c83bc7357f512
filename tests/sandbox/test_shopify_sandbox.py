"""The real Shopify connector against the Shopify sandbox on loopback."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from connectors import errors
from connectors.base import ConnectorConfig
from connectors.records import ChannelOrder, OrderLine, OrderPage, Shipment, Tracking
from connectors.shopify import ShopifyAuthError, ShopifyConnector
from sandbox import seeding, server
from sandbox.shopify import ShopifySandbox

API = "/admin/api/2024-10"


class SmallPages(ShopifyConnector):
    page_size = 7


@pytest.fixture
def sandbox() -> ShopifySandbox:
    return ShopifySandbox(seeding.generate("shopify"))


@pytest.fixture
def running(sandbox: ShopifySandbox) -> Iterator[server.Running]:
    with server.Running(sandbox) as run:
        yield run


def connect(run: server.Running, cls: type[ShopifyConnector] = SmallPages, token: str | None = None,
            **settings: Any) -> ShopifyConnector:
    app = run.app
    assert isinstance(app, ShopifySandbox)
    secret = SecretStr(token or app.credentials()["access_token"])
    config = ConnectorConfig(name="sandbox", kind="shopify", url=run.url, credentials={"access_token": secret},
                             settings=settings)
    connector = cls(config)
    connector.sleep = lambda seconds: None  # Retry-After is honoured by count, not by waiting
    return connector


def pull(connector: ShopifyConnector, since: datetime | None = None) -> tuple[list[ChannelOrder], list[OrderPage]]:
    pages = [connector.fetch_orders(since)]
    while pages[-1].next_page:
        pages.append(connector.fetch_orders(since, pages[-1].next_page))
    return [o for page in pages for o in page.orders], pages


def raw_client(run: server.Running, token: str = "shpat_sandbox") -> httpx.Client:
    return httpx.Client(base_url=run.url, headers={"X-Shopify-Access-Token": token})


def shipment(order_id: str, number: str, lines: list[OrderLine] | None = None) -> Shipment:
    return Shipment(order_external_id=order_id, lines=lines or [],
                    tracking=Tracking(supplier_order_id="BB-1", number=number, carrier="GLS",
                                      url=f"https://gls.example/{number}"))


def test_pages_through_all_orders(running: server.Running) -> None:
    orders, pages = pull(connect(running))
    assert len(orders) == 30
    assert len({o.external_id for o in orders}) == 30
    assert len(pages) == 5 and all(len(p.orders) <= 7 for p in pages)
    assert all(not p.rejected for p in pages)
    stamps = [o.updated_at for o in orders]
    assert stamps == sorted(stamps)
    assert sum(o.customer is None for o in orders) > 0  # guests are rendered with customer null
    assert {o.payment_status for o in orders} == {"paid", "pending"}


def test_rendered_order_matches_the_spec(sandbox: ShopifySandbox, running: server.Running) -> None:
    spec = seeding.generate("shopify")[0]
    with raw_client(running) as http:
        body = http.get(f"{API}/orders/{spec.order_id}.json").json()["order"]
    assert body["name"] == f"#{spec.number}" and body["order_number"] == spec.number
    assert body["total_price"] == f"{spec.total:.2f}"
    assert isinstance(body["line_items"][0]["price"], str)
    order = ShopifyConnector.parse_order(body)
    assert order.total == spec.total
    assert [(ln.sku, ln.external_id) for ln in order.lines] == [(ln.sku, str(ln.line_id)) for ln in spec.lines]
    assert order.updated_at == spec.updated_at
    assert order.shipping_address is not None and order.shipping_address.postcode == spec.postcode


def test_advance_shows_changed_orders_via_updated_at_min(sandbox: ShopifySandbox, running: server.Running) -> None:
    connector = connect(running)
    before, _ = pull(connector)
    cursor = max(o.updated_at for o in before)
    changed = sandbox.advance(1)
    assert changed
    after, _ = pull(connector, since=cursor)
    by_id = {o.external_id: o for o in after}
    for spec in changed:
        order = by_id[str(spec.order_id)]
        assert order.updated_at > cursor
        if spec.cancelled:
            assert order.cancelled and order.status == "cancelled"
        else:
            assert order.payment_status == "paid"
    # only the overlap (orders stamped exactly at the cursor) comes back besides the changed ones
    assert set(by_id) - {str(s.order_id) for s in changed} <= {o.external_id for o in before if o.updated_at == cursor}


def test_push_tracking_records_fulfillment_and_second_push_is_harmless(
    sandbox: ShopifySandbox, running: server.Running
) -> None:
    connector = connect(running)
    orders, _ = pull(connector)
    order = next(o for o in orders if len(o.lines) == 1 and not o.cancelled)
    connector.push_tracking(shipment(order.external_id, "TRK-1"))
    assert len(sandbox.fulfillments) == 1
    done = sandbox.fulfillments[0]
    assert done["order_id"] == int(order.external_id)
    assert done["tracking_number"] == "TRK-1" and done["tracking_company"] == "GLS"
    assert [li["id"] for li in done["line_items"]] == [int(order.lines[0].external_id or 0)]
    connector.push_tracking(shipment(order.external_id, "TRK-1"))
    connector.push_tracking(shipment(order.external_id, "TRK-1", order.lines))
    assert len(sandbox.fulfillments) == 1
    again = ShopifyConnector.parse_order(
        raw_client(running).get(f"{API}/orders/{order.external_id}.json").json()["order"])
    assert again.status == "fulfilled" and again.updated_at > order.updated_at


def test_push_tracking_of_some_lines_across_two_locations(sandbox: ShopifySandbox, running: server.Running) -> None:
    connector = connect(running)
    orders, _ = pull(connector)
    order = next(o for o in orders if len(o.lines) == 2)
    connector.push_tracking(shipment(order.external_id, "PART-1", order.lines[:1]))
    assert len(sandbox.fulfillments) == 1
    assert [li["id"] for li in sandbox.fulfillments[0]["line_items"]] == [int(order.lines[0].external_id or 0)]
    connector.push_tracking(shipment(order.external_id, "PART-2"))  # the rest
    assert len(sandbox.fulfillments) == 2
    assert [li["id"] for li in sandbox.fulfillments[1]["line_items"]] == [int(order.lines[1].external_id or 0)]


def test_fulfilling_a_closed_fulfillment_order_is_refused(running: server.Running) -> None:
    order_id = seeding.generate("shopify")[0].order_id
    with raw_client(running) as http:
        fos = http.get(f"{API}/orders/{order_id}/fulfillment_orders.json").json()["fulfillment_orders"]
        body = {"fulfillment": {"line_items_by_fulfillment_order": [{"fulfillment_order_id": fos[0]["id"]}],
                                "tracking_info": {"number": "X1"}}}
        assert http.post(f"{API}/fulfillments.json", json=body).status_code == 201
        again = http.post(f"{API}/fulfillments.json", json=body)
        assert again.status_code == 422 and "errors" in again.json()
        bad: dict[str, Any] = {"fulfillment": {"line_items_by_fulfillment_order": []}}
        assert http.post(f"{API}/fulfillments.json", json=bad).status_code == 400


def test_paging_rules_are_strict(running: server.Running) -> None:
    with raw_client(running) as http:
        first = http.get(f"{API}/orders.json", params={"status": "any", "limit": 5, "order": "updated_at asc"})
        assert first.status_code == 200 and len(first.json()["orders"]) == 5
        token = httpx.URL(first.links["next"]["url"]).params["page_info"]
        mixed = http.get(f"{API}/orders.json", params={"page_info": token, "status": "any"})
        assert mixed.status_code == 400
        second = http.get(f"{API}/orders.json", params={"page_info": token, "limit": 5})
        assert second.status_code == 200 and 'rel="previous"' in second.headers["link"]
        back = httpx.URL(second.links["previous"]["url"]).params["page_info"]
        again = http.get(f"{API}/orders.json", params={"page_info": back, "limit": 5})
        assert [o["id"] for o in again.json()["orders"]] == [o["id"] for o in first.json()["orders"]]
        assert http.get(f"{API}/orders.json", params={"limit": 251}).status_code == 400
        assert http.get(f"{API}/orders.json", params={"page_info": "garbage"}).status_code == 400
        assert "/40" in first.headers["X-Shopify-Shop-Api-Call-Limit"]
        # the default status is "open": cancelled orders only show with status=any
        assert all(o["cancelled_at"] is None for o in http.get(f"{API}/orders.json").json()["orders"])


def test_wrong_token_is_401_and_auth_error(running: server.Running) -> None:
    with raw_client(running, token="shpat_wrong") as http:
        answer = http.get(f"{API}/orders.json")
    assert answer.status_code == 401 and "Invalid API key or access token" in answer.json()["errors"]
    with pytest.raises(ShopifyAuthError) as info:
        connect(running, token="shpat_wrong").fetch_orders(None)
    assert "shpat_wrong" not in str(info.value)


def test_malformed_raw_order_is_rejected_and_the_rest_parsed(sandbox: ShopifySandbox, running: server.Running) -> None:
    with raw_client(running) as http:  # a real shape with one broken field
        good = http.get(f"{API}/orders/1001.json").json()["order"]
    sandbox.add_raw(good | {"id": 4242, "total_price": "abc", "updated_at": "2026-11-02T10:00:00+01:00"})
    orders, pages = pull(connect(running))
    assert len(orders) == 30
    rejected = [r for p in pages for r in p.rejected]
    assert [r.external_id for r in rejected] == ["4242"] and "total_price" in rejected[0].error


def test_leaky_bucket_throttles_bursts_and_the_connector_slows_down() -> None:
    sandbox = ShopifySandbox(seeding.generate("shopify"), bucket_size=3, leak_rate=0.5)
    with server.Running(sandbox) as run:
        with raw_client(run) as http:
            answers = [http.get(f"{API}/orders.json", params={"limit": 1}) for _ in range(4)]
        assert [a.status_code for a in answers] == [200, 200, 200, 429]
        assert answers[2].headers["X-Shopify-Shop-Api-Call-Limit"] == "3/3"
        assert float(answers[3].headers["Retry-After"]) > 0
        sandbox.bucket.level = 0.0
        connector = connect(run, cls=SmallPages)
        waits: list[float] = []
        connector.sleep = waits.append
        connector.fetch_orders(None)
        connector.fetch_orders(None)
    assert connector.last_call_limit == (2, 3)
    assert waits == [ShopifyConnector.near_limit_pause]


def test_fault_injection_is_survived() -> None:
    faults = server.Faults(http_429_rate=0.2, http_5xx_rate=0.1, seed=3)
    with server.Running(ShopifySandbox(seeding.generate("shopify"), faults=faults)) as run:
        orders, _ = pull(connect(run))
        with raw_client(run) as http:
            codes = {http.get(f"{API}/orders.json").status_code for _ in range(30)}
    assert len(orders) == 30
    assert {429, 503} <= codes


def test_control_endpoints(sandbox: ShopifySandbox, running: server.Running) -> None:
    with httpx.Client(base_url=running.url) as http:
        assert http.get("/_sandbox/state").json() == {"orders": 30, "fulfillments": []}
        changed = http.post("/_sandbox/advance", json={"step": 1}).json()["changed"]
    assert len(changed) == 4  # three paid later, one cancelled
    sandbox.add_orders(seeding.generate("shopify", first_id=5001)[:2])
    assert len(pull(connect(running))[0]) == 32


def test_cancelled_order_cannot_be_fulfilled(sandbox: ShopifySandbox, running: server.Running) -> None:
    sandbox.advance(1)
    connector = connect(running)
    cancelled = [o for o in pull(connector)[0] if o.cancelled]
    assert cancelled
    connector.push_tracking(shipment(cancelled[0].external_id, "NOPE"))
    assert sandbox.fulfillments == []


def test_unknown_order_fails_loudly(running: server.Running) -> None:
    with pytest.raises(errors.FailLoudly):
        connect(running).push_tracking(shipment("999999", "X"))


def test_an_order_fulfilled_on_the_shop_reads_as_fulfilled_on_channel(running: server.Running) -> None:
    from sync.evaluate import judge
    from sync.states import Status
    from validation import Context

    shop = connect(running)
    orders, _ = pull(shop)
    target = next(o for o in orders if o.payment_status == "paid" and not o.cancelled)
    assert not target.fulfilled_on_channel
    shop.push_tracking(shipment(target.external_id, "TRACK-FULL-1"))  # every line, as the shop's staff would
    again = {o.external_id: o for o in pull(shop)[0]}[target.external_id]
    assert again.fulfilled_on_channel and again.status == "fulfilled"
    assert judge(again, Context(), {}).status is Status.FULFILLED_ON_CHANNEL


def test_removed_units_and_gift_cards_read_through_the_sandbox(sandbox: ShopifySandbox,
                                                               running: server.Running) -> None:
    shop = connect(running)
    body = shop.client.get(f"{API}/orders.json", params={"limit": 1}).json()["orders"][0]
    body = body | {"id": 990_000_001, "name": "#9901", "updated_at": "2026-12-01T10:00:00+00:00"}
    items = body["line_items"]
    items[0] |= {"quantity": 3, "current_quantity": 1}
    items.append(items[0] | {"id": items[0]["id"] + 1, "sku": "GIFT-25", "gift_card": True})
    sandbox.add_raw(body)
    order = {o.external_id: o for o in pull(shop)[0]}["990000001"]
    assert order.lines[0].quantity == 1
    assert [ln.sku for ln in order.unshipped_lines] == ["GIFT-25"]


def test_an_unsupported_api_version_is_served_as_the_oldest_and_logged(
        running: server.Running, caplog: pytest.LogCaptureFixture) -> None:
    import logging

    shop = connect(running, api_version="2023-01")
    with caplog.at_level(logging.INFO, logger="connectors.shopify.connector"):
        shop.fetch_orders(None)
    assert shop.served_api_version == "2024-10"
    assert any("2024-10" in r.getMessage() and "2023-01" in r.getMessage() for r in caplog.records)


def test_a_refused_stored_page_info_restarts_from_the_cursor(running: server.Running) -> None:
    shop = connect(running)
    first = shop.fetch_orders(None)
    again = shop.fetch_orders(None, "an-expired-page-info")  # the sandbox answers 400 as Shopify does
    assert [o.external_id for o in again.orders] == [o.external_id for o in first.orders]
