"""A page read again with nothing changed (a pull's overlap, a re-sync): no parse for bodies
stored already as they are, no rows written, no customer or statistics work, only the cursor.
A changed order among unchanged ones is written; an older version never overwrites a newer one."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import respx
from pydantic import SecretStr
from sqlalchemy import event, func, select, update

from connectors.base import ConnectorConfig
from connectors.errors import AuthenticationFailed
from connectors.records import OrderPage
from connectors.shopify import ShopifyConnector, parse
from sync.customer_models import CustomerStat
from sync.db import Database
from sync.ingest import store_page
from sync.models import Channel, Customer, Order, OrderEvent, OrderIssue, OrderLine
from sync.pull import PullResult, pull_channel
from sync.states import Status

import support
from support.orders import add_accounts, order

ORDERS = "http://shop.invalid/admin/api/2024-10/orders.json"
T1 = datetime(2026, 11, 29, 10, 0, tzinfo=UTC)


def shopify_for(channel: Channel) -> ShopifyConnector:
    return ShopifyConnector(ConnectorConfig(name=channel.name, kind="shopify", url=channel.url,
                                            credentials={"access_token": SecretStr("t")},
                                            settings=channel.settings or {}))


def body(n: int, *, minutes: int = 0, **changes: Any) -> dict[str, Any]:
    sample: dict[str, Any] = json.loads(support.payload("shopify", "order.json").read_text())["order"]
    return sample | {"id": 9000 + n, "name": f"#{9000 + n}", "financial_status": "paid",
                     "updated_at": (T1 + timedelta(minutes=minutes)).isoformat()} | changes


def pull(db: Database, channel_id: int, bodies: list[dict[str, Any]]) -> PullResult:
    with respx.mock() as api:
        api.get(ORDERS).mock(return_value=httpx.Response(200, json={"orders": bodies}))
        return pull_channel(db, channel_id, shopify_for)


@pytest.fixture
def parsed(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """The Shopify bodies the connector parses."""
    seen: list[Any] = []
    real = parse.parse_order

    def counting(b: Any) -> Any:
        seen.append(b)
        return real(b)

    monkeypatch.setattr(parse, "parse_order", counting)
    return seen


@contextmanager
def writes(db: Database) -> Iterator[list[str]]:
    """The INSERT, UPDATE and DELETE statements sent through the engine (COPY goes around it: the
    tables' own figures are compared as well)."""
    seen: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.lstrip().split(" ", 1)[0].upper() in ("INSERT", "UPDATE", "DELETE"):
            seen.append(" ".join(statement.split()))

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", record)


def figures(db: Database) -> dict[str, Any]:
    with db.session() as s:
        return {
            "orders": s.execute(select(func.count(), func.max(Order.updated_at), func.max(Order.status_changed_at))
                                .select_from(Order)).one(),
            "lines": s.scalar(select(func.count()).select_from(OrderLine)),
            "events": s.scalar(select(func.count()).select_from(OrderEvent)),
            "issues": s.scalar(select(func.count()).select_from(OrderIssue)),
            "customers": s.execute(select(func.count(), func.max(Customer.updated_at)).select_from(Customer)).one(),
            "stats": s.execute(select(CustomerStat.customer_id, CustomerStat.currency, CustomerStat.orders,
                                      CustomerStat.spend).order_by(CustomerStat.customer_id)).all(),
        }


def only_the_channel(statements: list[str]) -> bool:
    return all(" channels " in f" {s} " for s in statements)


def status_of(db: Database, external_id: str) -> str:
    with db.session() as s:
        return s.scalar(select(Order.status).where(Order.external_id == external_id)) or ""


def test_a_pull_of_unchanged_orders_parses_nothing_and_writes_only_the_cursor(db, parsed) -> None:
    channel_id, _ = add_accounts(db)
    bodies = [body(1), body(2, minutes=1), body(3, minutes=2)]
    first = pull(db, channel_id, bodies)
    assert first.inserted == 3 and len(parsed) == 3
    before = figures(db)
    with db.session() as s:  # the cursor stands behind: an unchanged page still moves it on
        s.execute(update(Channel).where(Channel.id == channel_id).values(cursor=T1 - timedelta(hours=1)))
    with writes(db) as statements:
        again = pull(db, channel_id, bodies)
    assert (again.unchanged, again.inserted, again.updated) == (3, 0, 0)
    assert len(parsed) == 3  # none of the three parsed again
    assert only_the_channel(statements), statements
    assert figures(db) == before
    with db.session() as s:
        channel = s.get_one(Channel, channel_id)
        assert channel.cursor == T1 + timedelta(minutes=2) and channel.last_error is None


def test_a_changed_order_among_unchanged_ones_is_written(db, parsed) -> None:
    channel_id, _ = add_accounts(db)
    pull(db, channel_id, [body(1), body(2, financial_status="pending"), body(3)])
    assert status_of(db, "9002") == Status.AWAITING_PAYMENT
    with db.session() as s:
        kept = {e: at for e, at in s.execute(select(Order.external_id, Order.updated_at))}
    # paid in the same second: the channel's time is the same, the body is not
    again = pull(db, channel_id, [body(1), body(2), body(3)])
    assert (again.unchanged, again.updated, again.inserted) == (2, 1, 0)
    assert [b["id"] for b in parsed[3:]] == [9002]  # only the changed body is parsed
    assert status_of(db, "9002") not in ("", Status.AWAITING_PAYMENT)  # judged again, as paid
    with db.session() as s:
        now = {e: at for e, at in s.execute(select(Order.external_id, Order.updated_at))}
    assert now["9001"] == kept["9001"] and now["9003"] == kept["9003"] and now["9002"] != kept["9002"]


def test_an_older_version_read_again_never_overwrites_the_newer_one(db, parsed) -> None:
    channel_id, _ = add_accounts(db)
    pull(db, channel_id, [body(1, minutes=5)])
    before, status = figures(db), status_of(db, "9001")
    with writes(db) as statements:
        again = pull(db, channel_id, [body(1, minutes=1, financial_status="pending")])
    assert (again.unchanged, again.updated) == (1, 0)
    assert only_the_channel(statements), statements
    assert figures(db) == before and status_of(db, "9001") == status != Status.AWAITING_PAYMENT


def test_a_bad_body_among_unchanged_ones_is_quarantined(db, parsed) -> None:
    channel_id, _ = add_accounts(db)
    pull(db, channel_id, [body(1), body(2)])
    again = pull(db, channel_id, [body(1), body(2), body(3, currency="euros")])
    assert (again.unchanged, again.quarantined, again.inserted) == (2, 1, 0)


def test_records_stored_again_unchanged_write_nothing(db) -> None:
    """The store's own check, for orders that come without a stored body to compare (webhooks,
    connectors that read more than the body): same time and same content is no change."""
    channel_id, _ = add_accounts(db)
    page = [order("1"), order("2", paid="pending"), order("3", updated=2)]
    with db.session() as s:
        store_page(s, channel_id, OrderPage(orders=page))
    before = figures(db)
    with writes(db) as statements, db.session() as s:
        result = store_page(s, channel_id, OrderPage(orders=[order("1"), order("2", paid="pending"),
                                                             order("3", updated=1)]))
    assert (result.unchanged, result.updated, result.inserted) == (3, 0, 0)
    assert only_the_channel(statements), statements
    assert figures(db) == before
    with db.session() as s:  # and a same-second change still goes in
        result = store_page(s, channel_id, OrderPage(orders=[order("1"), order("2"), order("3", updated=2)]))
    assert (result.unchanged, result.updated) == (2, 1)
    assert status_of(db, "2") == Status.READY


def test_a_credential_refused_on_the_page_read_ahead_stays_on_the_channel(db) -> None:
    """The next page is fetched while one is stored: its refusal is recorded after that store
    (which clears the channel's error), and the pull resumes at the refused page."""
    channel_id, _ = add_accounts(db)
    link = f'<{ORDERS}?limit=250&page_info=second>; rel="next"'
    with respx.mock() as api:
        api.get(ORDERS, params={"page_info": "second"}).mock(
            return_value=httpx.Response(401, json={"errors": "[API] Invalid API key or access token"}))
        api.get(ORDERS).mock(return_value=httpx.Response(200, json={"orders": [body(1)]}, headers={"link": link}))
        with pytest.raises(AuthenticationFailed):
            pull_channel(db, channel_id, shopify_for)
    with db.session() as s:
        channel = s.get_one(Channel, channel_id)
        assert (channel.last_error or "").startswith("auth_broken")
        assert (channel.cursor_state or {}).get("page") == "second"
        assert s.scalar(select(func.count()).select_from(Order)) == 1
