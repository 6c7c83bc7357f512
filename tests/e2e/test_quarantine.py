"""A body a channel sends that cannot be read is kept with its error, and the rest of its page
goes on: through real HTTP, the real connectors and the pull step."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from admin import stack as sandbox_stack
from sync import connect, pull
from sync.models import Order, QuarantinedBody


@pytest.mark.parametrize("channel", ["shopify", "woocommerce"])
def test_a_malformed_order_is_quarantined_and_its_page_goes_on(db, channel: str) -> None:
    stack = sandbox_stack.start(bigbuy_rate=0)
    try:
        app = stack.shopify_app if channel == "shopify" else stack.woocommerce_app
        app.add_raw({"id": 999_999, "total_price": "not money", "total": "not money", "line_items": "nope"})
        ids = sandbox_stack.register(db, stack)
        result = pull.pull_channel(db, ids[channel], connect.channel_for)
        assert result.quarantined == 1
        assert result.inserted == 30
        with db.session() as s:
            kept = s.scalar(select(QuarantinedBody))
            assert kept.external_id == "999999"
            assert json.loads(kept.body)["total"] == "not money" and kept.error
            assert s.scalar(select(func.count()).select_from(Order)) == 30
    finally:
        stack.stop()
