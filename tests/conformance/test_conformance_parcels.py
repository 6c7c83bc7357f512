"""Conformance, for platforms that keep several parcels per order (``second_parcel``): a second
parcel of the same order is pushed too, each once, and the first keeps its number."""

from __future__ import annotations

from sandbox import catalogue, seeding
from sync.db import Database

from support import conformance as c
from support.conformance import OpenShop, Profile

CAPABILITY = "second_parcel"


def test_a_second_parcel_is_pushed_too(db: Database, profile: Profile, open_shop: OpenShop) -> None:
    specs = c.orders(profile.name, 2)
    two = specs[1]
    first, second = catalogue.ACCESSORIES_W1[0], catalogue.ACCESSORIES_W3[0]
    two.lines = [seeding.LineSpec(two.order_id * 10 + n, p.sku, 1, p.retail, p.title)
                 for n, p in enumerate((first, second))]
    shop = open_shop(specs)
    channel_id = c.add_channel(db, shop)
    c.pull(db, shop, channel_id)
    connector = c.connector(db, shop, channel_id)
    for _ in range(2):
        connector.push_tracking(c.shipment(shop, two, "TRK-PARCEL-1", two.lines[:1]))
    for _ in range(2):
        connector.push_tracking(c.shipment(shop, two, "TRK-PARCEL-2", two.lines[1:]))
    assert profile.tracking_count(shop.app, two, "TRK-PARCEL-1") == 1
    assert profile.tracking_count(shop.app, two, "TRK-PARCEL-2") == 1
