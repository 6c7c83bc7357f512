"""The one fake supplier of the tests: keeps orders by reference as BigBuy does (a repeat create
answers ER008 with the existing order), and fails on cue."""

from __future__ import annotations

import threading
from collections.abc import Callable
from decimal import Decimal

import httpx

from connectors.base import ConnectorConfig, SupplierConnector
from connectors.errors import OutcomeUnknown, RateLimited
from connectors.records import (
    Quote,
    ShippingOption,
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
        self.refuse_skus: set[str] = set()  # lines refused while the rest is created (a partial create)
        self.drop_after_store = 0  # store, then raise OutcomeUnknown this many times
        self.throttle_lookups = 0  # answer this many look-ups with a 429
        #: look-ups of these references raise the given error (a 4xx, a parse error...)
        self.lookup_errors: dict[str, Exception] = {}
        #: more tracking numbers a supplier order shows after its first (a second parcel, a correction)
        self.later_tracking: dict[str, list[str]] = {}
        self.fail_creates: list[BaseException] = []  # raise these, one per create, before storing
        self.next_id = 5000
        self.carriers: list[ShippingOption] | None = None  # the shipping options offered; None: cannot say
        self.warehouses: dict[str, str] = {}  # supplier SKU -> warehouse; a create splits by warehouse
        self.fail_create: Exception | None = None  # raised by every create (a permanent refusal)
        self.on_call: Callable[[str], None] | None = None  # called as each supplier call starts
        self.held: dict[str, SupplierOrderRequest] = {}  # supplier order id -> what it holds

    def make_client(self, transport: httpx.BaseTransport | None) -> httpx.Client:
        return httpx.Client()

    def quote(self, request: SupplierOrderRequest) -> Quote:
        return Quote(total=Decimal("10"))

    def _calling(self, name: str) -> None:
        if self.on_call is not None:
            self.on_call(name)

    def create(self, request: SupplierOrderRequest) -> SupplierSubmission:
        self._calling("create")
        if self.fail_create is not None:
            with self.lock:
                self.creates += 1
            raise self.fail_create
        with self.lock:
            self.creates += 1
            if self.fail_creates:
                raise self.fail_creates.pop(0)
            ref = request.internal_reference
            if ref in self.orders:
                return SupplierSubmission(internal_reference=ref, orders=self.orders[ref][:1], already_existed=True)
            if self.refuse:
                return SupplierSubmission(internal_reference=ref, refusals=list(self.refuse))
            by_warehouse: dict[str, list[str]] = {}
            refused = [SupplierRefusal(code="out_of_stock", message="no stock", skus=[ln.supplier_sku])
                       for ln in request.lines if ln.supplier_sku in self.refuse_skus]
            for ln in request.lines:
                if ln.supplier_sku in self.refuse_skus:
                    continue
                by_warehouse.setdefault(self.warehouses.get(ln.supplier_sku, "1"), []).append(ln.supplier_sku)
            made = []
            for warehouse, skus in sorted(by_warehouse.items()):
                self.next_id += 1
                made.append(SupplierOrder(supplier_order_id=str(self.next_id), warehouse=warehouse, skus=skus))
                self.held[str(self.next_id)] = request.model_copy(
                    update={"lines": [ln for ln in request.lines if ln.supplier_sku in skus]})
            if made:
                self.orders[ref] = made
            if self.drop_after_store:
                self.drop_after_store -= 1
                raise OutcomeUnknown("connection dropped after the request was sent")
            return SupplierSubmission(internal_reference=ref, orders=made, refusals=refused)

    def find_by_reference(self, internal_reference: str) -> SupplierSubmission | None:
        self._calling("find_by_reference")
        with self.lock:
            self.lookups += 1
            if self.throttle_lookups:
                self.throttle_lookups -= 1
                raise RateLimited("429 on the look-up", retry_after=1)
            if internal_reference in self.lookup_errors:
                raise self.lookup_errors[internal_reference]
            made = self.orders.get(internal_reference)
        return SupplierSubmission(internal_reference=internal_reference, orders=made[:1]) if made else None

    def held_order(self, supplier_order_id: str) -> SupplierOrderRequest | None:
        self._calling("held_order")
        with self.lock:
            return self.held.get(supplier_order_id)

    def tracking(self, supplier_order_ids: list[str]) -> list[Tracking]:
        self._calling("tracking")
        return [Tracking(supplier_order_id=i, number=number, carrier="gls") for i in supplier_order_ids
                for number in [f"TRK{i}", *self.later_tracking.get(i, [])]]

    def shipping_options(self, request: SupplierOrderRequest) -> list[ShippingOption] | None:
        self._calling("shipping_options")
        return self.carriers

    def wallet_balance(self) -> Decimal:
        self._calling("wallet_balance")
        return self.balance
