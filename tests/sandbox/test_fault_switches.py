"""The counted fault switches every channel sandbox honours: the next N requests are throttled,
then the next M fail, exactly, whatever the random rates draw."""

from __future__ import annotations

import pytest

from sandbox import seeding, server
from sandbox.amazon import AmazonSandbox
from sandbox.shopee import ShopeeSandbox
from sandbox.shopify import ShopifySandbox
from sandbox.woocommerce import WooCommerceSandbox

SHOPS = {
    "shopify": (ShopifySandbox, "/admin/api/2024-10/orders.json"),
    "woocommerce": (WooCommerceSandbox, "/wp-json/wc/v3/orders"),
    "amazon": (AmazonSandbox, "/orders/2026-01-01/orders"),
    "shopee": (ShopeeSandbox, "/api/v2/order/get_order_list"),
}


@pytest.mark.parametrize("kind", sorted(SHOPS))
def test_the_next_requests_are_throttled_then_fail_then_pass(kind: str) -> None:
    cls, path = SHOPS[kind]
    app = cls(seeding.bulk(kind, 2))
    app.faults.throttle_next, app.faults.fail_next = 2, 1
    statuses = [app.dispatch(server.Request("GET", path, {}, {}, b"")).status for _ in range(4)]
    assert statuses[:2] == [429, 429]
    assert statuses[2] >= 500
    assert statuses[3] not in (429, 500, 502, 503)  # refused for what it lacks (auth), not a fault
    assert app.faults.throttle_next == app.faults.fail_next == 0
