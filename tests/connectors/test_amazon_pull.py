"""An Amazon channel pulled by the engine from the Amazon sandbox: a revoked grant shows on the
channel as ``auth_broken`` and loses nothing; a derived surname is noted in the order's history."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import select

from connectors.amazon import AmazonConnector, AmazonGrantRevoked
from connectors.amazon.pacing import Buckets
from connectors.base import ChannelConnector
from sandbox import seeding, server
from sandbox.amazon import AmazonSandbox
from sync.connect import config_for
from sync.db import Database
from sync.models import Channel, Order, OrderEvent
from sync.pull import pull_channel


class _NoWait:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def amazon() -> Iterator[server.Running]:
    with server.Running(AmazonSandbox(seeding.generate("amazon"))) as run:
        yield run


def _channel(db: Database, run: server.Running) -> int:
    app = run.app
    assert isinstance(app, AmazonSandbox)
    with db.session() as s:
        row = Channel(name="amazon", kind="amazon", role="channel", url=run.url, credentials=app.credentials(),
                      settings={"token_url": f"{run.url}/auth/o2/token", "lock_url": "memory://",
                                "first_pull_hours": 24 * 400})
        s.add(row)
        s.flush()
        return row.id


def _connector_for(row: Channel) -> ChannelConnector:
    connector = AmazonConnector(config_for(row))
    connector.sleep = lambda seconds: None
    clock = _NoWait()
    connector.buckets = Buckets(clock=clock, sleep=clock.sleep)
    return connector


def test_a_revoked_grant_marks_the_channel_auth_broken_and_the_next_pull_resumes(
        db: Database, amazon: server.Running) -> None:
    app = amazon.app
    assert isinstance(app, AmazonSandbox)
    channel_id = _channel(db, amazon)
    app.revoke()
    with pytest.raises(AmazonGrantRevoked):
        pull_channel(db, channel_id, _connector_for)
    with db.session() as s:
        channel = s.get(Channel, channel_id)
        assert channel is not None
        assert (channel.last_error or "").startswith("auth_broken: ")
        assert "refresh_token" in (channel.last_error or "") and app.refresh_token not in (channel.last_error or "")
        assert channel.cursor is None
    app.restore()
    result = pull_channel(db, channel_id, _connector_for)
    assert result.inserted == 30
    with db.session() as s:
        channel = s.get(Channel, channel_id)
        assert channel is not None and channel.last_error is None and channel.cursor is not None


def test_a_derived_surname_is_noted_in_the_orders_history(db: Database, amazon: server.Running) -> None:
    channel_id = _channel(db, amazon)
    pull_channel(db, channel_id, _connector_for)
    with db.session() as s:
        rows = s.execute(select(Order.shipping_address, OrderEvent.reason)
                         .join(OrderEvent, OrderEvent.order_id == Order.id)
                         .where(Order.channel_id == channel_id)).all()
    split = [reason for address, reason in rows if address and address.get("last_name")]
    one_word = [reason for address, reason in rows if address and not address.get("last_name")]
    assert split and all("last word was taken as the surname" in reason for reason in split)
    assert one_word and all("missing_surname" in reason and "last word" not in reason for reason in one_word)

