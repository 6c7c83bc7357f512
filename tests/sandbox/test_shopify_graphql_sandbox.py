"""The Shopify GraphQL connector against the Shopify sandbox's GraphQL endpoint on loopback."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from connectors import errors
from connectors.base import ConnectorConfig
from connectors.records import ChannelOrder, OrderLine, Shipment, Tracking
from connectors.shopify import ShopifyAuthError, ShopifyConnector, ShopifyRateLimited
from connectors.shopify.graphql import ShopifyGraphQLConnector
from sandbox import seeding, server
from sandbox.shopify import ShopifySandbox
from sandbox.shopify_graphql import CostBucket

API = "/admin/api/2024-10"


class Clock:
    """One clock for the connector's waits and the sandbox's bucket: a wait restores points."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def sandbox(clock: Clock) -> ShopifySandbox:
    shop = ShopifySandbox(seeding.generate("shopify"))
    shop.graphql.bucket = CostBucket(clock=clock)
    return shop


@pytest.fixture
def running(sandbox: ShopifySandbox) -> Iterator[server.Running]:
    with server.Running(sandbox) as run:
        yield run


def connect(run: server.Running, token: str | None = None, **settings: Any) -> ShopifyGraphQLConnector:
    app = run.app
    assert isinstance(app, ShopifySandbox)
    secret = SecretStr(token or app.credentials()["access_token"])
    config = ConnectorConfig(name="sandbox", kind="shopify", url=run.url, credentials={"access_token": secret},
                             settings={"api": "graphql", "page_size": 7, **settings})
    connector = ShopifyConnector(config)
    assert isinstance(connector, ShopifyGraphQLConnector)
    clock = app.graphql.bucket.clock
    assert isinstance(clock, Clock)
    connector.sleep, connector.clock = clock.sleep, clock
    return connector


def pull(connector: ShopifyConnector, since: datetime | None = None) -> tuple[list[ChannelOrder], int]:
    pages = [connector.fetch_orders(since)]
    while pages[-1].next_page:
        pages.append(connector.fetch_orders(since, pages[-1].next_page))
    assert all(not p.rejected for p in pages)
    return [o for page in pages for o in page.orders], len(pages)


def rest_orders(run: server.Running) -> dict[str, ChannelOrder]:
    with httpx.Client(base_url=run.url, headers={"X-Shopify-Access-Token": "shpat_sandbox"}) as http:
        body = http.get(f"{API}/orders.json", params={"status": "any", "limit": 250}).json()
    return {o.external_id: o for o in (ShopifyConnector.parse_order(b) for b in body["orders"])}


def shipment(order_id: str, number: str, lines: list[OrderLine] | None = None) -> Shipment:
    return Shipment(order_external_id=order_id, lines=lines or [],
                    tracking=Tracking(supplier_order_id="BB-1", number=number, carrier="GLS",
                                      url=f"https://gls.example/{number}"))


def test_pages_to_the_end_and_reads_what_rest_reads(running: server.Running) -> None:
    orders, pages = pull(connect(running))
    assert len(orders) == 30 and len({o.external_id for o in orders}) == 30
    assert pages == 5
    stamps = [o.updated_at for o in orders]
    assert stamps == sorted(stamps)
    rest = rest_orders(running)
    for order in orders:
        same = rest[order.external_id]
        assert order.model_dump(exclude={"raw"}) == same.model_dump(exclude={"raw"})


def test_since_reads_only_orders_changed_after_it(sandbox: ShopifySandbox, running: server.Running) -> None:
    connector = connect(running)
    orders, _ = pull(connector)
    since = max(o.updated_at for o in orders)
    changed = sandbox.advance(1)
    later, _ = pull(connector, since)
    assert changed and {o.external_id for o in later} >= {str(s.order_id) for s in changed}
    assert all(o.updated_at >= since for o in later)


def test_orders_with_more_lines_than_asked_are_completed(sandbox: ShopifySandbox, running: server.Running) -> None:
    orders, _ = pull(connect(running, lines_per_order=1))
    many = [o for o in orders if len(o.lines) > 1]
    assert many
    assert "OrderLines" in sandbox.graphql.queries
    rest = rest_orders(running)
    assert all([ln.external_id for ln in o.lines] == [ln.external_id for ln in rest[o.external_id].lines]
               for o in many)


def test_throttled_queries_wait_for_the_restore_and_go_on(sandbox: ShopifySandbox, running: server.Running,
                                                          clock: Clock) -> None:
    connector = connect(running)
    sandbox.graphql.throttle_next = 2
    orders, _ = pull(connector)
    assert len(orders) == 30
    assert sandbox.graphql.throttled == 2 and len(clock.sleeps) >= 2  # each refusal was waited out
    assert connector.budget is not None and connector.budget.maximum == 1000.0


def test_throttled_without_end_raises_rate_limited(sandbox: ShopifySandbox, running: server.Running) -> None:
    sandbox.graphql.throttle_next = 100
    with pytest.raises(ShopifyRateLimited):
        connect(running).fetch_orders(None)


