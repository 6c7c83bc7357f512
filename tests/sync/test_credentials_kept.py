"""Shopee's refreshed tokens are written back to the channel's row under the refresh lock, so a
restart without Redis uses the new single-use refresh token, not the spent one; a row the operator
changed meanwhile keeps the operator's tokens."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from connectors.shopee import ShopeeConnector, tokens
from sandbox import seeding, server
from sandbox.shopee import ShopeeSandbox
from sync import connect
from sync.credentials import keep_credentials
from sync.db import Database
from sync.models import Channel
from sync.pull import pull_channel


@pytest.fixture
def shop() -> Iterator[server.Running]:
    with server.Running(ShopeeSandbox(seeding.generate("shopee", seed=5, first_id=9001))) as run:
        yield run


def _app(run: server.Running) -> ShopeeSandbox:
    assert isinstance(run.app, ShopeeSandbox)
    return run.app


def _channel(db: Database, run: server.Running) -> int:
    with db.session() as s:
        row = Channel(name="sp", kind="shopee", role="channel", url=run.url, credentials=_app(run).credentials(),
                      settings={"first_pull_hours": 24 * 400})
        s.add(row)
        s.flush()
        return row.id


def _restart() -> None:
    """A new process without Redis: no connector and no token state survive."""
    connect.forget()
    tokens._local_states.clear()


def _row(db: Database, channel_id: int) -> Channel:
    with db.session() as s:
        row = s.get(Channel, channel_id)
        assert row is not None
        return row


def _pull(db: Database, channel_id: int) -> int:
    def build(row: Channel) -> ShopeeConnector:
        connector = connect.channel_for(row)
        assert isinstance(connector, ShopeeConnector)
        connector.sleep = lambda seconds: None
        return connector

    return pull_channel(db, channel_id, build).inserted


def test_refreshed_tokens_survive_a_restart_without_redis(db: Database, shop: server.Running) -> None:
    app = _app(shop)
    channel_id = _channel(db, shop)
    first_refresh = app.refresh_token
    app.expire_access_tokens()
    assert _pull(db, channel_id) == 30
    assert app.refreshes == 1
    row = _row(db, channel_id)
    assert row.credentials["refresh_token"] == app.refresh_token != first_refresh
    assert row.credentials["access_token"] == app.access_token
    assert row.settings["token_refreshed"] == tokens.fingerprint(app.refresh_token)
    assert first_refresh not in str(row.settings)  # only fingerprints beside the settings

    _restart()
    app.expire_access_tokens()
    _pull(db, channel_id)
    assert app.refreshes == 2  # the old refresh token would have been refused as used
    assert _row(db, channel_id).credentials["refresh_token"] == app.refresh_token
    assert _row(db, channel_id).last_error is None


def test_tokens_set_by_the_operator_meanwhile_are_not_overwritten(db: Database, shop: server.Running) -> None:
    channel_id = _channel(db, shop)
    spent = _app(shop).refresh_token
    with db.session() as s:
        channel = s.get(Channel, channel_id)
        assert channel is not None
        channel.credentials = {**channel.credentials, "refresh_token": "set-by-the-operator"}
    kept = keep_credentials(db, channel_id, {"refresh_token": spent},
                            {"access_token": "a2", "refresh_token": "r2"}, {"token_refreshed": "x"})
    assert kept is False
    row = _row(db, channel_id)
    assert row.credentials["refresh_token"] == "set-by-the-operator" and "token_refreshed" not in row.settings


def test_an_operators_new_tokens_start_a_new_lineage(db: Database, shop: server.Running) -> None:
    """Tokens refreshed from the old grant (still in the process's store) do not replace new ones."""
    app = _app(shop)
    channel_id = _channel(db, shop)
    app.expire_access_tokens()
    _pull(db, channel_id)
    old_lineage = tokens.fingerprint(_row(db, channel_id).credentials["refresh_token"])
    with db.session() as s:
        channel = s.get(Channel, channel_id)
        assert channel is not None
        channel.credentials = {**channel.credentials, "access_token": "operator-a", "refresh_token": "operator-r"}
    connect.forget()
    connector = connect.channel_for(_row(db, channel_id))
    assert isinstance(connector, ShopeeConnector)
    assert connector.tokens.current().refresh_token == "operator-r"
    assert connector.tokens.initial.origin == tokens.fingerprint("operator-r") != old_lineage
