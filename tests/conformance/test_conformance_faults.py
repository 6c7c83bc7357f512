"""Conformance: a platform's "later" (429, with or without Retry-After, and a 5xx) neither loses an
order nor stores one twice: the connector waits what the platform asked and tries again, or the
pull stops with a retryable error the next pull recovers from."""

from __future__ import annotations

import pytest

from connectors.errors import RetryLater
from sync.db import Database

from support import conformance as c
from support.conformance import OpenShop, Profile


def _pull_to_the_end(db: Database, shop: c.Shop, channel_id: int) -> list[RetryLater]:
    """Pulls until one ends; the retryable errors met on the way (a worker retries them)."""
    met: list[RetryLater] = []
    for _ in range(4):
        try:
            c.pull(db, shop, channel_id)
            return met
        except RetryLater as exc:
            met.append(exc)
    raise AssertionError(f"the pull never ended: {met}")


@pytest.mark.parametrize("fault", ["throttle_next", "fail_next"])
def test_a_throttle_or_an_outage_loses_nothing(db: Database, profile: Profile, open_shop: OpenShop,
                                               fault: str) -> None:
    shop = open_shop(c.orders(profile.name, 7))
    channel_id = c.add_channel(db, shop)
    c.pull(db, shop, channel_id)  # a first pull reads the shop; the faults hit the next one's pages
    extra = c.orders(profile.name, 5, first_id=6001)
    for spec in extra:
        spec.updated_at = c.later_than_all(shop.specs, 600)
    shop.add(extra)
    setattr(shop.app.faults, fault, 2)
    met = _pull_to_the_end(db, shop, channel_id)
    assert getattr(shop.app.faults, fault) == 0  # both faults were met
    assert sorted(c.stored(db, channel_id)) == sorted(profile.external_id(s) for s in shop.specs)
    for exc in met:  # a stop leaves the channel to be pulled again, and says how long to wait
        assert fault == "fail_next" or exc.retry_after is not None


def test_retry_after_is_honoured(db: Database, profile: Profile, open_shop: OpenShop) -> None:
    shop = open_shop(c.orders(profile.name, 4))
    channel_id = c.add_channel(db, shop)
    shop.app.faults.throttle_next = 1
    met = _pull_to_the_end(db, shop, channel_id)
    assert len(c.stored(db, channel_id)) == 4
    if profile.retry_after is not None:
        # the platform named the pause: whoever retried waited at least that long
        waited = [s for s in shop.waits.seconds if s >= profile.retry_after] + \
                 [e.retry_after for e in met if e.retry_after is not None and e.retry_after >= profile.retry_after]
        assert waited, f"nobody waited the {profile.retry_after}s asked: {shop.waits.seconds}, {met}"
