"""Half a character: JSON's ``"\\ud83d"`` (a lone UTF-16 surrogate, as when a channel cuts an emoji
in two) is valid JSON, and ``response.json()`` keeps it as a code point no UTF-8 text holds, so
PostgreSQL refuses it in ``jsonb`` and in text columns alike. Such a body is quarantined by name and
the rest of its page is stored; read again, it is not quarantined twice."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from sqlalchemy import func, select

from connectors.base import parse_bodies
from connectors.records import OrderPage, RejectedBody
from connectors.storable import storable_text, unstorable
from sync.db import Database
from sync.ingest import store_page
from sync.models import Order, QuarantinedBody
from sync.rows import storable

from support.orders import fresh_channel
from support.strategies import KINDS, connector, sandbox_bodies

HALF = "\\ud83d"  # as the wire carries it


def as_read(bodies: list[Any]) -> list[Any]:
    """What ``response.json()`` gives for these bodies once ``@HALF@`` is put on the wire as HALF."""
    return json.loads(json.dumps(bodies).replace("@HALF@", HALF))


def every_text(body: Any) -> Any:
    """The body with half a character after every text value (ids included)."""
    if isinstance(body, dict):
        return {k: every_text(v) for k, v in body.items()}
    if isinstance(body, list):
        return [every_text(v) for v in body]
    return f"{body}@HALF@" if isinstance(body, str) else body


def two_bodies(kind: str) -> tuple[Any, Any]:
    """Two orders as the kind's sandbox serves them (each its own id)."""
    good, bad = (copy.deepcopy(body) for body, _ in sandbox_bodies(kind)[:2])
    assert connector(kind).parse_order(good).external_id != connector(kind).parse_order(bad).external_id
    return good, bad


def add_channel(db: Database, kind: str) -> int:
    return fresh_channel(db, kind, "half")


def store(db: Database, kind: str, channel_id: int, bodies: list[Any]) -> Any:
    page = parse_bodies(connector(kind), bodies, known=lambda _: {})
    with db.session() as s:
        return store_page(s, channel_id, page)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("where", ["a field only the body keeps", "every text of the body"])
def test_a_body_holding_half_a_character_is_quarantined_and_its_page_stored(db: Database, kind: str,
                                                                             where: str) -> None:
    good, bad = two_bodies(kind)
    if where == "every text of the body":
        bad = every_text(bad)
    else:
        bad["x_seller_note"] = "gift 😀 for @HALF@"
    cls = connector(kind)
    page = as_read([good, bad])
    channel_id = add_channel(db, kind)

    result = store(db, kind, channel_id, page)
    again = store(db, kind, channel_id, page)

    assert (result.inserted, result.quarantined) == (1, 1)
    assert (again.inserted, again.quarantined, again.unchanged) == (0, 1, 1)  # quarantined, one row kept
    with db.session() as s:
        stored = s.scalars(select(Order.external_id).where(Order.channel_id == channel_id)).all()
        [kept] = s.scalars(select(QuarantinedBody).where(QuarantinedBody.channel_id == channel_id)).all()
    assert stored == [cls.parse_order(page[0]).external_id]
    assert "half a character" in kept.error
    assert "\\ud83d" in kept.body and kept.body.encode()  # the body as read, the half as its escape
    if where == "a field only the body keeps":
        assert kept.error.endswith("x_seller_note holds half a character (a lone UTF-16 surrogate)")


def test_the_checks_find_half_a_character_and_the_repair_replaces_it() -> None:
    body = json.loads('{"a": {"b": ["ok", "x\\ud83d"]}, "c": "\\ud83d\\ude00", "\\udc00": 1}')
    assert body["c"] == "😀"  # a pair, read as the one character it encodes
    assert storable_text(body) is None
    assert unstorable({"a": body["a"]}) == ("a.b[1]", "holds half a character (a lone UTF-16 surrogate)")
    assert unstorable({"\udc00": 1}) == ("", "has a key holding half a character (a lone UTF-16 surrogate)")
    assert unstorable({"c": "😀"}) is None and storable_text({"c": "😀"}) == '{"c":"😀"}'
    assert storable(body) == {"a": {"b": ["ok", "x\ufffd"]}, "c": "😀", "\ufffd": 1}


def test_a_body_held_in_quarantine_read_again_keeps_one_row_with_its_latest_error(db: Database) -> None:
    channel_id = add_channel(db, "shopify")
    body = {"id": 5, "total_price": "not money"}

    def page(error: str) -> OrderPage:
        return OrderPage(rejected=[RejectedBody(body=body, error=error, external_id="5")])

    for error in ("total_price is not an amount", "total_price is not an amount", "line_items is missing"):
        with db.session() as s:
            assert store_page(s, channel_id, page(error)).quarantined == 1
    with db.session() as s:
        kept = s.scalars(select(QuarantinedBody).where(QuarantinedBody.channel_id == channel_id)).all()
        assert [(q.external_id, q.error) for q in kept] == [("5", "line_items is missing")]
        kept[0].resolved_at = kept[0].received_at  # an operator dealt with it: a new reading is kept anew
    with db.session() as s:
        store_page(s, channel_id, page("line_items is missing"))
        assert s.scalar(select(func.count()).select_from(QuarantinedBody)
                        .where(QuarantinedBody.channel_id == channel_id)) == 2
