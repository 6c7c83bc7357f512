from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from sync import customer_book as book
from sync.customer_list import list_customers, view
from sync.customer_models import CustomerStat
from sync.customers import recount
from sync.fields import FieldError, check_settings
from sync.models import Customer, Order

from support.customers import add_channel, buyer_order, ingest


def _customers(db) -> list[Customer]:
    with db.session() as s:
        rows = list(s.scalars(select(Customer).order_by(Customer.id)))
        s.expunge_all()
        return rows


def _figures(db, ref: str) -> dict[str, tuple[int, Decimal]]:
    with db.session() as s:
        v = view(s, book.find(s, ref))
        return {f.currency: (f.orders, f.spend) for f in v.figures}


def test_every_buyer_becomes_a_customer_with_a_code_in_order_of_creation(db) -> None:
    shop = add_channel(db)
    ingest(db, shop, buyer_order("1", buyer="B1"), buyer_order("2", buyer="B1", placed=5))
    ingest(db, shop, buyer_order("3", buyer="B2", email="bo@example.com"))
    rows = _customers(db)
    assert [(c.external_id, c.customer_code) for c in rows] == [("B1", "CN00000001"), ("B2", "CN00000002")]
    assert rows[0].first_name == "Ana" and rows[0].phone == "+34600000001"
    assert rows[0].first_order_at < rows[0].last_order_at
    with db.session() as s:
        owners = {o.customer_id for o in s.scalars(select(Order).where(Order.external_id.in_(["1", "2"])))}
    assert owners == {rows[0].id}


def test_a_deleted_customers_code_is_never_given_again_and_their_orders_stay(db) -> None:
    shop = add_channel(db)
    ingest(db, shop, buyer_order("1", buyer="B1"), buyer_order("2", buyer="B2"))
    with db.session() as s:
        assert book.delete(s, "CN00000002") == "CN00000002"
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(Order)) == 2
        assert s.scalar(select(Order.customer_id).where(Order.external_id == "2")) is None
        added = book.add(s, {"first_name": "Carla"})
        assert added.customer_code == "CN00000003"


def test_guests_key_on_their_email_and_the_same_person_on_two_channels_stays_two_customers(db) -> None:
    woo = add_channel(db, "woo", "woocommerce")
    shop = add_channel(db, "shop", "shopify")
    ingest(db, woo, buyer_order("1", buyer=None, email="Ana@Example.com"), buyer_order("2", buyer=None))
    ingest(db, shop, buyer_order("9", buyer="777"))
    rows = _customers(db)
    assert [(c.channel_id, c.external_id) for c in rows] == [(woo, "email:ana@example.com"), (shop, "777")]


def test_channels_whose_privacy_rules_forbid_it_create_no_customers(db) -> None:
    shopee = add_channel(db, "sp", "shopee")
    amazon = add_channel(db, "amz", "amazon")
    quiet = add_channel(db, "quiet", "shopify", {"create_customers": False})
    ingest(db, shopee, buyer_order("1"))
    ingest(db, amazon, buyer_order("2", buyer=None, email="x1@marketplace.amazon.es"))
    ingest(db, quiet, buyer_order("3"))
    assert _customers(db) == []
    allowed = add_channel(db, "amz2", "amazon", {"create_customers": True})
    ingest(db, allowed, buyer_order("4", buyer=None, email="x1@marketplace.amazon.es"))
    assert [c.external_id for c in _customers(db)] == ["email:x1@marketplace.amazon.es"]
    assert check_settings("shopify", "channel", {"create_customers": False}) == {"create_customers": False}


def test_ten_addresses_at_most_the_oldest_replaced_and_none_twice(db) -> None:
    shop = add_channel(db)
    ingest(db, shop, *[buyer_order(str(n), city=f"City {n}", updated=n) for n in range(12)])
    ingest(db, shop, buyer_order("20", city="city 11 ", updated=30))  # known, whatever its spacing and case
    (customer,) = _customers(db)
    assert [a["city"] for a in customer.addresses] == [f"City {n}" for n in range(2, 12)]


