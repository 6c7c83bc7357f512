"""Unpaid orders read again from their channel by the reconciler: a payment whose update never
reached us (a lost webhook, a pull window that skipped it) must not leave its order in
awaiting_payment for good."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import dramatiq
import httpx
import respx
from dramatiq.brokers.stub import StubBroker
from sqlalchemy import select, update

from connectors.base import ChannelConnector
from sync import connect, unpaid
from sync.db import Database
from sync.models import Channel, Order
from sync.pull import pull_channel
from sync.states import Status
from workers import actors, reconciler

import support
from support.orders import add_accounts

SHOP = "http://shop.invalid/admin/api/2024-10"
WOO = "https://woo.invalid/wp-json/wc/v3"


def _queued(broker: StubBroker) -> list[int]:
    return sorted(dramatiq.Message.decode(data).args[0] for data in list(broker.queues["forward"].queue))


def _sweep(db: Database, *, limit: int = 50) -> unpaid.Checked:
    return reconciler.sweep_unpaid(db, connect.channel_for, forward=actors.forward_order,
                                   older_than=timedelta(minutes=30), limit=limit)


def _age(db: Database, channel_id: int | None = None) -> None:
    """Every unpaid order (of one channel) has waited an hour."""
    stmt = update(Order).where(Order.status == Status.AWAITING_PAYMENT.value)
    if channel_id is not None:
        stmt = stmt.where(Order.channel_id == channel_id)
    with db.session() as s:
        s.execute(stmt.values(status_changed_at=datetime.now(UTC) - timedelta(hours=1)))


def _statuses(db: Database) -> dict[tuple[int, str], str]:
    with db.session() as s:
        return {(c, e): st for c, e, st in s.execute(select(Order.channel_id, Order.external_id, Order.status))}


def _shopify_body(order_id: int, paid: str) -> dict[str, Any]:
    body: dict[str, Any] = json.loads(support.payload("shopify", "order.json").read_text())["order"]
    body["line_items"] = [dict(body["line_items"][0], sku="SKU-1", quantity=1)]
    return body | {"id": order_id, "name": f"#{order_id}", "financial_status": paid,
                   "updated_at": "2026-11-02T10:00:00+00:00", "fulfillment_status": None}


def _store_unpaid(db: Database, channel_id: int, *bodies: dict[str, Any]) -> None:
    """Orders stored as a pull stored them: unpaid."""
    with respx.mock() as api:
        api.get(f"{SHOP}/orders.json").mock(return_value=httpx.Response(200, json={"orders": list(bodies)}))
        pull_channel(db, channel_id, connect.channel_for)
    assert {st for (c, _), st in _statuses(db).items() if c == channel_id} == {Status.AWAITING_PAYMENT.value}


def _paid_later(body: dict[str, Any]) -> dict[str, Any]:
    return body | {"financial_status": "paid", "updated_at": "2026-11-02T10:05:00+00:00"}


def test_an_unpaid_order_the_channel_shows_paid_moves_on_and_is_sent_forward(db, stub) -> None:
    channel_id, _ = add_accounts(db)
    paid, still_unpaid = _shopify_body(101, "pending"), _shopify_body(102, "pending")
    _store_unpaid(db, channel_id, paid, still_unpaid)
    with db.session() as s:
        cursor = s.get(Channel, channel_id).cursor
    _age(db)
    with respx.mock() as api:
        one = api.get(f"{SHOP}/orders/101.json").mock(
            return_value=httpx.Response(200, json={"order": _paid_later(paid)}))
        two = api.get(f"{SHOP}/orders/102.json").mock(return_value=httpx.Response(200, json={"order": still_unpaid}))
        checked = _sweep(db)
    assert one.call_count == two.call_count == 1
    statuses = _statuses(db)
    assert statuses[(channel_id, "102")] == Status.AWAITING_PAYMENT.value
    assert statuses[(channel_id, "101")] == Status.READY.value
    assert (checked.asked, checked.updated, checked.moved, checked.failed) == (2, 1, 1, [])
    with db.session() as s:
        moved = s.scalar(select(Order.id).where(Order.external_id == "101"))
        # read one by one, outside a pull: the next pull still starts where the last one stood
        assert s.get(Channel, channel_id).cursor == cursor
    assert _queued(stub) == [moved] and checked.ready == [moved]


def test_recent_unpaid_orders_and_channels_that_cannot_read_one_order_are_not_asked(db, stub) -> None:
    channel_id, _ = add_accounts(db)
    _store_unpaid(db, channel_id, _shopify_body(101, "pending"))
    with db.session() as s:  # a channel kind without the hook, with an old unpaid order of its own
        s.add(Channel(name="market", kind="amazon", role="channel", url="http://market.invalid"))
    with respx.mock(assert_all_called=False) as api:  # any call would fail: nothing is mocked
        checked = _sweep(db)
    assert checked.asked == 0 and not api.calls
    assert "amazon" not in unpaid.readable_kinds()
    assert {"shopify", "woocommerce"} <= set(unpaid.readable_kinds())
    assert ChannelConnector.fetch_order.__doc__ and "None" in ChannelConnector.fetch_order.__doc__


def test_one_channel_failing_never_stops_the_sweep_and_a_refused_order_skips_only_itself(db, stub) -> None:
    down, _ = add_accounts(db)
    with db.session() as s:
        woo = Channel(name="woo", kind="woocommerce", role="channel", url="https://woo.invalid",
                      credentials={"consumer_key": "ck_x", "consumer_secret": "cs_x"})
        s.add(woo)
        s.flush()
        woo_id = woo.id
    _store_unpaid(db, down, _shopify_body(101, "pending"))
    woo_body = json.loads(support.payload("woocommerce", "orders__retrieve-an-order.response.json").read_text())
    woo_body["line_items"] = [dict(woo_body["line_items"][1], sku="SKU-1")]
    pending = [woo_body | {"id": i, "status": "pending"} for i in (701, 702)]
    with respx.mock() as api:
        api.get(url__startswith=f"{WOO}/products").mock(return_value=httpx.Response(200, json=[]))
        api.get(f"{WOO}/orders").mock(return_value=httpx.Response(200, json=pending, headers={"X-WP-TotalPages": "1"}))
        pull_channel(db, woo_id, connect.channel_for)
    assert _statuses(db)[(woo_id, "701")] == Status.AWAITING_PAYMENT.value
    _age(db)
    with respx.mock(assert_all_called=False) as api:  # the products are known from the pull
        shop = api.get(f"{SHOP}/orders/101.json").mock(return_value=httpx.Response(503))
        api.get(url__startswith=f"{WOO}/products").mock(return_value=httpx.Response(200, json=[]))
        api.get(f"{WOO}/orders/701").mock(return_value=httpx.Response(
            400, json={"code": "woocommerce_rest_invalid_id", "message": "Invalid ID.", "data": {"status": 400}}))
        api.get(f"{WOO}/orders/702").mock(return_value=httpx.Response(
            200, json=pending[1] | {"status": "processing", "date_paid_gmt": "2026-11-02T10:00:00",
                                    "date_modified_gmt": "2099-01-01T00:00:00"}))
        checked = reconciler.sweep_unpaid(db, _no_wait, forward=actors.forward_order,
                                          older_than=timedelta(minutes=30), limit=50)
    assert shop.called and checked.failed == ["shop"]
    statuses = _statuses(db)
    assert statuses[(down, "101")] == statuses[(woo_id, "701")] == Status.AWAITING_PAYMENT.value
    assert statuses[(woo_id, "702")] != Status.AWAITING_PAYMENT.value and checked.moved == 1


def _no_wait(row: Channel) -> ChannelConnector:
    connector = connect.channel_for(row)
    for name in ("sleep", "retry_sleep"):
        if hasattr(connector, name):
            setattr(connector, name, lambda seconds: None)
    return connector


def test_one_sweep_reads_at_most_its_bound(db, stub) -> None:
    channel_id, _ = add_accounts(db)
    _store_unpaid(db, channel_id, *[_shopify_body(i, "pending") for i in (101, 102, 103)])
    _age(db)
    with respx.mock() as api:
        route = api.get(url__regex=rf"{SHOP}/orders/10[123]\.json").mock(
            side_effect=lambda request: httpx.Response(200, json={"order": _shopify_body(
                int(request.url.path.rsplit("/", 1)[-1].removesuffix(".json")), "pending")}))
        checked = _sweep(db, limit=2)
    assert route.call_count == 2 and checked.asked == 2


def test_a_payment_the_pull_missed_is_found_through_the_shopify_sandbox(db, stub) -> None:
    """The sandbox's order is paid after the pull, and no pull reads it again: the sweep does."""
    from admin import stack as sandbox_stack
    from sandbox import seeding, server
    from sandbox.shopify import ShopifySandbox

    app = ShopifySandbox(seeding.generate("shopify"))
    with server.Running(app) as running:
        with db.session() as s:
            row = Channel(name="sandbox", kind="shopify", role="channel", url=running.url,
                          credentials=app.credentials(),
                          settings={"first_pull_hours": sandbox_stack.seeds_first_pull_hours()})
            s.add(row)
            s.flush()
            channel_id = row.id
        pull_channel(db, channel_id, connect.channel_for)
        unpaid_ids = {e for (c, e), st in _statuses(db).items() if st == Status.AWAITING_PAYMENT.value}
        assert len(unpaid_ids) >= 2
        paying = min(unpaid_ids)
        spec = next(s for s in app.specs if str(s.order_id) == paying)
        app.add_orders([replace(spec, paid=True, updated_at=app.now())])
        _age(db, channel_id)
        checked = _sweep(db)
    statuses = _statuses(db)
    assert statuses[(channel_id, paying)] != Status.AWAITING_PAYMENT.value
    assert all(statuses[(channel_id, e)] == Status.AWAITING_PAYMENT.value for e in unpaid_ids - {paying})
    assert checked.asked == len(unpaid_ids) and checked.moved == 1 and checked.failed == []


def test_the_reconciler_job_reads_unpaid_orders_too(db, stub) -> None:
    channel_id, _ = add_accounts(db)
    body = _shopify_body(101, "pending")
    _store_unpaid(db, channel_id, body)
    with db.session() as s:  # older than the default UNPAID_CHECK_AFTER_SECONDS
        s.execute(update(Order).values(status_changed_at=datetime.now(UTC) - timedelta(days=1)))
    with respx.mock() as api:
        route = api.get(f"{SHOP}/orders/101.json").mock(
            return_value=httpx.Response(200, json={"order": _paid_later(body)}))
        actors.reconcile_stuck.fn()
    assert route.call_count == 1
    assert _statuses(db)[(channel_id, "101")] == Status.READY.value
