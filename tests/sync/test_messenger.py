from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from sync import messenger as m
from sync import messenger_links as links
from sync import messenger_payment as payment
from sync.forward import claim
from sync.messenger_models import MessengerLink, MessengerOrder, PaymentSlip
from sync.models import Channel, Customer, Order, OrderEvent, utcnow

from support.messenger import BUYER, PNG, new_order, setup_store


def _state(db, order_id: int) -> tuple[str, str, str]:
    with db.session() as s:
        order = s.get(Order, order_id)
        mo = s.get(MessengerOrder, order_id)
        return mo.state, order.status, mo.payment_state


def test_a_store_is_a_channel_and_lines_are_priced_by_the_lookup(db) -> None:
    setup_store(db)
    order_id = new_order(db)
    with db.session() as s:
        store = s.scalar(select(Channel).where(Channel.name == "Chat shop"))
        assert (store.kind, store.role) == ("messenger", "channel")
        order = s.get(Order, order_id)
        assert order.channel_id == store.id
        assert order.lines[0].unit_price == Decimal("9.50")
        assert order.total == Decimal("19.00")
    assert _state(db, order_id) == ("waiting_to_add_info", "ignored", "pending")


def test_without_the_price_permission_a_price_cannot_be_set(db) -> None:
    setup_store(db)
    with db.session() as s, pytest.raises(m.MessengerError, match="edit prices"):
        m.create(s, store="Chat shop", lines=[m.LineInput("SKU-1", 1, unit_price=Decimal("1.00"))],
                 actor="user:clerk", can_edit_prices=False)
    with db.session() as s:
        order_id = m.create(s, store="Chat shop", lines=[m.LineInput("SKU-1", 1, unit_price=Decimal("1.00"))],
                            actor="user:owner", can_edit_prices=True)
        assert s.get(Order, order_id).lines[0].unit_price == Decimal("1.00")


def test_a_new_buyer_gets_the_next_customer_code_and_the_last_price_is_reused(db) -> None:
    setup_store(db)
    with db.session() as s:
        first = m.create(s, store="Chat shop", lines=[m.LineInput("SKU-1", 1, unit_price=Decimal("7.00"))],
                         actor="user:owner", can_edit_prices=True, new_buyer={"first_name": "Bo"})
        customer = s.get(Customer, s.get(Order, first).customer_id)
        assert customer.customer_code
        again = m.create(s, store="Chat shop", lines=[m.LineInput("SKU-1", 1, use_last_price=True)],
                         actor="user:clerk", can_edit_prices=False, customer=customer.customer_code)
        assert s.get(Order, again).lines[0].unit_price == Decimal("7.00")


def test_waiting_to_approve_needs_details_valid_by_the_channel_rules(db) -> None:
    setup_store(db)
    with pytest.raises(m.MessengerError) as refused:
        new_order(db, buyer={**BUYER, "postcode": ""}, for_approval=True)
    assert refused.value.field == "postcode"
    assert m.buyer_errors({**BUYER, "first_name": ""}).keys() == {"first_name"}
    # the phone the carrier calls: a number of the delivery country, as the admin's edit form checks it
    assert m.buyer_errors({**BUYER, "phone": "abc"}) == {"phone": "phone: not a valid phone number for ES"}
    assert m.buyer_errors({**BUYER, "phone": "612"}).keys() == {"phone"}
    assert m.buyer_errors({**BUYER, "phone": "600 000 001"}) == {}
    with pytest.raises(m.MessengerError) as refused:
        new_order(db, buyer={**BUYER, "phone": "abc"}, for_approval=True)
    assert refused.value.field == "phone"
    order_id = new_order(db, buyer=BUYER, for_approval=True)
    assert _state(db, order_id)[0] == "waiting_to_approve"


