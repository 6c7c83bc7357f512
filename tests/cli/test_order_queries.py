"""What ``orders list`` and ``orders find`` print for each order: its open reasons, each once."""

from __future__ import annotations

from sqlalchemy import func, select

from admin import queries
from connectors.records import OrderPage
from sync.db import Database
from sync.ingest import store_page
from sync.issues import open_codes
from sync.models import OrderIssue

from support.orders import add_accounts, order


def test_a_reason_held_for_several_fields_is_listed_once(db: Database) -> None:
    channel_id, _ = add_accounts(db)
    with db.session() as s:
        store_page(s, channel_id, OrderPage(orders=[order("1", last_name="****", address2="****"),
                                                    order("2", last_name=None)]))
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(OrderIssue).where(OrderIssue.code == "masked_data")) == 2
    listed = {i["number"]: i["issues"] for i in queries.list_orders(status="pending_review")}
    assert listed == {"#1": ["masked_data"], "#2": ["missing_surname"]}
    assert [i["issues"] for i in queries.find_orders("1")] == [["masked_data"]]
    with db.session() as s:
        assert open_codes(s, queries.find_orders("1")[0]["id"]) == ["masked_data"]
