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
