"""Builders for the web admin's tests: a main account, a sub-account that may not see prices,
orders in review for the usual reasons, and a forwarder that sends to the one fake supplier."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from connectors.records import OrderPage
from sync import accounts, forward
from sync.db import Database
from sync.ingest import store_page
from sync.models import Channel, Order, Shipment, SupplierOrderRow
from sync.states import Status

from support.orders import add_accounts, order
from support.supplier import FakeSupplier

PASSWORD = "correct horse battery"
#: what a sub-account without "view prices" may do
CLERK_PERMISSIONS = ["review_orders", "edit_orders", "resubmit", "mark_sent_manually", "cancel"]


@dataclass
class Seeded:
    channel_id: int
    supplier: FakeSupplier
    #: by the words the tests use: "surname", "postcode", "clean", ...
    orders: dict[str, int] = field(default_factory=dict)
    #: channels asked to sync now
    synced: list[int] = field(default_factory=list)
    #: how many times the catalogue was asked to sync now
    catalogue_syncs: list[None] = field(default_factory=list)
    #: accounts whose connection was checked, by name
    checked: list[str] = field(default_factory=list)

    def check_account(self, row: Channel) -> tuple[bool, str]:
        """What a connector's check() answers: a supplier reads its wallet (an amount)."""
        self.checked.append(row.name)
        return (True, "wallet read (1234.56)") if row.role == "supplier" else (False, "credentials refused: 401")

    def forwarder(self, db: Database) -> Callable[[Iterable[int]], list[str]]:
        """Sends orders a resubmit made ready to the fake supplier, as a worker would."""

        def send(ids: Iterable[int]) -> list[str]:
            return [forward.forward(db, i, lambda _row: self.supplier).result for i in ids]
        return send


def seed(db: Database, *, buyer_last_name: str = "Ferrer") -> Seeded:
    channel_id, supplier_id = add_accounts(db)
    pending = [
        order("101", last_name=None),                     # missing surname
        order("102", postcode="ABC"),                     # invalid postcode
        order("103", sku="NOPE-9"),                       # unknown SKU
        order("104", last_name=buyer_last_name),          # clean: goes to ready
    ]
    with db.session() as s:
        store_page(s, channel_id, OrderPage(orders=pending))
        accounts.create_account(s, "boss", PASSWORD, main=True)
        accounts.save_role(s, "clerk", CLERK_PERMISSIONS)
        accounts.create_account(s, "clerk", PASSWORD, role="clerk")
        accounts.save_role(s, "viewer", ["review_orders"])
        accounts.create_account(s, "viewer", PASSWORD, role="viewer")
        ids = {o.external_id: o.id for o in s.query(Order)}
        # an order at the supplier with tracking, for the searches by reference and tracking number
        row = SupplierOrderRow(order_id=ids["104"], supplier_id=supplier_id, supplier_order_id="BB-777001",
                               internal_reference="OH-REF-104", total=Decimal("31.50"))
        s.add(row)
        s.flush()
        s.add(Shipment(supplier_order_row_id=row.id, order_id=ids["104"], tracking_number="TRK123456789ES",
                       carrier="gls", url="https://gls.example/track/TRK123456789ES"))
        s.query(Order).filter(Order.id == ids["104"]).update({"status": Status.SENT.value})
    return Seeded(channel_id, FakeSupplier(), {"surname": ids["101"], "postcode": ids["102"],
                                               "unknown_sku": ids["103"], "sent": ids["104"]})


CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    found = CSRF.search(html)
    assert found, "no CSRF token in the page"
    return found.group(1)


def hold_for_wallet(db: Database, order_id: int, *, last_name: str = "Martinez") -> None:
    """The order is otherwise fine but the supplier refused it for want of money in the wallet."""
    from sync.models import OrderIssue

    with db.session() as s:
        o = s.get(Order, order_id)
        assert o is not None
        o.shipping_address = {**(o.shipping_address or {}), "last_name": last_name}
        s.query(OrderIssue).filter(OrderIssue.order_id == order_id).delete()
        s.add(OrderIssue(order_id=order_id, code="insufficient_wallet", source="supplier",
                         message="the supplier wallet does not cover about 39.90 for this order"))
