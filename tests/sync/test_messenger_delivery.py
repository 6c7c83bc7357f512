"""Self-delivered messenger orders: never sent to the supplier whatever path is tried, shipped by
hand with a checked carrier and tracking number, their units taken from the seller's warehouse once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from sync import forward, stock
from sync import messenger as m
from sync import messenger_delivery as delivery
from sync import messenger_links as links
from sync import messenger_payment as payment
from sync.messenger_models import MessengerOrder
from sync.models import Order, OrderEvent, Shipment, utcnow
from sync.review import ReviewError, resubmit
from sync.stock_models import StockMovement
from workers.reconciler import find_stuck

from support.messenger import BUYER, new_order, self_delivered, setup_store, setup_warehouse
from support.orders import add_accounts
from support.races import ON_POSTGRES
from support.supplier import FakeSupplier


def _status(db, order_id: int) -> str:
    with db.session() as s:
        return s.get(Order, order_id).status


def _taken(db, order_id: int) -> list[tuple[str, int, str | None]]:
    with db.session() as s:
        return [(mv.sku, mv.quantity, mv.key) for mv in s.scalars(
            select(StockMovement).where(StockMovement.order_id == order_id).order_by(StockMovement.id))]


@pytest.fixture
def shop(db):  # type: ignore[no-untyped-def]
    add_accounts(db)
    setup_store(db)
    setup_warehouse(db)
    return db


def test_a_self_delivered_order_needs_one_of_our_warehouses(shop) -> None:
    for warehouse, said in ((None, "needs one of your warehouses"), ("supplier", "needs one of your warehouses"),
                            ("Nowhere", "no warehouse 'Nowhere'")):
        with shop.session() as s, pytest.raises(m.MessengerError, match=said) as refused:
            m.create(s, store="Chat shop", lines=[m.LineInput("SKU-1", 1)], actor="user:seller",
                     can_edit_prices=False, logistics="self_delivery", warehouse=warehouse)
        assert refused.value.field == "warehouse"
    with shop.session() as s, pytest.raises(m.MessengerError, match="supplier's"):
        m.create(s, store="Chat shop", lines=[m.LineInput("SKU-1", 1)], actor="user:seller", can_edit_prices=False,
                 warehouse="Shop floor")
    with shop.session() as s, pytest.raises(m.MessengerError, match="self_delivery"):
        m.create(s, store="Chat shop", lines=[m.LineInput("SKU-1", 1)], actor="user:seller", can_edit_prices=False,
                 logistics="pigeon")
    order_id = self_delivered(shop, approve=False)
    with shop.session() as s:
        mo = s.get(MessengerOrder, order_id)
        assert (mo.logistics, delivery.warehouse_name(s, mo)) == ("self_delivery", "Shop floor")
    supplier_order = new_order(shop)
    with shop.session() as s:
        assert delivery.warehouse_name(s, s.get(MessengerOrder, supplier_order)) == "supplier"


def test_approved_it_waits_for_the_seller_or_for_its_payment_first(shop) -> None:
    cash = self_delivered(shop)
    assert _status(shop, cash) == "awaiting_shipment"
    prepaid = self_delivered(shop, method="Bank transfer")
    assert _status(shop, prepaid) == "awaiting_payment"
    with shop.session() as s, pytest.raises(m.MessengerError, match="payment is not confirmed"):
        delivery.ship(s, prepaid, carrier="SEUR", tracking="T1", actor="user:seller")
    with shop.session() as s:
        assert payment.confirm(s, prepaid, actor="user:seller").status == "awaiting_shipment"
    with shop.session() as s:
        events = [(e.from_status, e.to_status) for e in s.scalars(
            select(OrderEvent).where(OrderEvent.order_id == prepaid, OrderEvent.to_status.is_not(None))
            .order_by(OrderEvent.id))]
    assert events == [("ignored", "new"), ("new", "awaiting_payment"), ("awaiting_payment", "awaiting_shipment")]


def test_forward_resubmit_and_the_reconciler_never_send_it_to_the_supplier(shop) -> None:
    fake = FakeSupplier()
    ours = self_delivered(shop)
    theirs = new_order(shop, buyer=BUYER, for_approval=True, method="Cash on delivery")
    with shop.session() as s:
        assert m.approve(s, theirs, actor="user:seller") == "ready"
    assert forward.forward(shop, ours, lambda row: fake).result == "skipped"
    # even pushed into ready or forwarding by a mistake elsewhere, the forward path refuses it
    for status in ("ready", "forwarding"):
        with shop.session() as s:
            s.execute(update(Order).where(Order.id == ours).values(status=status,
                                                                  status_changed_at=utcnow() - timedelta(hours=1)))
        stuck = find_stuck(shop, older_than=timedelta(0))
        assert ours in stuck.to_forward
        for order_id in stuck.to_forward:
            forward.forward(shop, order_id, lambda row: fake, stale_after=timedelta(0))
        with shop.session() as s:
            assert forward.claim(s, ours, stale_after=timedelta(0)) is None
    assert fake.creates == 1 and _status(shop, theirs) == "sent"  # the supplier-fulfilled one went
    with shop.session() as s:
        s.execute(update(Order).where(Order.id == ours).values(status="pending_review"))
    with shop.session() as s, pytest.raises(ReviewError, match="self-delivered"):
        resubmit(s, ours, actor="user:seller")
    assert _status(shop, ours) == "pending_review" and fake.creates == 1


@pytest.mark.parametrize("tracking, said", [("", "cannot be empty"), ("   ", "cannot be empty"),
                                            ("A" * 101, "at most 100"), ("AB\x00CD", "control characters"),
                                            ("AB\u202eCD", "control characters"), ("AB CD", "without spaces")])
def test_a_tracking_number_is_checked(shop, tracking: str, said: str) -> None:
    order_id = self_delivered(shop)
    with shop.session() as s, pytest.raises(m.MessengerError, match=said) as refused:
        delivery.ship(s, order_id, carrier="SEUR", tracking=tracking, actor="user:seller")
    assert refused.value.field == "tracking"
    with shop.session() as s, pytest.raises(m.MessengerError, match="carrier"):
        delivery.ship(s, order_id, carrier="\n", tracking="T1", actor="user:seller")
    assert _status(shop, order_id) == "awaiting_shipment" and _taken(shop, order_id) == []


def test_shipping_by_hand_takes_the_stock_once_and_the_buyer_sees_the_tracking(shop) -> None:
    order_id = self_delivered(shop, quantity=3, approve=False)
    with shop.session() as s:
        token = links.new_link(s, order_id, actor="user:seller")
        m.approve(s, order_id, actor="user:seller")
    with shop.session() as s:
        shipment = delivery.ship(s, order_id, carrier=" SEUR ", tracking="SE123456789", actor="user:seller")
        assert (shipment.carrier, shipment.tracking_number, shipment.supplier_order_row_id) == (
            "SEUR", "SE123456789", None)
        assert shipment.pushed_at is not None  # nothing to push it to: never picked up by the push sweep
    assert _status(shop, order_id) == "shipped"
    assert _taken(shop, order_id) == [("SKU-1", -3, f"messenger:{order_id}:line:0")]
    with shop.session() as s:
        warehouse = stock.warehouse_named(s, "Shop floor")
        assert stock.level(s, warehouse.id, "SKU-1") == 7
        event = s.scalar(select(OrderEvent).where(OrderEvent.order_id == order_id, OrderEvent.to_status == "shipped"))
        assert (event.from_status, event.actor) == ("awaiting_shipment", "user:seller")
        assert "SE123456789" in event.reason
        link = links.resolve(s, token)
        assert link is not None
        assert links.progress(s, order_id) == {"step": "shipped", "payment_reason": "", "tracking": [
            {"number": "SE123456789", "carrier": "SEUR", "url": None}]}
    with shop.session() as s, pytest.raises(m.MessengerError, match="it is shipped"):
        delivery.ship(s, order_id, carrier="SEUR", tracking="SE999", actor="user:seller")
    with shop.session() as s:
        assert s.scalar(select(func.count()).select_from(Shipment).where(Shipment.order_id == order_id)) == 1
        assert stock.level(s, stock.warehouse_named(s, "Shop floor").id, "SKU-1") == 7


def test_a_repeat_of_a_taken_line_takes_nothing_twice(shop) -> None:
    order_id = self_delivered(shop, quantity=2)
    with shop.session() as s:
        warehouse = stock.warehouse_named(s, "Shop floor")
        stock.move(s, warehouse_id=warehouse.id, sku="SKU-1", quantity=-2, reason="self-delivered order shipped",
                   actor="user:seller", order_id=order_id, key=f"messenger:{order_id}:line:0")
    with shop.session() as s:
        delivery.ship(s, order_id, carrier="SEUR", tracking="SE1", actor="user:seller")
    assert _status(shop, order_id) == "shipped"
    assert len(_taken(shop, order_id)) == 1
    with shop.session() as s:
        assert stock.level(s, stock.warehouse_named(s, "Shop floor").id, "SKU-1") == 8


def test_not_enough_stock_refuses_the_shipment_and_changes_nothing(shop) -> None:
    order_id = self_delivered(shop, quantity=11)
    with shop.session() as s, pytest.raises(m.MessengerError, match="not enough stock in Shop floor") as refused:
        delivery.ship(s, order_id, carrier="SEUR", tracking="SE1", actor="user:seller")
    assert refused.value.field == "stock" and "10 held" in str(refused.value)
    assert _status(shop, order_id) == "awaiting_shipment" and _taken(shop, order_id) == []
    with shop.session() as s:
        assert s.scalar(select(func.count()).select_from(Shipment)) == 0


def test_a_supplier_fulfilled_order_is_never_shipped_by_hand(shop) -> None:
    order_id = new_order(shop, buyer=BUYER, for_approval=True, method="Cash on delivery")
    with shop.session() as s:
        m.approve(s, order_id, actor="user:seller")
    with shop.session() as s, pytest.raises(m.MessengerError, match="not self-delivered"):
        delivery.ship(s, order_id, carrier="SEUR", tracking="SE1", actor="user:seller")


def test_two_sellers_shipping_at_once_one_loses(shop) -> None:
    order_id = self_delivered(shop)
    with shop.session() as first:
        first.get(Order, order_id)  # the first seller read the order as awaiting shipment
        with shop.session() as second:
            delivery.ship(second, order_id, carrier="SEUR", tracking="SE1", actor="user:b")
        # told it lost: by the conditional write when its read was stale, or by the state it finds
        with pytest.raises(ReviewError, match="nothing was done|it is shipped"):
            delivery.ship(first, order_id, carrier="GLS", tracking="GL2", actor="user:a")
    with shop.session() as s:
        assert [sh.tracking_number for sh in s.scalars(select(Shipment))] == ["SE1"]


@pytest.mark.parametrize("approve_first", [True, False])
def test_confirmed_like_any_order_it_still_waits_for_its_shipment(shop, approve_first: bool) -> None:
    """The order page, the API and ``orderhub orders confirm-payment`` confirm through
    ``sync.payment_confirmation`` directly: a self-delivered order is never judged for the supplier."""
    from sync import payment_confirmation as pc

    fake = FakeSupplier()
    order_id = self_delivered(shop, method="Bank transfer", approve=approve_first)
    with shop.session() as s:
        done = pc.confirm(s, order_id, actor="user:seller", reference="TX-SD", mark_paid=True)
        assert done.changed
        if not approve_first:
            assert m.approve(s, order_id, actor="user:seller") == "awaiting_shipment"
    assert _status(shop, order_id) == "awaiting_shipment"
    with shop.session() as s:
        events = [e.to_status for e in s.scalars(select(OrderEvent).where(
            OrderEvent.order_id == order_id, OrderEvent.to_status.is_not(None)).order_by(OrderEvent.id))]
        assert "ready" not in events and events[-1] == "awaiting_shipment"
        assert s.get(Order, order_id).payment_status == "paid"
    assert order_id not in find_stuck(shop, older_than=timedelta(0)).to_forward
    assert forward.forward(shop, order_id, lambda row: fake).result == "skipped" and fake.creates == 0
    with shop.session() as s:
        delivery.ship(s, order_id, carrier="SEUR", tracking="T-SD", actor="user:seller")
    assert _status(shop, order_id) == "shipped"


@ON_POSTGRES
@pytest.mark.parametrize("first", ["approve", "confirm"])
def test_an_approval_and_a_confirmation_at_the_same_moment_end_waiting_for_the_shipment(shop, first: str) -> None:
    """Whichever commits first, the other sees it: the order never stays in awaiting_payment with
    its payment confirmed."""
    from support.races import race

    order_id = self_delivered(shop, method="Bank transfer", approve=False)
    steps = {"approve": lambda s: m.approve(s, order_id, actor="user:ana"),
             "confirm": lambda s: payment.confirm(s, order_id, actor="user:bo")}
    second = "confirm" if first == "approve" else "approve"
    assert race(shop, steps[first], steps[second]) == [None, None]
    assert _status(shop, order_id) == "awaiting_shipment"
    with shop.session() as s:
        assert s.get(MessengerOrder, order_id).payment_state == "confirmed"
