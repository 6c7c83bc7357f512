"""Orders marked sent by hand: their reference is looked up, and one bad reference never stops
tracking for the others."""

from __future__ import annotations

from connectors.errors import FailLoudly
from connectors.records import OrderPage, SupplierOrder
from sync import forward, track
from sync.db import Database
from sync.ingest import store_page
from sync.issues import open_codes
from sync.models import Order
from sync.review import mark_sent_manually

from support.orders import add_accounts, order
from support.supplier import FakeSupplier


def _flagged(db: Database, channel_id: int, *ids: str) -> list[int]:
    with db.session() as s:
        store_page(s, channel_id, OrderPage(orders=[order(i, sku=f"NOPE-{i}") for i in ids]))
        return [s.query(Order.id).filter(Order.external_id == i).scalar() for i in ids]


def _status(db: Database, oid: int) -> str:
    with db.session() as s:
        found = s.get(Order, oid)
        assert found is not None
        return found.status


def test_bad_manual_references_never_stop_the_sweep(db: Database) -> None:
    channel_id, _ = add_accounts(db)
    fake = FakeSupplier()
    with db.session() as s:
        stored = store_page(s, channel_id, OrderPage(orders=[order("good-1"), order("good-2")]))
    for oid in stored.ready:
        assert forward.forward(db, oid, lambda row: fake).result == "sent"
    taken_id = fake.orders[next(iter(fake.orders))][0].supplier_order_id
    collides, unknown, refused, found = _flagged(db, channel_id, "m1", "m2", "m3", "m4")
    fake.orders["REF-TAKEN"] = [SupplierOrder(supplier_order_id=taken_id)]  # another order's supplier id
    fake.orders["REF-OK"] = [SupplierOrder(supplier_order_id="9001")]
    fake.lookup_errors["REF-400"] = FailLoudly("HTTP 400: bad reference")
    with db.session() as s:
        for oid, ref in ((collides, "REF-TAKEN"), (unknown, "REF-NONE"), (refused, "REF-400"), (found, "REF-OK")):
            mark_sent_manually(s, oid, ref, actor="user:ana")

    result = track.sweep(db, lambda row: fake)
    assert all(_status(db, oid) == "shipped" for oid in [*stored.ready, found])
    with db.session() as s:
        assert open_codes(s, collides) == [track.UNKNOWN_REFERENCE]  # told at once
        assert open_codes(s, unknown) == [] and open_codes(s, refused) == []  # not yet: one try
    assert result.tracked == 3

    for _ in range(track.MAX_LOOKUPS - 1):
        track.sweep(db, lambda row: fake)
    with db.session() as s:
        assert open_codes(s, unknown) == [track.UNKNOWN_REFERENCE]
        assert open_codes(s, refused) == [track.UNKNOWN_REFERENCE]
    lookups = fake.lookups
    track.sweep(db, lambda row: fake)
    assert fake.lookups == lookups  # an unknown reference stops costing a call per sweep
