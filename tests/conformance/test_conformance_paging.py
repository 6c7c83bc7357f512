"""Conformance: a pull pages to the end; orders that share the boundary timestamp are neither lost
nor stored twice, also when more of that same second arrive after a pull; an order that changes
while a pull is under way is not lost, and the next pull stores its new version."""

from __future__ import annotations

from sandbox import seeding
from sync.db import Database
from sync.ingest import PageResult

from support import conformance as c
from support.conformance import OpenShop, Profile


def test_a_pull_pages_to_the_end(db: Database, profile: Profile, open_shop: OpenShop) -> None:
    shop = open_shop(c.orders(profile.name, 10))
    channel_id = c.add_channel(db, shop)
    result = c.pull(db, shop, channel_id)
    assert result.pages >= 4  # pages of three
    assert sorted(c.stored(db, channel_id)) == sorted(profile.external_id(s) for s in shop.specs)
    row = c.channel(db, channel_id)
    assert row.last_error is None and row.cursor_state == {}
    assert row.cursor is not None and row.cursor >= max(s.updated_at for s in shop.specs)


def test_orders_sharing_the_boundary_timestamp_are_not_lost_or_doubled(
        db: Database, profile: Profile, open_shop: OpenShop) -> None:
    specs = c.orders(profile.name, 8)
    boundary = c.later_than_all(specs)
    for spec in specs[3:]:  # five of one second: more than a page
        spec.updated_at = boundary
    shop = open_shop(specs)
    channel_id = c.add_channel(db, shop)
    c.pull(db, shop, channel_id)
    assert sorted(c.stored(db, channel_id)) == sorted(profile.external_id(s) for s in specs)

    late = c.orders(profile.name, 3, first_id=6001)
    for spec in late:  # written in that same second, but seen only after the pull ended
        spec.created_at = min(spec.created_at, boundary)
        spec.updated_at = boundary
    shop.add(late)
    again = c.pull(db, shop, channel_id)
    assert again.inserted == 3
    assert sorted(c.stored(db, channel_id)) == sorted(profile.external_id(s) for s in shop.specs)
    assert c.order_count(db, channel_id) == 11


def test_an_order_changed_during_a_pull_is_not_lost(db: Database, profile: Profile, open_shop: OpenShop) -> None:
    specs = c.orders(profile.name, 9)
    shop = open_shop(specs)
    channel_id = c.add_channel(db, shop)
    changed_at = c.later_than_all(specs)
    pages: list[PageResult] = []

    def change_after_the_first_page(page: PageResult) -> None:
        pages.append(page)
        if len(pages) == 1:  # an order of the page just stored changes on the channel
            seeding.apply_change(specs[0], seeding.Change(0, "edit_address"), changed_at)

    c.pull(db, shop, channel_id, after_commit=change_after_the_first_page)
    # none of the orders that were there all along is lost by the shift the change caused
    assert sorted(c.stored(db, channel_id)) == sorted(profile.external_id(s) for s in specs)
    c.pull(db, shop, channel_id)
    found = c.stored(db, channel_id)
    assert len(found) == 9
    address = found[profile.external_id(specs[0])].shipping_address or {}
    assert "changed by the buyer" in " ".join(str(v) for v in address.values())
