"""Conformance: every order body the platform publishes (``fixtures/payloads``, with their sources)
is read without error, and a listing answered with one (respx) is pulled by the engine into the
database with nothing quarantined."""

from __future__ import annotations

from typing import Any

import respx

from connectors.registry import channel_class
from sync.db import Database
from sync.models import Channel

from support import conformance as c
from support.conformance import Profile

CAPABILITY = "payloads"
CREDENTIALS = {
    "shopify": {"access_token": "shpat_conformance"},
    "woocommerce": {"consumer_key": "ck_conformance", "consumer_secret": "cs_conformance"},
    "amazon": {"refresh_token": "Atzr|conformance", "client_id": "amzn1.application-oa2-client.c",
               "client_secret": "conformance-secret"},
    "shopee": {"partner_id": "1", "partner_key": "conformance-key", "shop_id": "600000",
               "access_token": "conformance-access", "refresh_token": "conformance-refresh"},
}


def test_every_published_order_body_is_read(profile: Profile) -> None:
    cls = channel_class(profile.kind)
    for name in profile.payloads:
        bodies = cls.order_bodies(c.payload_body(name))
        assert bodies, name
        for body in bodies:
            assert cls.parse_order(body).external_id, name


def _channel(db: Database, profile: Profile, url: str, n: int) -> int:
    with db.session() as s:
        row = Channel(name=f"payloads-{profile.name}-{n}", kind=profile.kind, role="channel", url=url,
                      credentials=CREDENTIALS[profile.kind],
                      settings={"first_pull_hours": 24 * 365 * 20, **profile.settings(url, "")})
        s.add(row)
        s.flush()
        return row.id


def test_a_listing_of_published_bodies_is_pulled_into_the_database(db: Database, profile: Profile) -> None:
    cls = channel_class(profile.kind)
    for n, name in enumerate(profile.payloads):
        bodies: list[Any] = cls.order_bodies(c.payload_body(name))
        expected = {cls.parse_order(b).external_id for b in bodies}
        url = f"http://payload-{n}.{profile.name}.conformance.test"
        with respx.mock(assert_all_called=False) as router:
            profile.serve_payload(router, url, bodies)
            channel_id = _channel(db, profile, url, n)
            shop = c.Shop(profile, None, url, [])  # type: ignore[arg-type]
            result = c.pull(db, shop, channel_id)
        assert result.quarantined == 0, name
        assert set(c.stored(db, channel_id)) == expected, name
        assert c.channel(db, channel_id).last_error is None
