"""Tracking after the first number: later parcels and corrected numbers are fetched and queued for
the channel; a channel that refuses a number for good tells the operator."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from connectors.errors import FailLoudly
from connectors.records import OrderPage
from connectors.records import Shipment as ShipmentRecord
from sync import forward, track
from sync.db import Database
from sync.ingest import store_page
from sync.issues import open_codes
from sync.models import Order, Shipment, SupplierOrderRow, utcnow

from support.orders import add_accounts, order
from support.supplier import FakeSupplier


def _sent(db: Database, fake: FakeSupplier) -> tuple[int, str]:
    channel_id, _ = add_accounts(db)
    with db.session() as s:
        oid = store_page(s, channel_id, OrderPage(orders=[order("1")])).ready[0]
    assert forward.forward(db, oid, lambda row: fake).result == "sent"
    with db.session() as s:
        sid = s.scalar(select(SupplierOrderRow.supplier_order_id).where(SupplierOrderRow.order_id == oid))
    assert sid
    return oid, sid


def _numbers(db: Database, oid: int) -> list[str]:
    with db.session() as s:
        return list(s.scalars(select(Shipment.tracking_number).where(Shipment.order_id == oid).order_by(Shipment.id)))


def _age_polls(db: Database) -> None:
    with db.session() as s:
        s.execute(update(SupplierOrderRow).values(polled_at=utcnow() - track.REPOLL - timedelta(minutes=1)))


def test_a_later_parcel_of_a_shipped_order_is_fetched_and_queued_for_the_channel(db: Database) -> None:
    fake = FakeSupplier()
    oid, sid = _sent(db, fake)
    first = track.sweep(db, lambda row: fake)
    assert _numbers(db, oid) == [f"TRK{sid}"] and len(first.to_push) == 1
    fake.later_tracking[sid] = ["TRK-PARCEL-2"]
    assert track.sweep(db, lambda row: fake).calls == 0  # asked again only after a while
    _age_polls(db)
    later = track.sweep(db, lambda row: fake)
    assert later.calls == 1
    assert _numbers(db, oid) == [f"TRK{sid}", "TRK-PARCEL-2"]
    with db.session() as s:
        new_id = s.scalar(select(Shipment.id).where(Shipment.tracking_number == "TRK-PARCEL-2"))
        assert s.get(Order, oid).status == "shipped"  # type: ignore[union-attr]
    assert new_id in later.to_push


class RefusingChannel:
    def push_tracking(self, shipment: ShipmentRecord) -> None:
        raise FailLoudly("the lines are assigned to a fulfilment service location")


def test_a_number_the_channel_refuses_for_good_is_shown_to_the_operator(db: Database) -> None:
    fake = FakeSupplier()
    oid, _ = _sent(db, fake)
    shipment_id = track.sweep(db, lambda row: fake).to_push[0]
    with pytest.raises(FailLoudly):
        track.push(db, shipment_id, lambda row: RefusingChannel())  # type: ignore[arg-type,return-value]
    with db.session() as s:
        assert open_codes(s, oid) == [track.TRACKING_NOT_PUSHED]
        shipment = s.get(Shipment, shipment_id)
        assert shipment is not None and shipment.pushed_at is None
        assert "fulfilment service" in (shipment.push_error or "")
