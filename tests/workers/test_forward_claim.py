"""Claims and take-overs as the workers see them: a live attempt is never joined by a second one,
an attempt that ended without knowing is taken over at once, and a failed look-up never lets the
next attempt create without looking first."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import httpx
import pytest
from test_reconciler import _ready_orders

from orderhub.connectors.base import ConnectorConfig, SupplierConnector
from orderhub.connectors.errors import OutcomeUnknown, RateLimited
from orderhub.connectors.records import Quote, SupplierOrder, SupplierOrderRequest, SupplierSubmission, Tracking
from orderhub.sync.forward import claim, forward
from orderhub.sync.models import Order


class Supplier(SupplierConnector):
    kind = "fake"

    def __init__(self) -> None:
        super().__init__(ConnectorConfig(name="fake", kind="fake", url="http://fake.invalid"))
        self.stored: dict[str, str] = {}
        self.creates = self.lookups = 0
        self.drop_next_create = False
        self.throttle_lookups = 0

    def make_client(self, transport: httpx.BaseTransport | None) -> httpx.Client:
        return httpx.Client()

    def quote(self, request: SupplierOrderRequest) -> Quote:
        return Quote(total=Decimal("10"))

    def create(self, request: SupplierOrderRequest) -> SupplierSubmission:
        self.creates += 1
        ref = request.internal_reference
        existed = ref in self.stored
        self.stored.setdefault(ref, str(9000 + len(self.stored)))
        if self.drop_next_create:
            self.drop_next_create = False
            raise OutcomeUnknown("connection dropped after the request left")
        return SupplierSubmission(internal_reference=ref, orders=[SupplierOrder(supplier_order_id=self.stored[ref])],
                                  already_existed=existed)

    def find_by_reference(self, internal_reference: str) -> SupplierSubmission | None:
        self.lookups += 1
        if self.throttle_lookups:
            self.throttle_lookups -= 1
            raise RateLimited("429 on the look-up", retry_after=1)
        found = self.stored.get(internal_reference)
        return SupplierSubmission(internal_reference=internal_reference,
                                  orders=[SupplierOrder(supplier_order_id=found)]) if found else None

    def tracking(self, supplier_order_ids: list[str]) -> list[Tracking]:
        return []

    def wallet_balance(self) -> Decimal:
        return Decimal("1000")


def _order(db, order_id: int) -> Order:
    with db.session() as s:
        order = s.get(Order, order_id)
        s.expunge(order)
        return order


def test_a_live_attempt_is_not_taken_over_by_a_second_message(db) -> None:
    (order_id,) = _ready_orders(db, 1)
    with db.session() as s:
        first = claim(s, order_id, stale_after=timedelta(minutes=2))
    assert first is not None and not first.lookup_first
    with db.session() as s:  # the same order's second message, while the first attempt runs
        assert claim(s, order_id, stale_after=timedelta(minutes=2)) is None
    with db.session() as s:  # silent for longer than stale_after: the first attempt is taken for dead
        second = claim(s, order_id, stale_after=timedelta(0))
    assert second is not None and second.lookup_first


def test_a_look_up_that_fails_keeps_the_outcome_unknown(db) -> None:
    (order_id,) = _ready_orders(db, 1)
    supplier = Supplier()
    supplier.drop_next_create = True
    with pytest.raises(OutcomeUnknown):
        forward(db, order_id, lambda row: supplier)
    supplier.throttle_lookups = 1
    with pytest.raises(RateLimited):  # the retry is taken over at once, and its look-up is throttled
        forward(db, order_id, lambda row: supplier)
    order = _order(db, order_id)
    assert (order.status, order.outcome_unknown) == ("forwarding", True)  # not ready with the flag cleared
    assert forward(db, order_id, lambda row: supplier).result == "sent"
    assert supplier.creates == 1 and supplier.lookups == 2  # found by reference, never created again