def test_statistics_count_refunded_orders_and_leave_out_cancelled_ones_per_currency(db) -> None:
    shop = add_channel(db)
    ingest(db, shop, buyer_order("1", total="10.00"), buyer_order("2", total="20.00", paid="refunded"),
           buyer_order("3", total="30.00", cancelled=True), buyer_order("4", total="5.00", currency="USD"))
    assert _figures(db, "CN00000001") == {"EUR": (2, Decimal("30.00")), "USD": (1, Decimal("5.00"))}
    with db.session() as s:
        v = view(s, book.find(s, "CN00000001"))
        assert [f.average for f in v.figures] == [Decimal("15.00"), Decimal("5.00")]
    # changes: one cancelled, one's total changes, the cancelled one comes back, a re-read changes nothing
    ingest(db, shop, buyer_order("1", total="10.00", cancelled=True, updated=1),
           buyer_order("2", total="25.00", paid="refunded", updated=1), buyer_order("3", total="30.00", updated=1))
    ingest(db, shop, buyer_order("3", total="30.00", updated=1))
    assert _figures(db, "CN00000001") == {"EUR": (2, Decimal("55.00")), "USD": (1, Decimal("5.00"))}
    ingest(db, shop, buyer_order("4", total="5.00", currency="USD", cancelled=True, updated=2))
    with db.session() as s:
        v = view(s, book.find(s, "CN00000001"))
        usd = [f for f in v.figures if f.currency == "USD"]
        assert usd == [] or (usd[0].orders, usd[0].average) == (0, Decimal(0))  # no division by zero


def _stats_match_a_recount(db) -> None:
    with db.session() as s:
        kept = {(r.customer_id, r.currency): (r.orders, r.spend) for r in s.scalars(select(CustomerStat))
                if r.orders or r.spend}
        recount(s, [c.id for c in s.scalars(select(Customer))])
        s.flush()
        again = {(r.customer_id, r.currency): (r.orders, r.spend) for r in s.scalars(select(CustomerStat))}
        s.rollback()
    assert kept == again


def test_two_workers_storing_the_same_customers_orders_at_once_count_each_order_once(db) -> None:
    shop = add_channel(db, "shop")
    other = add_channel(db, "other")
    ingest(db, shop, buyer_order("0", buyer="B1"))
    ingest(db, other, buyer_order("0", buyer="B9"))
    with db.session() as s:
        book.merge(s, "CN00000001", "CN00000002")  # the same person on both channels, after a merge
    errors: list[BaseException] = []

    def run(channel_id: int, shift: int) -> None:
        try:
            for n in range(1, 9):  # each page also re-reads and changes the page before
                ingest(db, channel_id, buyer_order(str(n), buyer="B1" if channel_id == shop else "B9",
                                                   total=f"{n + shift}.00", updated=n),
                       buyer_order(str(n - 1), buyer="B1" if channel_id == shop else "B9",
                                   total=f"{n + shift}.50", updated=n, cancelled=n % 3 == 0))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(c, k)) for k, c in enumerate((shop, other, shop, other))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    _stats_match_a_recount(db)
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(CustomerStat)) == 1  # all on the kept customer


