"""The one fake supplier of the tests: keeps orders by reference as BigBuy does (a repeat create
answers ER008 with the existing order), and fails on cue."""

from __future__ import annotations

import threading
from decimal import Decimal

import httpx

from connectors.base import ConnectorConfig, SupplierConnector
from connectors.errors import OutcomeUnknown, RateLimited
from connectors.records import (
    Quote,
    SupplierOrder,
    SupplierOrderRequest,
    SupplierRefusal,
    SupplierSubmission,
    Tracking,
)


class FakeSupplier(SupplierConnector):
    kind = "fake"

    def __init__(self) -> None:
        super().__init__(ConnectorConfig(name="fake", kind="fake", url="http://fake.invalid"))
        self.lock = threading.Lock()
        self.orders: dict[str, list[SupplierOrder]] = {}
        self.creates = 0
        self.lookups = 0
        self.balance = Decimal("1000")
        self.refuse: list[SupplierRefusal] = []
        self.drop_after_store = 0  # store, then raise OutcomeUnknown this many times
        self.throttle_lookups = 0  # answer this many look-ups with a 429
        self.fail_creates: list[BaseException] = []  # raise these, one per create, before storing
        self.next_id = 5000

    def make_client(self, transport: httpx.BaseTransport | None) -> httpx.Client:
        return httpx.Client()

    def quote(self, request: SupplierOrderRequest) -> Quote:
        return Quote(total=Decimal("10"))

    def create(self, request: SupplierOrderRequest) -> SupplierSubmission:
        with self.lock:
            self.creates += 1
            if self.fail_creates:
                raise self.fail_creates.pop(0)
            ref = request.internal_reference
            if ref in self.orders:
                return SupplierSubmission(internal_reference=ref, orders=self.orders[ref][:1], already_existed=True)
            if self.refuse:
                return SupplierSubmission(internal_reference=ref, refusals=list(self.refuse))
            self.next_id += 1
            made = [SupplierOrder(supplier_order_id=str(self.next_id), warehouse="1",
                                  skus=[ln.supplier_sku for ln in request.lines])]
            self.orders[ref] = made
            if self.drop_after_store:
                self.drop_after_store -= 1
                raise OutcomeUnknown("connection dropped after the request was sent")
            return SupplierSubmission(internal_reference=ref, orders=made)

    def find_by_reference(self, internal_reference: str) -> SupplierSubmission | None:
        with self.lock:
            self.lookups += 1
            if self.throttle_lookups:
                self.throttle_lookups -= 1
                raise RateLimited("429 on the look-up", retry_after=1)
            made = self.orders.get(internal_reference)
        return SupplierSubmission(internal_reference=internal_reference, orders=made[:1]) if made else None

    def tracking(self, supplier_order_ids: list[str]) -> list[Tracking]:
        return [Tracking(supplier_order_id=i, number=f"TRK{i}", carrier="gls") for i in supplier_order_ids]

    def wallet_balance(self) -> Decimal:
        return self.balance
