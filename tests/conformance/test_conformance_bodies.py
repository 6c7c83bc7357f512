"""Conformance: a body the connector cannot read is quarantined (with its order's id) while the
rest of its page is stored; buyer data hidden behind asterisks is flagged ``masked_data`` and the
order is held, whatever the channel."""

from __future__ import annotations

from sync.db import Database

from support import conformance as c
from support.conformance import OpenShop, Profile


def test_a_malformed_body_is_quarantined_and_the_rest_of_the_page_stored(
        db: Database, profile: Profile, open_shop: OpenShop) -> None:
    specs = c.orders(profile.name, 7)
    shop = open_shop(specs)
    broken = specs[1]
    profile.malform(shop.app, broken)
    channel_id = c.add_channel(db, shop)
    result = c.pull(db, shop, channel_id)
    assert result.quarantined >= 1
    assert sorted(c.stored(db, channel_id)) == sorted(profile.external_id(s) for s in specs if s is not broken)
    kept = c.quarantined(db, channel_id)
    assert {q.external_id for q in kept} == {profile.external_id(broken)}
    assert all(q.error and q.body for q in kept)
    row = c.channel(db, channel_id)
    assert row.cursor is not None and row.cursor_state == {}  # the pull went on to its end


def test_masked_buyer_data_is_flagged_and_held(db: Database, profile: Profile, open_shop: OpenShop) -> None:
    specs = c.orders(profile.name, 4)
    hidden = specs[2]
    hidden.first_name, hidden.last_name = "****", "****"
    hidden.address1, hidden.city, hidden.postcode = "****", "****", "****"
    shop = open_shop(specs)
    channel_id = c.add_channel(db, shop)
    c.pull(db, shop, channel_id)
    found = c.stored(db, channel_id)
    order = found[profile.external_id(hidden)]
    assert "masked_data" in c.issue_codes(db, order.id)
    assert order.status == "pending_review"
    for spec in specs:
        if spec is not hidden:
            assert "masked_data" not in c.issue_codes(db, found[profile.external_id(spec)].id)