def test_codes_created_at_once_are_unique_and_none_is_reused(db) -> None:
    channels = [add_channel(db, f"shop{k}") for k in range(3)]
    errors: list[BaseException] = []

    def by_ingest(channel_id: int) -> None:
        try:
            for n in range(5):
                ingest(db, channel_id, *[buyer_order(f"{n}-{b}", buyer=f"B{n}-{b}") for b in range(4)])
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    def by_hand() -> None:
        try:
            for n in range(10):
                with db.session() as s:
                    book.add(s, {"first_name": f"Hand {n}"})
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=by_ingest, args=(c,)) for c in channels] + [threading.Thread(target=by_hand)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    codes = [c.customer_code for c in _customers(db)]
    assert len(codes) == 70 and len(set(codes)) == 70
    assert sorted(codes) == [f"CN{n:08d}" for n in range(1, 71)]  # nothing lost, nothing given twice


def test_merge_keeps_both_histories_and_the_older_code_and_later_orders_follow(db) -> None:
    shop = add_channel(db, "shop")
    woo = add_channel(db, "woo", "woocommerce")
    ingest(db, shop, buyer_order("1", buyer="B1", total="10.00"))
    ingest(db, woo, buyer_order("1", buyer="55", total="20.00", city="Madrid"))
    with db.session() as s:
        book.edit(s, "CN00000002", {"note": "prefers mornings"})
        merged = book.merge(s, "CN00000002", "CN00000001")
        assert (merged.kept.customer_code, merged.gone_code) == ("CN00000001", "CN00000002")
    ingest(db, woo, buyer_order("2", buyer="55", total="5.00"))
    assert _figures(db, "CN00000002") == {"EUR": (3, Decimal("35.00"))}  # found as the customer kept
    with db.session() as s:
        kept = book.find(s, "CN00000001")
        assert kept.note == "prefers mornings"
        assert {a["city"] for a in kept.addresses} == {"Valencia", "Madrid"}
        assert s.scalar(select(func.count()).select_from(Order).where(Order.customer_id == kept.id)) == 3
        assert [v.customer_code for v in list_customers(s)] == ["CN00000001"]
        with pytest.raises(FieldError):
            book.merge(s, "CN00000001", "CN00000002")  # the same customer now


def test_erasing_replaces_personal_data_and_keeps_code_orders_and_figures(db) -> None:
    woo = add_channel(db, "woo", "woocommerce")
    ingest(db, woo, buyer_order("1", buyer=None, email="ana@example.com", total="12.00"))
    with db.session() as s:
        book.erase(s, "CN00000001")
    (c,) = _customers(db)
    assert (c.first_name, c.last_name, c.email, c.phone, c.addresses) == ("erased", None, None, None, [])
    assert "ana" not in (c.external_id or "") and c.customer_code == "CN00000001"
    assert _figures(db, "CN00000001") == {"EUR": (1, Decimal("12.00"))}


def test_a_code_can_be_changed_only_to_one_free_and_not_kept_for_later(db) -> None:
    shop = add_channel(db)
    ingest(db, shop, buyer_order("1", buyer="B1"), buyer_order("2", buyer="B2"))
    with db.session() as s:
        with pytest.raises(FieldError, match="already"):
            book.edit(s, "CN00000002", {"customer_code": "cn00000001"})
        with pytest.raises(FieldError, match="still to come"):
            book.edit(s, "CN00000002", {"customer_code": "CN00000009"})
        with pytest.raises(FieldError):
            book.edit(s, "CN00000002", {"customer_code": "bad code!"})
        assert book.edit(s, "CN00000002", {"customer_code": "VIP-ANA"}).customer_code == "VIP-ANA"
    ingest(db, shop, buyer_order("3", buyer="B3"))
    assert [c.customer_code for c in _customers(db)] == ["CN00000001", "VIP-ANA", "CN00000003"]


def test_the_list_is_searched_by_name_phone_code_and_order_number(db) -> None:
    shop = add_channel(db)
    ingest(db, shop, buyer_order("1", buyer="B1"), buyer_order("2", buyer="B2", email="bo@example.com"))
    with db.session() as s:
        book.edit(s, "CN00000002", {"first_name": "Bruno", "phone": "+34 611 222 333"})
        assert [v.customer_code for v in list_customers(s, "brun")] == ["CN00000002"]
        assert [v.customer_code for v in list_customers(s, "611 222")] == ["CN00000002"]
        assert [v.customer_code for v in list_customers(s, "cn00000001")] == ["CN00000001"]
        assert [v.customer_code for v in list_customers(s, "#1")] == ["CN00000001"]
        assert list_customers(s, "nobody") == []


def test_a_merge_while_orders_of_both_customers_arrive_loses_no_order(db) -> None:
    shop = add_channel(db, "shop")
    other = add_channel(db, "other")
    ingest(db, shop, buyer_order("0", buyer="B1"))
    ingest(db, other, buyer_order("0", buyer="B9"))
    errors: list[BaseException] = []

    def arrive(channel_id: int, buyer: str) -> None:
        try:
            for n in range(1, 13):
                ingest(db, channel_id, buyer_order(str(n), buyer=buyer, total=f"{n}.00", updated=n),
                       buyer_order(str(n - 1), buyer=buyer, total=f"{n}.25", updated=n, cancelled=n % 4 == 0))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=arrive, args=(shop, "B1")), threading.Thread(target=arrive, args=(other, "B9"))]
    for t in threads:
        t.start()
    with db.session() as s:
        book.merge(s, "CN00000001", "CN00000002")
    for t in threads:
        t.join()
    assert errors == []
    _stats_match_a_recount(db)
    with db.session() as s:
        kept = book.find(s, "CN00000001").id
        assert s.scalar(select(func.count()).select_from(Order).where(Order.customer_id != kept)) == 0
        assert s.scalar(select(func.count()).select_from(CustomerStat).where(CustomerStat.customer_id != kept)) == 0
