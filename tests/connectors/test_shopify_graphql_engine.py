"""A Shopify channel set to GraphQL, pulled by the engine from the sandbox over real HTTP: the
same orders land as over REST, and switching a channel between the APIs changes no order."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import select

from admin import stack as sandbox_stack
from sandbox.shopify_graphql import CostBucket
from sync import connect, pull, track
from sync.forward import forward
from sync.models import Channel, Order, Shipment


def _start() -> sandbox_stack.SandboxStack:
    stack = sandbox_stack.start(bigbuy_rate=0)
    # a large shop's bucket: this is about the engine, the throttle has its own tests
    stack.shopify_app.graphql.bucket = CostBucket(maximum=20_000.0, restore_rate=10_000.0)
    return stack


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
    stack = _start()
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


def test_tracking_reaches_a_graphql_channel_once_per_parcel(db) -> None:
    stack = _start()
    try:
        ids = sandbox_stack.register(db, stack, supplier_rate=100)
        _set_api(db, ids["shopify"], "graphql")
        ready = pull.pull_channel(db, ids["shopify"], connect.channel_for).ready
        assert ready
        for order_id in ready[:4]:
            assert forward(db, order_id, connect.supplier_for).result == "sent"
        stack.bigbuy_app.advance()
        swept = track.sweep(db, connect.supplier_for)
        assert swept.to_push
        for shipment_id in swept.to_push:
            assert track.push(db, shipment_id, connect.channel_for)
        numbers = [f["tracking_number"] for f in stack.shopify_app.fulfillments]
        assert len(numbers) == len(swept.to_push) == len(set(numbers))
        assert stack.shopify_app.graphql.queries.count("FulfillmentCreate") == len(numbers)
        with db.session() as session:
            assert all(s.pushed_at is not None for s in session.scalars(select(Shipment)))
    finally:
        stack.stop()


def test_a_refund_reads_the_same_over_graphql_and_rest_and_starts_an_after_sales_order(db) -> None:
    from sqlalchemy import update

    from sync.channel_refunds import channel_refunds, start_after_sales

    stack = _start()
    try:
        ids = sandbox_stack.register(db, stack)
        app = stack.shopify_app
        spec = next(s for s in app.specs if not s.cancelled and len(s.lines) >= 2 and s.lines[0].sku)
        refund_id = app.add_refund(spec.order_id, "7.50", {spec.lines[0].sku: 1}, note="damaged")
        _set_api(db, ids["shopify"], "graphql")
        pull.pull_channel(db, ids["shopify"], connect.channel_for)

        def read() -> list[Any]:
            with db.session() as s:
                order = s.scalar(select(Order).where(Order.channel_id == ids["shopify"],
                                                     Order.external_id == str(spec.order_id)))
                assert order is not None
                return [(f.external_id, f.amount, f.reason, [(ln.sku, ln.quantity, ln.line_external_id)
                                                              for ln in f.lines]) for f in channel_refunds(s, order)]

        by_graphql = read()
        assert by_graphql[0][:3] == (str(refund_id), Decimal("7.50"), "damaged")
        assert [(sku, n) for sku, n, _ in by_graphql[0][3]] == [(spec.lines[0].sku, 1)]
        with db.session() as s:  # the REST body in place of the node: the same refund
            s.execute(update(Order).where(Order.channel_id == ids["shopify"],
                                          Order.external_id == str(spec.order_id))
                      .values(raw=app._render_spec(spec), status="shipped"))
        assert read() == by_graphql
        with db.session() as s:
            order_id = s.scalar(select(Order.id).where(Order.channel_id == ids["shopify"],
                                                       Order.external_id == str(spec.order_id)))
            made = start_after_sales(s, order_id, str(refund_id), kind="refund_only", actor="user:ana",
                                     can_after_sales=True)
            assert [(i.sku, i.quantity) for i in made.items] == [(spec.lines[0].sku, 1)]
            assert made.return_amount == Decimal("7.50")
    finally:
        stack.stop()
