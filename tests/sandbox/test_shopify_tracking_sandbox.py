"""A corrected tracking number reaches the Shopify sandbox's fulfillment, as it would Shopify's."""

from __future__ import annotations

from pydantic import SecretStr

from connectors.base import ConnectorConfig
from connectors.records import Shipment, Tracking
from connectors.shopify import ShopifyConnector
from sandbox import seeding, server
from sandbox.shopify import ShopifySandbox


def test_a_corrected_number_replaces_the_fulfillments_tracking() -> None:
    sandbox = ShopifySandbox(seeding.generate("shopify"))
    with server.Running(sandbox) as run:
        config = ConnectorConfig(name="shop", kind="shopify", url=run.url, credentials={
            "access_token": SecretStr(sandbox.credentials()["access_token"])})
        connector = ShopifyConnector(config)
        order = next(o for o in connector.fetch_orders(None).orders if len(o.lines) == 1 and not o.cancelled)

        def push(number: str) -> None:
            connector.push_tracking(Shipment(order_external_id=order.external_id, notify_customer=False,
                                             tracking=Tracking(supplier_order_id="1", number=number, carrier="GLS")))

        push("TRK-1")
        push("TRK-2")
        push("TRK-2")
    assert len(sandbox.fulfillments) == 1
    assert sandbox.fulfillments[0]["tracking_numbers"] == ["TRK-2"]
