"""Reading one order by its external id (``ChannelConnector.fetch_order``), as the reconciler does
for orders left unpaid: the same reading as a pull, and an order the channel no longer has is an
empty page, not a failure."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
import respx
from pydantic import SecretStr

from connectors.base import ConnectorConfig
from connectors.shopify import ShopifyConnector, ShopifyUnavailable
from connectors.woocommerce import WooCommerceConnector
from sandbox import seeding, server
from sandbox.woocommerce import WooCommerceSandbox

import support

SHOP = "http://shop.invalid/admin/api/2024-10"


def shopify(**settings: Any) -> ShopifyConnector:
    connector = ShopifyConnector(ConnectorConfig(name="shop", kind="shopify", url="http://shop.invalid",
                                                 credentials={"access_token": SecretStr("t")}, settings=settings))
    connector.sleep = lambda seconds: None
    return connector


def test_shopify_reads_one_order_by_its_id() -> None:
    body = json.loads(support.payload("shopify", "order.json").read_text())
    with respx.mock() as api:
        route = api.get(f"{SHOP}/orders/450789469.json").mock(return_value=httpx.Response(200, json=body))
        page = shopify().fetch_order("450789469")
    assert page is not None and [o.external_id for o in page.orders] == ["450789469"]
    assert page.orders[0].payment_status == ShopifyConnector.parse_order(body["order"]).payment_status
    assert route.call_count == 1


def test_shopify_an_order_gone_is_an_empty_page_and_an_outage_is_raised() -> None:
    with respx.mock() as api:
        api.get(f"{SHOP}/orders/1.json").mock(return_value=httpx.Response(404, json={"errors": "Not Found"}))
        api.get(f"{SHOP}/orders/2.json").mock(return_value=httpx.Response(503))
        connector = shopify()
        gone = connector.fetch_order("1")
        assert gone is not None and gone.orders == [] and gone.rejected == []
        with pytest.raises(ShopifyUnavailable):
            connector.fetch_order("2")


def test_shopify_graphql_does_not_read_one_order_yet() -> None:
    with respx.mock():  # no call is made
        assert shopify(api="graphql").fetch_order("1") is None


def test_woocommerce_reads_one_order_through_the_sandbox_as_a_pull_would() -> None:
    app = WooCommerceSandbox(seeding.generate("woocommerce"))
    spec = next(s for s in app.specs if s.paid and not s.cancelled and len(s.lines) >= 2)
    app.refund(spec.order_id, spec.lines[0].line_id, spec.lines[0].quantity)
    with server.Running(app) as running:
        config = ConnectorConfig(name="woo", kind="woocommerce", url=running.url,
                                 credentials={k: SecretStr(v) for k, v in app.credentials().items()})
        with WooCommerceConnector(config) as connector:
            page = connector.fetch_order(str(spec.order_id))
            gone = connector.fetch_order("999999")
    assert page is not None and [o.external_id for o in page.orders] == [str(spec.order_id)]
    quantities = {ln.external_id: ln.quantity for ln in page.orders[0].lines}
    assert quantities[str(spec.lines[0].line_id)] == 0  # its refund read, as a pull reads it
    assert gone is not None and gone.orders == []
