"""Conformance: a credential the platform no longer takes (revoked, or a grant withdrawn) shows on
the channel as ``auth_broken`` and moves nothing; once it is fixed, the next pull resumes from the
cursor and clears the error."""

from __future__ import annotations

import pytest

from connectors.errors import AuthenticationFailed
from sync.db import Database
from sync.models import Channel

from support import conformance as c
from support.conformance import OpenShop, Profile


def test_a_revoked_credential_is_reported_auth_broken_and_the_pull_resumes(
        db: Database, profile: Profile, open_shop: OpenShop) -> None:
    shop = open_shop(c.orders(profile.name, 5))
    channel_id = c.add_channel(db, shop)
    c.pull(db, shop, channel_id)
    cursor = c.channel(db, channel_id).cursor
    later = c.orders(profile.name, 3, first_id=6001)
    for spec in later:
        spec.updated_at = c.later_than_all(shop.specs, 600)
    shop.add(later)

    profile.revoke(shop.app)
    with pytest.raises(AuthenticationFailed):
        c.pull(db, shop, channel_id)
    row = c.channel(db, channel_id)
    assert (row.last_error or "").startswith("auth_broken: ")
    for secret in row.credentials.values():
        assert str(secret) not in (row.last_error or "")
    assert row.cursor == cursor and c.order_count(db, channel_id) == 5

    fixed = profile.reauthorise(shop.app)
    if fixed:  # the operator sets what the shop's new authorisation gave
        with db.session() as s:
            channel = s.get(Channel, channel_id)
            assert channel is not None
            channel.credentials = {**channel.credentials, **fixed}
    result = c.pull(db, shop, channel_id)
    assert result.inserted == 3
    assert c.channel(db, channel_id).last_error is None
    assert sorted(c.stored(db, channel_id)) == sorted(profile.external_id(s) for s in shop.specs)
