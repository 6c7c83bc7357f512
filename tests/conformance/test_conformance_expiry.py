"""Conformance, for platforms whose access tokens expire (``expiring_credentials``): a token that
dies during a pull is refreshed and the pull goes on; nothing is lost and nothing is reported."""

from __future__ import annotations

from sync.db import Database
from sync.ingest import PageResult

from support import conformance as c
from support.conformance import OpenShop, Profile

CAPABILITY = "expiring_credentials"


def test_an_access_token_expired_during_a_pull_is_refreshed(db: Database, profile: Profile,
                                                            open_shop: OpenShop) -> None:
    shop = open_shop(c.orders(profile.name, 9))
    channel_id = c.add_channel(db, shop)
    pages: list[PageResult] = []

    def expire_after_the_first_page(page: PageResult) -> None:
        pages.append(page)
        if len(pages) == 1:
            before.append(profile.refreshes(shop.app))
            profile.expire(shop.app)

    before: list[int] = []
    c.pull(db, shop, channel_id, after_commit=expire_after_the_first_page)
    assert profile.refreshes(shop.app) == before[0] + 1  # once, not once per call
    assert sorted(c.stored(db, channel_id)) == sorted(profile.external_id(s) for s in shop.specs)
    assert c.channel(db, channel_id).last_error is None