def test_a_small_bucket_makes_the_connector_wait_before_sending(sandbox: ShopifySandbox,
                                                                 running: server.Running, clock: Clock) -> None:
    # Shopify's smallest bucket (1,000 points, the standard plans'): pages of 7 orders with their
    # refunds cost ~500 points each, so the 30 orders need the bucket to refill on the way
    sandbox.graphql.bucket.maximum = sandbox.graphql.bucket.available = 1000.0
    connector = connect(running)
    orders, _ = pull(connector)
    assert len(orders) == 30
    assert clock.sleeps  # paced by the reported bucket
    assert sandbox.graphql.throttled == 0  # it waited before sending instead of being refused


def test_page_size_past_the_cost_cap_is_lowered(running: server.Running) -> None:
    connector = connect(running, page_size=250)
    orders, _ = pull(connector)
    assert len(orders) == 30  # a page over 1000 points would have been MAX_COST_EXCEEDED


def test_check_and_wrong_token(running: server.Running) -> None:
    assert "shop" in connect(running).check()
    with pytest.raises(ShopifyAuthError) as caught:
        connect(running, token="shpat_wrong_secret").check()
    assert "shpat_wrong_secret" not in str(caught.value)


def test_push_tracking_then_a_second_parcel_then_a_correction(sandbox: ShopifySandbox,
                                                              running: server.Running) -> None:
    connector = connect(running)
    orders, _ = pull(connector)
    order = next(o for o in orders if len(o.lines) >= 2 and not o.cancelled)
    first, rest = order.lines[:1], order.lines[1:]
    connector.push_tracking(shipment(order.external_id, "PARCEL-1", first))
    connector.push_tracking(shipment(order.external_id, "PARCEL-1", first))  # again: harmless
    assert [f["tracking_number"] for f in sandbox.fulfillments] == ["PARCEL-1"]
    connector.push_tracking(shipment(order.external_id, "PARCEL-2", rest))
    numbers = [f["tracking_number"] for f in sandbox.fulfillments]
    assert numbers[0] == "PARCEL-1" and set(numbers[1:]) == {"PARCEL-2"}
    connector.push_tracking(shipment(order.external_id, "PARCEL-1B", first))  # corrected number
    assert sandbox.fulfillments[0]["tracking_number"] == "PARCEL-1B"
    assert {f["tracking_number"] for f in sandbox.fulfillments[1:]} == {"PARCEL-2"}
    again = rest_orders(running)[order.external_id]
    assert again.status == "fulfilled"
    assert "FulfillmentCreate" in sandbox.graphql.queries and "TrackingUpdate" in sandbox.graphql.queries


def test_fulfilment_service_lines_are_reported_not_done(sandbox: ShopifySandbox, running: server.Running) -> None:
    connector = connect(running)
    orders, _ = pull(connector)
    order = next(o for o in orders if not o.cancelled)
    sandbox.graphql.service_orders.add(int(order.external_id))
    with pytest.raises(errors.FailLoudly, match="fulfilment service"):
        connector.push_tracking(shipment(order.external_id, "TRK-S"))
    assert sandbox.fulfillments == []


def test_sandbox_refuses_a_query_priced_over_the_cap(running: server.Running) -> None:
    with httpx.Client(base_url=running.url, headers={"X-Shopify-Access-Token": "shpat_sandbox"}) as http:
        body = http.post(f"{API}/graphql.json", json={
            "query": "query Orders($first: Int!, $lines: Int!) { orders(first: $first) { nodes { id } } }",
            "variables": {"first": 100, "lines": 10}}).json()
    assert body["errors"][0]["extensions"]["code"] == "MAX_COST_EXCEEDED"


def test_a_malformed_node_is_rejected_and_the_rest_of_the_page_read(sandbox: ShopifySandbox,
                                                                    running: server.Running) -> None:
    sandbox.graphql.raw_nodes.append({"id": "gid://shopify/Order/555", "updatedAt": "2026-01-01T00:00:00Z",
                                      "currencyCode": 12})
    connector = connect(running)
    pages = [connector.fetch_orders(None)]
    while pages[-1].next_page:
        pages.append(connector.fetch_orders(None, pages[-1].next_page))
    rejected = [r for p in pages for r in p.rejected]
    assert [r.external_id for r in rejected] == ["555"] and "currencyCode" in rejected[0].error
    assert sum(len(p.orders) for p in pages) == 30


def test_sandbox_sorts_by_id_unless_asked_for_updated_at(sandbox: ShopifySandbox, running: server.Running) -> None:
    assert sandbox.advance(1)  # some early orders change, so time order is no longer id order
    query = ("query Orders($first: Int!, $lines: Int!) { orders(first: $first) { nodes { id updatedAt } } }")
    with httpx.Client(base_url=running.url, headers={"X-Shopify-Access-Token": "shpat_sandbox"}) as http:
        by_id = http.post(f"{API}/graphql.json", json={"query": query, "variables": {"first": 30, "lines": 1}})
        by_time = http.post(f"{API}/graphql.json", json={
            "query": query.replace("orders(first: $first)", "orders(first: $first, sortKey: UPDATED_AT)"),
            "variables": {"first": 30, "lines": 1}})
    ids = [int(n["id"].rsplit("/", 1)[1]) for n in by_id.json()["data"]["orders"]["nodes"]]
    stamps = [n["updatedAt"] for n in by_time.json()["data"]["orders"]["nodes"]]
    assert ids == sorted(ids) and stamps == sorted(stamps)
    assert [n["id"] for n in by_id.json()["data"]["orders"]["nodes"]] != \
        [n["id"] for n in by_time.json()["data"]["orders"]["nodes"]]
