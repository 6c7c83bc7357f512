"""Small builders for sync tests: channel rows, canonical orders, a fake supplier."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx

from orderhub.connectors.base import ConnectorConfig, SupplierConnector
from orderhub.connectors.errors import OutcomeUnknown
from orderhub.connectors.records import (
    Address,
    ChannelOrder,
    OrderLine,
    Quote,
    SupplierOrder,
    SupplierOrderRequest,
    SupplierRefusal,
    SupplierSubmission,
    Tracking,
)
from orderhub.sync.db import Database
from orderhub.sync.models import CatalogueItem, Channel

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def add_accounts(db: Database, *, settings: dict[str, Any] | None = None) -> tuple[int, int]:
    with db.session() as s:
        ch = Channel(name="shop", kind="shopify", role="channel", url="http://shop.invalid",
                     credentials={"access_token": "t"}, settings=settings or {})
        sup = Channel(name="supplier", kind="bigbuy", role="supplier", url="http://supplier.invalid",
                      credentials={"api_key": "k"}, settings={})
        s.add_all([ch, sup])
        for sku in ("SKU-1", "SKU-2", "SKU-3"):
            s.add(CatalogueItem(sku=sku, supplier_sku=sku, title=sku, cost=Decimal("10.00")))
        s.flush()
        return ch.id, sup.id


def order(external_id: str = "1", *, updated: int = 0, paid: str = "paid", last_name: str | None = "Garcia",
          sku: str | None = "SKU-1", cancelled: bool = False, address2: str | None = None,
          quantity: int = 1, test: bool = False, postcode: str = "46005") -> ChannelOrder:
    return ChannelOrder(
        external_id=external_id,
        number=f"#{external_id}",
        status="open",
        payment_status=paid,  # type: ignore[arg-type]
        currency="EUR",
        total=Decimal("39.90"),
        placed_at=T0,
        updated_at=T0 + timedelta(minutes=updated),
        shipping_address=Address(first_name="Lucia", last_name=last_name, address1="Calle Mayor 1",
                                 address2=address2, city="Valencia", postcode=postcode, country_code="ES",
                                 phone="+34600000000", email="lucia@example.com"),
        lines=[OrderLine(sku=sku, quantity=quantity, unit_price=Decimal("39.90"), title="Lamp", external_id="11")],
        cancelled=cancelled,
        test=test,
    )


class FakeSupplier(SupplierConnector):
    """Keeps orders by reference like the real one (ER008 on a repeat) and can fail on cue."""

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
        self.next_id = 5000

    def make_client(self, transport: httpx.BaseTransport | None) -> httpx.Client:
        return httpx.Client()

    def quote(self, request: SupplierOrderRequest) -> Quote:
        return Quote(total=Decimal("10"))

    def create(self, request: SupplierOrderRequest) -> SupplierSubmission:
        with self.lock:
            self.creates += 1
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
        self.lookups += 1
        made = self.orders.get(internal_reference)
        return SupplierSubmission(internal_reference=internal_reference, orders=made[:1]) if made else None

    def tracking(self, supplier_order_ids: list[str]) -> list[Tracking]:
        return [Tracking(supplier_order_id=i, number=f"TRK{i}", carrier="gls") for i in supplier_order_ids]

    def wallet_balance(self) -> Decimal:
        return self.balance
