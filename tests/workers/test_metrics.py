"""The pipeline's counters move when the pipeline does: a pull of the sandbox shop and the
forwarding of its ready orders, over real HTTP."""

from __future__ import annotations

from prometheus_client import REGISTRY

from admin import stack as sandbox_stack
from sync import connect, pull
from sync.forward import forward


def _value(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_ingest_flags_forwarding_and_waits_are_counted(db) -> None:
    stack = sandbox_stack.start(bigbuy_rate=0)
    try:
        ids = sandbox_stack.register(db, stack, supplier_rate=100)
        before = {
            "ingested": _value("orderhub_orders_ingested_total", channel="shopify-sandbox", kind="inserted"),
            "surname": _value("orderhub_orders_flagged_total", code="missing_surname"),
            "created": _value("orderhub_orders_forwarded_total", how="created"),
            "sent": _value("orderhub_orders_settled_total", status="sent"),
            "latency": _value("orderhub_ingest_to_sent_seconds_count"),
            "waits": _value("orderhub_rate_limiter_wait_seconds_count", account="bigbuy-sandbox"),
        }
        ready = pull.pull_channel(db, ids["shopify"], connect.channel_for).ready
        assert _value("orderhub_orders_ingested_total", channel="shopify-sandbox", kind="inserted") \
            == before["ingested"] + stack.scenario.orders
        # the default scenario has two orders without a surname on each shop
        assert _value("orderhub_orders_flagged_total", code="missing_surname") == before["surname"] + 2
        for order_id in ready[:3]:
            assert forward(db, order_id, connect.supplier_for).result == "sent"
        assert _value("orderhub_orders_forwarded_total", how="created") == before["created"] + 3
        assert _value("orderhub_orders_settled_total", status="sent") == before["sent"] + 3
        assert _value("orderhub_ingest_to_sent_seconds_count") == before["latency"] + 3
        # every supplier call waited on the shared bucket first (a wallet read, then one create each)
        assert _value("orderhub_rate_limiter_wait_seconds_count", account="bigbuy-sandbox") >= before["waits"] + 3
    finally:
        stack.stop()
