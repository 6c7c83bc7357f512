"""A page mixing good bodies with mutated and garbage ones: parsed as the pull step parses it and
stored in one transaction, every good order is stored, every unreadable body is quarantined with
its error, and nothing raises. Runs on SQLite, and on PostgreSQL when ORDERHUB_TEST_DATABASE_URL
is set (its column types and JSONB are stricter than SQLite's)."""

from __future__ import annotations

import copy
import itertools
import json
from collections import Counter
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, note, settings
from hypothesis import strategies as st
from sqlalchemy import select

from connectors import errors
from connectors.base import parse_bodies
from sync.db import Database
from sync.ingest import store_page
from sync.models import Order, QuarantinedBody
from sync.rows import storable

from support.orders import fresh_channel
from support.strategies import HOSTILE, KINDS, connector, examples, field_names, json_values, known_bodies, mutated

_ids = itertools.count(1)


def add_channel(db: Database, kind: str) -> int:
    return fresh_channel(db, kind, "fuzz")


def with_id(body: Any, order_id: int, field: str = "id") -> Any:
    """``body`` with this order id in the connector's id field (Amazon's ``orderId`` is text)."""
    body = copy.deepcopy(body)
    if isinstance(body, dict):
        body[field] = order_id if field == "id" else str(order_id)
    return body


@pytest.mark.parametrize("kind", KINDS)
@settings(deadline=None, derandomize=False, print_blob=True, max_examples=examples(15),
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.data_too_large, HealthCheck.filter_too_much])
@given(data=st.data())
def test_a_page_with_garbage_keeps_every_good_order_and_quarantines_the_rest(
    db: Database, kind: str, data: st.DataObject
) -> None:
    cls = connector(kind)
    known = known_bodies(kind)
    assert known, f"no real or sandbox body for {kind}"
    keys = field_names(kind)
    base = 9_000_000 + 1000 * next(_ids)  # unique order ids within the page
    good = [with_id(data.draw(st.sampled_from(known), label="good"), base + i, cls.id_field)
            for i in range(data.draw(st.integers(1, 5), label="good count"))]
    bad_count = data.draw(st.integers(1, 4), label="bad count")
    # garbage, bodies mutated anyhow, and bodies mutated in ways only a database minds (sizes, NUL, NaN)
    bad = [data.draw(st.one_of(
        json_values(keys, max_leaves=10),
        mutated([with_id(data.draw(st.sampled_from(known)), base + 500 + i, cls.id_field)], keys=keys),
        mutated([with_id(data.draw(st.sampled_from(known)), base + 500 + i, cls.id_field)], most=2, mutations=HOSTILE),
    ), label=f"bad {i}") for i in range(bad_count)]
    bodies = data.draw(st.permutations(good + bad), label="page")

    # what each body must become, by the connector's own verdict on it alone
    stored: list[str] = []
    rejected: list[tuple[str, str | None]] = []
    for body in bodies:
        try:
            stored.append(cls.parse_order(body).external_id)
        except errors.ParseError as exc:
            external_id = body.get(cls.id_field) if isinstance(body, dict) else None
            rejected.append((str(exc), None if external_id is None else str(external_id)[:100]))
    assume(len(set(stored)) == len(stored))  # a mutation can make two ids alike; the page would hold one
    note(f"stored {stored}, rejected {rejected}")

    page = parse_bodies(cls, bodies)
    channel_id = add_channel(db, kind)
    with db.session() as s:
        result = store_page(s, channel_id, page)
    assert (result.inserted, result.quarantined) == (len(stored), len(rejected))

    with db.session() as s:
        kept = s.scalars(select(Order.external_id).where(Order.channel_id == channel_id)).all()
        quarantined = s.execute(select(QuarantinedBody.external_id, QuarantinedBody.error, QuarantinedBody.body)
                                .where(QuarantinedBody.channel_id == channel_id)).all()
    assert sorted(kept) == sorted(stored), "a good order of the page was not stored"
    assert Counter(error for _, error, _ in quarantined) == Counter(
        error[:2000] for error, _ in rejected), "an unreadable body was not quarantined with its error"
    # with the id it had (a NUL or half a character in one stored replaced: text cannot hold them)
    assert Counter(storable(ext) for _, ext in rejected) <= Counter(
        ext for ext, _, _ in quarantined), "a quarantined body lost its external id"
    for _, _, text in quarantined:
        json.loads(text)  # the body is kept as JSON an operator can read back
    assert len(kept) + len(quarantined) == len(bodies)
