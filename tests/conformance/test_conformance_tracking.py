"""Conformance: tracking pushed for an order reaches the platform once, however often it is pushed
(a retried message, a worker that died after the call)."""

from __future__ import annotations

from sync.db import Database

from support import conformance as c
from support.conformance import OpenShop, Profile


def test_tracking_is_pushed_once(db: Database, profile: Profile, open_shop: OpenShop) -> None:
    specs = c.orders(profile.name, 3)
    shop = open_shop(specs)
    channel_id = c.add_channel(db, shop)
    c.pull(db, shop, channel_id)
    connector = c.connector(db, shop, channel_id)
    parcel = c.shipment(shop, specs[1], "TRK-CONF-1")
    connector.push_tracking(parcel)
    # one record per parcel, or one per location the order ships from (Shopify fulfils by location)
    records = profile.tracking_count(shop.app, specs[1], "TRK-CONF-1")
    assert records >= 1
    connector.push_tracking(parcel)
    assert profile.tracking_count(shop.app, specs[1], "TRK-CONF-1") == records
    assert profile.tracking_count(shop.app, specs[0], "TRK-CONF-1") == 0
