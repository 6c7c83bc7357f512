"""Claims and take-overs as the workers see them: a live attempt is never joined by a second one,
an attempt that ended without knowing is taken over at once, and a failed look-up never lets the
next attempt create without looking first."""

from __future__ import annotations

from datetime import timedelta

import pytest

from connectors.errors import OutcomeUnknown, RateLimited
from sync.forward import claim, forward
from sync.models import Order

from support.orders import ready_orders
from support.supplier import FakeSupplier


def _order(db, order_id: int) -> Order:
    with db.session() as s:
        order = s.get(Order, order_id)
        s.expunge(order)
        return order


def test_a_live_attempt_is_not_taken_over_by_a_second_message(db) -> None:
    (order_id,) = ready_orders(db, 1)
    with db.session() as s:
        first = claim(s, order_id, stale_after=timedelta(minutes=2))
    assert first is not None and not first.lookup_first
    with db.session() as s:  # the same order's second message, while the first attempt runs
        assert claim(s, order_id, stale_after=timedelta(minutes=2)) is None
    with db.session() as s:  # silent for longer than stale_after: the first attempt is taken for dead
        second = claim(s, order_id, stale_after=timedelta(0))
    assert second is not None and second.lookup_first


def test_a_look_up_that_fails_keeps_the_outcome_unknown(db) -> None:
    (order_id,) = ready_orders(db, 1)
    supplier = FakeSupplier()
    supplier.drop_after_store = 1
    with pytest.raises(OutcomeUnknown):
        forward(db, order_id, lambda row: supplier)
    supplier.throttle_lookups = 1
    with pytest.raises(RateLimited):  # the retry is taken over at once, and its look-up is throttled
        forward(db, order_id, lambda row: supplier)
    order = _order(db, order_id)
    assert (order.status, order.outcome_unknown) == ("forwarding", True)  # not ready with the flag cleared
    assert forward(db, order_id, lambda row: supplier).result == "sent"
    assert supplier.creates == 1 and supplier.lookups == 2  # found by reference, never created again
