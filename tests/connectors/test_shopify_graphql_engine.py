"""A Shopify channel set to GraphQL, pulled by the engine from the sandbox over real HTTP: the
same orders land as over REST, and switching a channel between the APIs changes no order."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from admin import stack as sandbox_stack
from sync import connect, pull
from sync.models import Channel, Order


def _set_api(db: Any, channel_id: int, api: str) -> None:
    with db.session() as session:
        channel = session.get(Channel, channel_id)
        channel.settings = {**channel.settings, "api": api}


def _orders(db: Any, channel_id: int) -> dict[str, tuple[str, str]]:
    with db.session() as session:
        rows = session.execute(select(Order.external_id, Order.status, Order.number)
                               .where(Order.channel_id == channel_id)).all()
    return {external_id: (status, number) for external_id, status, number in rows}


def test_a_graphql_channel_pulls_every_order_and_switching_api_changes_none(db) -> None:
    stack = sandbox_stack.start(bigbuy_rate=0)
    try:
        ids = sandbox_stack.register(db, stack)
        _set_api(db, ids["shopify"], "graphql")
        first = pull.pull_channel(db, ids["shopify"], connect.channel_for)
        assert first.inserted == len(stack.shopify_app.specs) and first.quarantined == 0
        assert "Orders" in stack.shopify_app.graphql.queries
        by_graphql = _orders(db, ids["shopify"])
        _set_api(db, ids["shopify"], "rest")
        again = pull.pull_channel(db, ids["shopify"], connect.channel_for)
        assert again.inserted == 0 and again.updated == 0 and again.changed_after_forwarding == 0
        assert _orders(db, ids["shopify"]) == by_graphql
    finally:
        stack.stop()
