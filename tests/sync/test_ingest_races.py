"""Ingest against workers and the supplier: same-second versions, status moves conditional on the
state read, orders partly at the supplier, and the installation's reference prefix."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select, update

from connectors.records import OrderLine, OrderPage
from sync import ingest_changes, track
from sync.forward import forward
from sync.ingest import store_page
from sync.installation import reference_prefix
from sync.issues import open_codes
from sync.models import Installation, Order
from sync.records import order_fingerprint, to_channel_order
from sync.settings import get_settings
from sync.states import Status

from support.orders import add_accounts, order
from support.supplier import FakeSupplier


def _store(db, channel_id: int, *orders) -> None:
    with db.session() as s:
        store_page(s, channel_id, OrderPage(orders=list(orders)))


def _order(db, external_id: str = "1") -> Order:
    with db.session() as s:
        o = s.scalar(select(Order).where(Order.external_id == external_id))
        s.expunge(o)
        return o


def test_a_payment_in_the_same_second_as_the_stored_version_is_taken(db) -> None:
    channel_id, _ = add_accounts(db)
    _store(db, channel_id, order("1", paid="pending"))
    assert _order(db).status == Status.AWAITING_PAYMENT
    _store(db, channel_id, order("1", paid="paid"))  # the same channel updated_at
    assert _order(db).status == Status.READY
    with db.session() as s:  # a plain re-read of that version changes nothing
        result = store_page(s, channel_id, OrderPage(orders=[order("1", paid="paid")]))
    assert (result.unchanged, result.updated) == (1, 0)


def test_ingest_does_not_overwrite_a_status_a_worker_set_meanwhile(db, monkeypatch) -> None:
    channel_id, _ = add_accounts(db)
    _store(db, channel_id, order("1"))
    oid = _order(db).id
    real_judge = ingest_changes.judge

    def claimed_meanwhile(record, context, settings, **options):
        # what a worker's claim commits between ingest's read and its write (SQLite: no row lock)
        with db.session() as s:
            sent = order_fingerprint(to_channel_order(s.get_one(Order, oid)))
        session_of_page.execute(update(Order).where(Order.id == oid)
                                .values(status=Status.FORWARDING.value, sent_fingerprint=sent))
        return real_judge(record, context, settings, **options)

    monkeypatch.setattr(ingest_changes, "judge", claimed_meanwhile)
    with db.session() as session_of_page:  # the channel drops the surname: judged pending_review
        result = store_page(session_of_page, channel_id, OrderPage(orders=[order("1", updated=2, last_name=None)]))
    assert _order(db).status == Status.FORWARDING
    assert result.ready == [] and result.changed_after_forwarding == 1
    with db.session() as s:
        assert "changed_after_forwarding" in open_codes(s, oid)


def test_a_cancel_of_a_partly_created_order_is_flagged_and_its_tracking_is_polled(db) -> None:
    channel_id, _ = add_accounts(db)
    two = order("1").model_copy(update={"lines": [
        *order("1").lines, OrderLine(sku="SKU-2", quantity=1, unit_price=Decimal("5"), title="Shade")]})
    _store(db, channel_id, two)
    oid = _order(db).id
    supplier = FakeSupplier()
    supplier.refuse_skus = {"SKU-2"}
    assert forward(db, oid, lambda row: supplier).result == "pending_review"
    _store(db, channel_id, two.model_copy(update={"cancelled": True, "updated_at": two.updated_at.replace(hour=10)}))
    assert _order(db).status == Status.PENDING_REVIEW  # not cancelled silently: part of it ships
    with db.session() as s:
        assert "changed_after_forwarding" in open_codes(s, oid)
    swept = track.sweep(db, lambda row: supplier)
    assert swept.tracked == 1 and len(swept.to_push) == 1
    pushed: list[list[str | None]] = []

    class Channel:  # reports the shipment's lines as the channel would receive them
        def push_tracking(self, shipment) -> None:
            pushed.append([ln.sku for ln in shipment.lines])

    assert track.push(db, swept.to_push[0], lambda row: Channel())
    assert pushed == [["SKU-1"]]  # only the created part, not the whole order


def test_references_carry_the_installations_prefix_stored_once(db, monkeypatch) -> None:
    monkeypatch.setenv("ORDERHUB_REFERENCE_PREFIX", "SHOPA")
    get_settings.cache_clear()
    try:
        channel_id, _ = add_accounts(db)
        _store(db, channel_id, order("1"))
        assert _order(db).internal_reference == f"SHOPA{channel_id}-1"
        monkeypatch.setenv("ORDERHUB_REFERENCE_PREFIX", "OTHER")
        get_settings.cache_clear()
        with db.session() as s:  # the stored prefix wins: references already made stay findable
            assert reference_prefix(s) == "SHOPA"
        _store(db, channel_id, order("1", updated=1, paid="pending"))
        with db.session() as s:
            assert s.scalar(select(Order.status)) == Status.AWAITING_PAYMENT  # found again, not a new order
    finally:
        get_settings.cache_clear()


def test_two_installations_derive_different_prefixes(db) -> None:
    with db.session() as s:
        first = reference_prefix(s)
        s.execute(Installation.__table__.delete())
        second = reference_prefix(s)
    assert first.startswith("OH") and second.startswith("OH") and len(first) == 6
    assert first != second  # 32**4 choices: equal by chance about once in a million
