"""Pulling a channel: how far back a first pull reaches, and orders the channel fulfilled itself."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import respx
from pydantic import SecretStr
from sqlalchemy import select

from connectors.base import ConnectorConfig
from connectors.shopify import ShopifyConnector
from connectors.woocommerce.oauth import OAuth1
from sync.models import Channel, Order
from sync.pull import first_pull_hours, pull_channel
from sync.states import Status

import support
from support.orders import add_accounts

ORDERS = "http://shop.invalid/admin/api/2024-10/orders.json"


def shopify_for(channel: Channel) -> ShopifyConnector:
    return ShopifyConnector(ConnectorConfig(name=channel.name, kind="shopify", url=channel.url,
                                            credentials={"access_token": SecretStr("t")},
                                            settings=channel.settings or {}))


def sample(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = json.loads(support.payload("shopify", "order.json").read_text())["order"]
    return body | {"financial_status": "paid"} | changes


def pulled_since(route: respx.Route) -> datetime:
    return datetime.fromisoformat(route.calls.last.request.url.params["updated_at_min"])


@pytest.mark.parametrize(("settings", "hours"), [({}, 24), ({"first_pull_hours": 72}, 72),
                                                 ({"first_pull_hours": "1.5"}, 1.5)])
def test_a_first_pull_reaches_back_first_pull_hours(db, settings: dict[str, Any], hours: float) -> None:
    channel_id, _ = add_accounts(db, settings=settings)
    with respx.mock() as api:
        route = api.get(ORDERS).mock(return_value=httpx.Response(200, json={"orders": []}))
        before = datetime.now(UTC)
        pull_channel(db, channel_id, shopify_for)
        after = datetime.now(UTC)
    since = pulled_since(route)
    # whole seconds on the wire: the window is the pull's own span, give or take one second
    assert before - timedelta(hours=hours, seconds=1) <= since <= after - timedelta(hours=hours)


@pytest.mark.parametrize("bad", [0, -1, "soon", True, float("nan")])
def test_first_pull_hours_must_be_a_positive_number(bad: Any) -> None:
    with pytest.raises(ValueError, match="first_pull_hours"):
        first_pull_hours({"first_pull_hours": bad})


def test_fulfilled_orders_are_stored_as_such_and_never_forwarded(db) -> None:
    channel_id, _ = add_accounts(db)
    bodies = [sample(id=1, name="#1", fulfillment_status="fulfilled"),
              sample(id=2, name="#2", fulfillment_status="partial"),
              sample(id=3, name="#3", fulfillment_status=None)]
    with respx.mock() as api:
        api.get(ORDERS).mock(return_value=httpx.Response(200, json={"orders": bodies}))
        result = pull_channel(db, channel_id, shopify_for)
    with db.session() as s:
        statuses = {e: st for e, st in s.execute(select(Order.external_id, Order.status)).all()}
        ready_ids = set(s.scalars(select(Order.id).where(Order.status == Status.READY.value)))
    assert statuses["1"] == statuses["2"] == Status.FULFILLED_ON_CHANNEL.value
    assert statuses["3"] != Status.FULFILLED_ON_CHANNEL.value
    assert set(result.ready) == ready_ids and len(result.ready) <= 1


def test_a_woocommerce_pull_through_the_sandbox_keeps_back_what_must_not_be_bought(db) -> None:
    """Completed on the shop, held on-hold though paid, a line refunded whole, a virtual line: the
    WooCommerce sandbox (over http, so OAuth-signed) shows each, and none reaches ``ready`` with
    what must not be bought."""
    from admin import stack as sandbox_stack
    from sandbox import seeding, server
    from sandbox.woocommerce import WooCommerceSandbox
    from sync import connect
    from sync.models import OrderLine

    app = WooCommerceSandbox(seeding.generate("woocommerce"))
    paid = [s for s in app.specs if s.paid and not s.cancelled]
    completed, held, refunded, virtual = paid[0], paid[1], paid[2], next(s for s in paid[3:] if len(s.lines) >= 2)
    with server.Running(app) as running:
        with httpx.Client(base_url=running.url, auth=OAuth1(app.consumer_key, app.consumer_secret)) as shop:
            for spec, status in ((completed, "completed"), (held, "on-hold")):
                assert shop.put(f"/wp-json/wc/v3/orders/{spec.order_id}", json={"status": status}).status_code == 200
        app.refund(refunded.order_id, refunded.lines[0].line_id, refunded.lines[0].quantity)
        app.virtual_skus.add(virtual.lines[0].sku)
        with db.session() as s:
            row = Channel(name="woo", kind="woocommerce", role="channel", url=running.url,
                          credentials=app.credentials(),
                          settings={"first_pull_hours": sandbox_stack.seeds_first_pull_hours()})
            s.add(row)
            s.flush()
            channel_id = row.id
        pull_channel(db, channel_id, connect.channel_for)
    with db.session() as s:
        orders = {o.external_id: o for o in s.scalars(select(Order).where(Order.channel_id == channel_id))}
        assert len(orders) == len(app.specs)
        assert orders[str(completed.order_id)].status == Status.FULFILLED_ON_CHANNEL.value
        assert orders[str(held.order_id)].status == Status.AWAITING_PAYMENT.value
        lines = {(ln.order_id, ln.external_id): ln.quantity for ln in s.scalars(select(OrderLine))}
        assert lines[(orders[str(refunded.order_id)].id, str(refunded.lines[0].line_id))] == 0
        stored_skus = {ln.sku for ln in s.scalars(select(OrderLine).where(
            OrderLine.order_id == orders[str(virtual.order_id)].id))}
        assert virtual.lines[0].sku not in stored_skus


def test_a_pull_resuming_a_refused_page_info_reads_again_from_its_since(db) -> None:
    channel_id, _ = add_accounts(db)
    with db.session() as s:
        s.get(Channel, channel_id).cursor_state = {"since": "2026-11-02T09:00:00+00:00", "page": "expired"}

    def answer(request: httpx.Request) -> httpx.Response:
        if "page_info" in request.url.params:
            return httpx.Response(400, json={"errors": {"page_info": "Invalid value."}})
        return httpx.Response(200, json={"orders": [sample(id=7, name="#7")]})

    with respx.mock() as api:
        route = api.get(ORDERS).mock(side_effect=answer)
        result = pull_channel(db, channel_id, shopify_for)
    assert route.call_count == 2 and pulled_since(route) == datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
    assert result.inserted == 1
    with db.session() as s:
        assert s.get(Channel, channel_id).cursor_state == {}