def test_approval_enters_the_pipeline_and_waits_for_the_payment_it_needs(db) -> None:
    setup_store(db)
    order_id = new_order(db, buyer=BUYER, for_approval=True)
    with db.session() as s:
        assert m.approve(s, order_id, actor="user:seller") == "awaiting_payment"
    with db.session() as s:
        assert claim(s, order_id, stale_after=timedelta(minutes=5)) is None  # unconfirmed: never forwarded
        with pytest.raises(m.MessengerError):
            m.approve(s, order_id, actor="user:seller")
    with db.session() as s:
        assert payment.confirm(s, order_id, actor="user:seller", reference="TX-1") == payment.Confirmed(True, "ready")
    with db.session() as s:
        assert payment.confirm(s, order_id, actor="user:other") == payment.Confirmed(False, "ready")
        assert s.get(MessengerOrder, order_id).payment_by == "user:seller"


def test_a_method_without_proof_goes_straight_to_ready(db) -> None:
    setup_store(db)
    order_id = new_order(db, buyer=BUYER, for_approval=True, method="Cash on delivery")
    with db.session() as s:
        assert m.approve(s, order_id, actor="user:seller") == "ready"


def test_one_transaction_reference_confirms_one_order(db) -> None:
    setup_store(db)
    first, second = new_order(db, buyer=BUYER), new_order(db, buyer=BUYER)
    with db.session() as s:
        payment.confirm(s, first, actor="user:seller", reference="TX-9")
    with db.session() as s, pytest.raises(m.MessengerError, match="another order"):
        payment.confirm(s, second, actor="user:seller", reference="TX-9")
    assert _state(db, second)[2] == "pending"


def test_a_rejected_payment_says_why_and_another_slip_makes_it_pending(db) -> None:
    setup_store(db)
    order_id = new_order(db, buyer=BUYER)
    with db.session() as s:
        payment.reject(s, order_id, "amount does not match", actor="user:seller")
    with db.session() as s:
        assert s.get(MessengerOrder, order_id).payment_reason == "amount does not match"
        payment.upload(s, order_id, PNG, actor="buyer")
    assert _state(db, order_id)[2] == "pending"


def test_disapprove_voids_with_a_reason_and_cancel_follows(db) -> None:
    setup_store(db)
    order_id = new_order(db)
    with db.session() as s:
        token = links.new_link(s, order_id, actor="user:seller")
        m.disapprove(s, order_id, "buyer changed their mind", actor="user:seller")
    with db.session() as s:
        assert s.get(MessengerOrder, order_id).void_reason == "buyer changed their mind"
        assert links.resolve(s, token) is None
        with pytest.raises(m.LostRace):
            m.move(s, order_id, m.PENDING_STATES, m.APPROVED, "approved")
        m.cancel(s, order_id, actor="user:seller")
    assert _state(db, order_id)[:2] == ("cancelled", "cancelled")


def test_a_link_is_hashed_scoped_revocable_and_regenerable(db) -> None:
    setup_store(db)
    order_id, other = new_order(db), new_order(db)
    with db.session() as s:
        token = links.new_link(s, order_id, actor="user:seller")
        assert len(token) >= 43  # 256 bits, url-safe
        stored = s.scalar(select(MessengerLink.token_hash).where(MessengerLink.order_id == order_id))
        assert token not in stored and stored == links.token_hash(token)
        assert links.resolve(s, token).order_id == order_id
        assert links.resolve(s, token[:-1] + ("A" if token[-1] != "A" else "B")) is None
        fresh = links.new_link(s, order_id, actor="user:seller")
        assert links.resolve(s, token) is None and links.resolve(s, fresh).order_id == order_id
        links.revoke(s, order_id, actor="user:seller")
        assert links.resolve(s, fresh) is None
        assert links.new_link(s, other, actor="user:seller") != fresh


def test_the_buyer_submits_once_and_a_second_submission_changes_nothing(db) -> None:
    setup_store(db)
    order_id = new_order(db)
    with db.session() as s:
        token = links.new_link(s, order_id, actor="user:seller")
        method = m.payment_method(s, "Bank transfer").id
    with db.session() as s:
        bad = links.submit(s, links.resolve(s, token), {**BUYER, "postcode": ""}, method, b"<html>x</html>")
        assert set(bad.errors) == {"postcode", "slip"} and not bad.accepted
    with db.session() as s:
        assert links.submit(s, links.resolve(s, token), BUYER, method, PNG).accepted
    with db.session() as s:
        again = links.submit(s, links.resolve(s, token), {**BUYER, "city": "Madrid"}, method, PNG)
        assert again == links.Submitted({}, accepted=False)
    with db.session() as s:
        assert s.get(Order, order_id).shipping_address["city"] == "Valencia"
        assert s.scalar(select(func.count()).select_from(PaymentSlip)) == 1
        assert payment.latest_slip(s, order_id).content_type == "image/png"
        assert links.progress(s, order_id)["step"] == "waiting_for_approval"
    assert _state(db, order_id)[0] == "waiting_to_approve"


