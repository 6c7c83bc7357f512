"""How long a buyer's link works: the installation's setting, a store's own ``link_hours``, or
the hours given when the link is made; always within 1 hour and 90 days."""

from __future__ import annotations

from datetime import timedelta

import pytest
from pydantic import ValidationError

from sync import fields
from sync import messenger as m
from sync import messenger_links as links
from sync.db import Database
from sync.messenger_models import MessengerLink
from sync.settings import Settings

from support.messenger import new_order, setup_store


def _lifetime(db: Database, order_id: int, **kwargs) -> timedelta:  # type: ignore[no-untyped-def]
    with db.session() as s:
        made = links.make_link(s, order_id, actor="user:seller", **kwargs)
        row = s.query(MessengerLink).filter(MessengerLink.order_id == order_id,
                                            MessengerLink.revoked_at.is_(None)).one()
        assert row.expires_at == made.expires_at and links.resolve(s, made.token) is not None
        return row.expires_at - row.created_at


def test_the_installation_setting_then_the_store_then_the_hours_given(db: Database) -> None:
    setup_store(db)
    order_id = new_order(db)
    assert _lifetime(db, order_id, settings=Settings(messenger_link_hours=5)) == timedelta(hours=5)
    assert _lifetime(db, order_id) == timedelta(hours=Settings().messenger_link_hours)
    with db.session() as s:
        m.edit_store(s, "Chat shop", {"link_hours": 12})
    assert _lifetime(db, order_id, settings=Settings(messenger_link_hours=5)) == timedelta(hours=12)
    assert _lifetime(db, order_id, hours=1.5) == timedelta(hours=1.5)
    with db.session() as s:
        m.edit_store(s, "Chat shop", {"link_hours": None})  # back to the installation's
        assert "link_hours" not in m.store_named(s, "Chat shop").settings
    assert _lifetime(db, order_id, settings=Settings(messenger_link_hours=5)) == timedelta(hours=5)


@pytest.mark.parametrize("hours", [0, 0.5, 90 * 24 + 1, float("inf"), float("nan")])
def test_hours_out_of_bounds_are_refused_and_no_link_is_made(db: Database, hours: float) -> None:
    setup_store(db)
    order_id = new_order(db)
    with db.session() as s, pytest.raises(m.MessengerError, match="from 1 to 2160"):
        links.make_link(s, order_id, actor="user:seller", hours=hours)
    with db.session() as s:
        assert s.query(MessengerLink).count() == 0


@pytest.mark.parametrize("settings, words", [
    ({"link_hours": 0}, "link_hours"), ({"link_hours": 2161}, "link_hours"), ({"link_hours": "soon"}, "link_hours"),
    ({"pull_every_seconds": 60}, "no setting"),
])
def test_a_store_takes_only_its_own_settings_within_bounds(db: Database, settings: dict, words: str) -> None:
    with pytest.raises(fields.FieldError, match=words):
        fields.check_settings("messenger", "channel", settings)
    with db.session() as s, pytest.raises(fields.FieldError):
        m.add_store(s, "Chat shop", settings)
    with db.session() as s:
        assert m.add_store(s, "Chat shop", {"link_hours": 2160}).settings == {"link_hours": 2160}


@pytest.mark.parametrize("hours", [0, 2161, -3])
def test_the_installation_setting_has_the_same_bounds(hours: float) -> None:
    with pytest.raises(ValidationError):
        Settings(messenger_link_hours=hours)
