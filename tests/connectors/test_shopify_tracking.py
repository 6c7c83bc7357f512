"""Tracking at Shopify beyond the first parcel: a corrected number updates the fulfillment; lines
held by a fulfilment service's location are reported, never logged as done."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
import respx
from pydantic import SecretStr

from connectors import errors
from connectors.base import ConnectorConfig
from connectors.records import Shipment, Tracking
from connectors.shopify import ShopifyConnector

SHOP = "https://example.myshopify.com"
API = f"{SHOP}/admin/api/2024-10"
FO_URL = f"{API}/orders/450789469/fulfillment_orders.json"
ORDER_URL = f"{API}/orders/450789469.json"


def make() -> ShopifyConnector:
    config = ConnectorConfig(name="shop", kind="shopify", url=SHOP, credentials={"access_token": SecretStr("t")})
    connector = ShopifyConnector(config)
    connector.sleep = lambda seconds: None
    return connector


def shipment(number: str) -> Shipment:
    return Shipment(order_external_id="450789469", notify_customer=False,
                    tracking=Tracking(supplier_order_id="BB-1", number=number, carrier="UPS"))


def fulfillment_order(status: str, actions: list[str], left: int) -> dict[str, Any]:
    return {"id": 1046000002, "order_id": 450789469, "assigned_location_id": 24826418, "status": status,
            "supported_actions": actions,
            "line_items": [{"id": 1025578002, "quantity": 1, "line_item_id": 518995019, "fulfillable_quantity": left}]}


def fulfilled(number: str) -> dict[str, Any]:
    return {"order": {"id": 450789469, "fulfillments": [
        {"id": 255858046, "status": "success", "created_at": "2026-11-02T10:00:00+01:00",
         "tracking_number": number, "tracking_numbers": [number], "line_items": [{"id": 518995019, "quantity": 1}]},
        {"id": 255858047, "status": "cancelled", "created_at": "2026-11-03T10:00:00+01:00",
         "tracking_number": "OLD", "tracking_numbers": ["OLD"], "line_items": [{"id": 518995019, "quantity": 1}]}]}}


@respx.mock
def test_a_corrected_number_for_fulfilled_lines_updates_the_fulfillment() -> None:
    respx.get(FO_URL).mock(return_value=httpx.Response(200, json={"fulfillment_orders": [
        fulfillment_order("closed", [], 0)]}))
    respx.get(ORDER_URL).mock(return_value=httpx.Response(200, json=fulfilled("1Z-FIRST")))
    update = respx.post(f"{API}/fulfillments/255858046/update_tracking.json").mock(
        return_value=httpx.Response(200, json={"fulfillment": {"id": 255858046}}))
    make().push_tracking(shipment("1Z-SECOND"))
    assert json.loads(update.calls.last.request.content) == {
        "fulfillment": {"tracking_info": {"number": "1Z-SECOND", "company": "UPS"}, "notify_customer": False}}


@respx.mock
def test_a_number_the_fulfillment_carries_already_is_not_sent_again() -> None:
    respx.get(FO_URL).mock(return_value=httpx.Response(200, json={"fulfillment_orders": [
        fulfillment_order("closed", [], 0)]}))
    respx.get(ORDER_URL).mock(return_value=httpx.Response(200, json=fulfilled("1Z-FIRST")))
    update = respx.post(url__regex=r".*/update_tracking\.json")
    make().push_tracking(shipment("1Z-FIRST"))
    assert not update.called


@respx.mock
def test_lines_held_by_a_fulfilment_service_location_are_reported_not_done() -> None:
    service_owned = fulfillment_order("open", ["request_fulfillment", "cancel_fulfillment_order"], 1)
    respx.get(FO_URL).mock(return_value=httpx.Response(200, json={"fulfillment_orders": [service_owned]}))
    post = respx.post(f"{API}/fulfillments.json")
    with pytest.raises(errors.FailLoudly, match="fulfilment service"):
        make().push_tracking(shipment("1Z-1"))
    assert not post.called