def test_an_expired_link_voids_its_order_with_the_reason(db) -> None:
    setup_store(db)
    order_id = new_order(db)
    with db.session() as s:
        token = links.new_link(s, order_id, actor="user:seller", lifetime=timedelta(seconds=-1))
        assert links.resolve(s, token) is None
    with db.session() as s:
        assert links.expire(s) == [order_id]
        assert links.expire(s) == []
    with db.session() as s:
        assert s.get(MessengerOrder, order_id).void_reason == links.EXPIRED_REASON
    assert _state(db, order_id)[:2] == ("voided", "cancelled")


@pytest.mark.parametrize("data", [b"<html><script>alert(1)</script></html>",
                                  b'<svg xmlns="http://www.w3.org/2000/svg"><script>1</script></svg>',
                                  PNG[:8] + b"x" * (payment.MAX_SLIP_BYTES + 1)])
def test_only_jpeg_png_or_pdf_of_a_capped_size_is_a_slip(data: bytes) -> None:
    with pytest.raises(m.MessengerError):
        payment.sniff(data)
    assert payment.sniff(PNG) == "image/png"
    assert payment.sniff(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n") == "application/pdf"


def test_progress_shows_tracking_once_shipped(db) -> None:
    setup_store(db)
    order_id = new_order(db, buyer=BUYER, for_approval=True, method="Cash on delivery")
    with db.session() as s:
        m.approve(s, order_id, actor="user:seller")
        assert links.progress(s, order_id)["step"] == "approved"
        assert utcnow()  # the progress never depends on the clock



def test_an_approval_that_loses_the_race_changes_nothing(db) -> None:
    setup_store(db)
    order_id = new_order(db, buyer=BUYER, for_approval=True)
    with db.session() as late:
        seen = m.messenger_order(late, order_id)  # seen waiting to approve
        with db.session() as first:
            m.approve(first, order_id, actor="user:first")
        with pytest.raises(m.LostRace):
            m.approve(late, order_id, actor="user:late")
        assert seen.state == "waiting_to_approve"  # what the late session saw
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(OrderEvent).where(
            OrderEvent.order_id == order_id, OrderEvent.to_status == "new")) == 1


def test_a_confirmation_that_loses_the_race_changes_nothing_and_a_retry_is_a_no_op(db) -> None:
    setup_store(db)
    order_id = new_order(db, buyer=BUYER)
    with db.session() as late:
        seen = m.messenger_order(late, order_id)  # seen pending
        with db.session() as first:
            payment.confirm(first, order_id, actor="user:first", reference="TX-A")
        with pytest.raises(m.LostRace):
            payment.confirm(late, order_id, actor="user:late", reference="TX-B")
        assert seen.payment_state == "pending"
    with db.session() as s:
        assert payment.confirm(s, order_id, actor="user:late").changed is False
        assert s.get(MessengerOrder, order_id).transaction_reference == "TX-A"


def test_a_buyer_submission_that_loses_the_race_changes_nothing(db) -> None:
    setup_store(db)
    order_id = new_order(db)
    with db.session() as s:
        token = links.new_link(s, order_id, actor="user:seller")
        method = m.payment_method(s, "Cash on delivery").id
    with db.session() as late:
        link = links.resolve(late, token)
        seen = m.messenger_order(late, order_id)  # seen not submitted
        with db.session() as first:
            assert links.submit(first, links.resolve(first, token), BUYER, method, None).accepted
        assert links.submit(late, link, {**BUYER, "city": "Madrid"}, method, None) == links.Submitted({})
        assert seen.submitted_at is None
    with db.session() as s:
        assert s.get(Order, order_id).shipping_address["city"] == "Valencia"
