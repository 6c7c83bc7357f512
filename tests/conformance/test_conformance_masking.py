"""Conformance, for platforms that hide buyers themselves (``masks_buyers``): the orders the
platform masks arrive flagged ``masked_data``, the others do not."""

from __future__ import annotations

from sandbox.shopee import ShopeeSandbox
from sync.db import Database

from support import conformance as c
from support.conformance import OpenShop, Profile

CAPABILITY = "masks_buyers"


def test_orders_the_platform_masks_are_flagged(db: Database, profile: Profile, open_shop: OpenShop) -> None:
    shop = open_shop(c.orders(profile.name, 10))
    app = shop.app
    assert isinstance(app, ShopeeSandbox)
    app.masked_every = 3
    channel_id = c.add_channel(db, shop)
    c.pull(db, shop, channel_id)
    found = c.stored(db, channel_id)
    masked = {profile.external_id(s) for s in shop.specs if app.masked(s)}
    assert masked and len(masked) < len(found)
    for external_id, order in found.items():
        assert ("masked_data" in c.issue_codes(db, order.id)) == (external_id in masked)
