"""Messenger order lines: currency and weight checked, products found by SKU, GTIN or title, a
pasted list read whole (what cannot be added is handed back as typed), and lines edited before
approval by one editor at a time."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from connectors.bigbuy.catalogue import _product, gtin
from sync import catalogue
from sync import messenger as m
from sync import messenger_lines as lines_
from sync.messenger_models import MessengerOrder
from sync.models import CatalogueItem, Channel, Order, OrderEvent

from support.messenger import BUYER, new_order, setup_store


def test_the_currency_is_an_iso_code_and_the_store_s_by_default(db) -> None:
    setup_store(db)
    with db.session() as s:
        m.add_store(s, "UK chats", currency="gbp")
        assert s.scalar(select(Channel).where(Channel.name == "UK chats")).settings["currency"] == "GBP"
        with pytest.raises(m.MessengerError, match="ISO 4217") as refused:
            m.add_store(s, "Bad", currency="EURO")
        assert refused.value.field == "currency"
    plain = new_order(db)
    with db.session() as s:
        uk = m.create(s, store="UK chats", lines=[m.LineInput("SKU-1", 1)], actor="u", can_edit_prices=False)
        usd = m.create(s, store="UK chats", lines=[m.LineInput("SKU-1", 1)], actor="u", can_edit_prices=False,
                       currency=" usd ")
        assert (s.get(Order, uk).currency, s.get(Order, usd).currency) == ("GBP", "USD")
        assert s.get(Order, plain).currency == "EUR"
        for bad in ("XXY", "EU", "€"):
            with pytest.raises(m.MessengerError, match="ISO 4217"):
                m.create(s, store="UK chats", lines=[m.LineInput("SKU-1", 1)], actor="u", can_edit_prices=False,
                         currency=bad)


def test_weights_are_kilograms_and_the_order_shows_their_total(db) -> None:
    setup_store(db)
    with db.session() as s:
        s.merge(CatalogueItem(sku="SKU-2", supplier_sku="S-SKU-2", title="Shade"))
        order_id = m.create(s, store="Chat shop", actor="u", can_edit_prices=True, lines=[
            m.LineInput("SKU-1", 2, weight=Decimal("1.25")), m.LineInput("SKU-2", 1, Decimal("3.00")),
            m.LineInput("SKU-3", 3, Decimal("1.00"), weight=Decimal("0"))])
        order = s.get(Order, order_id)
        assert [ln.weight for ln in order.lines] == [Decimal("1.250"), None, Decimal("0.000")]
        assert lines_.total_weight(order.lines) == Decimal("2.5")
        for bad in (Decimal("-0.1"), Decimal("0.0001"), Decimal("NaN"), "heavy"):
            with pytest.raises(m.MessengerError, match="weight of SKU-1") as refused:
                m.create(s, store="Chat shop", actor="u", can_edit_prices=False,
                         lines=[m.LineInput("SKU-1", 1, weight=bad)])  # type: ignore[arg-type]
            assert refused.value.field == "weight"
    assert lines_.total_weight([]) is None


def test_bigbuy_s_ean13_is_kept_as_a_gtin_and_found_however_it_is_typed(db) -> None:
    assert gtin("8412345678905") == "08412345678905"
    assert gtin(" 012345678905 ") == "00012345678905"  # UPC-A
    assert gtin("") is None and gtin("84123456789X5") is None and gtin(None) is None
    read = _product({"sku": "BB-1", "ean13": "8412345678905"}, "1", None, True, 4)
    assert read.gtin == "08412345678905"
    setup_store(db)
    with db.session() as s:
        supplier = Channel(name="supplier", kind="bigbuy", role="supplier", url="http://x.invalid", credentials={},
                           settings={})
        s.add(supplier)
        s.flush()
        catalogue.store_products(s, supplier.id, [read, _product({"sku": "BB-2", "ean13": "012345678905"}, "2",
                                                                 None, True, 1)])
        s.merge(CatalogueItem(sku="LAMP-RED", supplier_sku="BB-1", title="Red lamp", source="manual"))
    with db.session() as s:
        by_ean = {p.sku for p in lines_.search_products(s, "8412345678905")}
        assert by_ean == {"BB-1", "LAMP-RED"}  # the supplier's product and the shop SKU mapped to it
        assert [p.sku for p in lines_.search_products(s, "12345678905")] == []  # not a GTIN length
        assert [p.sku for p in lines_.search_products(s, "012345678905")] == ["BB-2"]
        assert [p.sku for p in lines_.search_products(s, "0012345678905")] == ["BB-2"]
        assert [p.sku for p in lines_.search_products(s, "red LAMP")] == ["LAMP-RED"]  # any case
        assert [p.sku for p in lines_.search_products(s, "Red")] == ["LAMP-RED"]
        assert [p.sku for p in lines_.search_products(s, "SKU")] == ["SKU-1"]
        assert lines_.search_products(s, "LAMP-RED")[0].gtin == "08412345678905"
        assert lines_.search_products(s, "  ") == []


def test_a_pasted_list_is_read_whole_and_unknown_skus_are_handed_back(db) -> None:
    setup_store(db)
    with db.session() as s:
        s.merge(CatalogueItem(sku="SKU-2", supplier_sku="S-SKU-2", title="Shade"))
        bulk = lines_.read_bulk(s, "SKU-1,2\nSKU-2 3\r\n\nSKU-1\t4\nNOPE,1\nSKU-2,two\nSKU-2;5\nSKU-1")
    assert bulk.lines == [("SKU-1", 2), ("SKU-2", 3), ("SKU-1", 4), ("SKU-2", 5), ("SKU-1", 1)]
    assert bulk.refused == ["NOPE,1 (unknown SKU)", "SKU-2,two (not SKU,quantity)"]
    with db.session() as s, pytest.raises(m.MessengerError, match="at most 200"):
        lines_.read_bulk(s, "SKU-1,1\n" * 201)


def _lines(db, order_id: int) -> list[tuple[str, int, Decimal, Decimal | None]]:
    with db.session() as s:
        return [(ln.sku, ln.quantity, ln.unit_price, ln.weight) for ln in s.get(Order, order_id).lines]


def test_lines_are_edited_before_approval_with_history(db) -> None:
    setup_store(db)
    order_id = new_order(db)  # SKU-1 x2 at 9.50
    with db.session() as s:
        s.merge(CatalogueItem(sku="SKU-2", supplier_sku="S-SKU-2", title="Shade"))
        from sync import prices
        prices.set_wholesale(s, "SKU-2", 1, None, Decimal("4.00"))
    with db.session() as s:
        revision = lines_.edit_lines(s, order_id, [m.LineInput("SKU-1", 5, weight=Decimal("0.5")),
                                                   m.LineInput("SKU-2", 1)],
                                     seen_revision=0, actor="user:clerk", can_edit_prices=False)
    assert revision == 1
    assert _lines(db, order_id) == [("SKU-1", 5, Decimal("9.50"), Decimal("0.500")),
                                    ("SKU-2", 1, Decimal("4.00"), None)]
    with db.session() as s:
        assert s.get(Order, order_id).total == Decimal("51.50")
        said = s.scalars(select(OrderEvent.reason).where(OrderEvent.order_id == order_id)).all()[-1]
        assert said == "lines edited: SKU-1 quantity 2 -> 5; SKU-1 weight - -> 0.500 kg; added SKU-2 x1"
        lines_.edit_lines(s, order_id, [m.LineInput("SKU-2", 1)], seen_revision=1, actor="user:clerk",
                          can_edit_prices=False)
    assert _lines(db, order_id) == [("SKU-2", 1, Decimal("4.00"), None)]


def test_a_price_change_needs_the_permission_and_an_unchanged_price_does_not(db) -> None:
    setup_store(db)
    order_id = new_order(db)
    with db.session() as s, pytest.raises(m.MessengerError, match="edit prices"):
        lines_.edit_lines(s, order_id, [m.LineInput("SKU-1", 2, Decimal("1.00"))], seen_revision=0,
                          actor="user:clerk", can_edit_prices=False)
    with db.session() as s:
        lines_.edit_lines(s, order_id, [m.LineInput("SKU-1", 3, Decimal("9.50"))], seen_revision=0,
                          actor="user:clerk", can_edit_prices=False)
        lines_.edit_lines(s, order_id, [m.LineInput("SKU-1", 3, Decimal("8.00"))], seen_revision=1,
                          actor="user:owner", can_edit_prices=True)
    assert _lines(db, order_id) == [("SKU-1", 3, Decimal("8.00"), None)]


def test_the_second_of_two_editors_is_told_it_lost(db) -> None:
    setup_store(db)
    order_id = new_order(db)
    with db.session() as s:
        lines_.edit_lines(s, order_id, [m.LineInput("SKU-1", 4)], seen_revision=0, actor="user:a",
                          can_edit_prices=False)
    with db.session() as s, pytest.raises(m.LostRace, match="nothing was done"):
        lines_.edit_lines(s, order_id, [m.LineInput("SKU-1", 9)], seen_revision=0, actor="user:b",
                          can_edit_prices=False)
    assert _lines(db, order_id) == [("SKU-1", 4, Decimal("9.50"), None)]
    with db.session() as s:
        assert s.get(MessengerOrder, order_id).revision == 1


def test_after_approval_the_lines_are_kept(db) -> None:
    setup_store(db)
    order_id = new_order(db, buyer=BUYER, for_approval=True, method="Cash on delivery")
    with db.session() as s:
        m.approve(s, order_id, actor="user:seller")
    with db.session() as s, pytest.raises(m.MessengerError, match="approved: its lines can no longer be edited"):
        lines_.edit_lines(s, order_id, [m.LineInput("SKU-1", 9)], seen_revision=0, actor="user:a",
                          can_edit_prices=False)
    other = new_order(db)
    with db.session() as s, pytest.raises(m.MessengerError, match="each SKU once"):
        lines_.edit_lines(s, other, [m.LineInput("SKU-1", 1), m.LineInput("SKU-1", 2)], seen_revision=0,
                          actor="user:a", can_edit_prices=False)
    assert _lines(db, order_id) == [("SKU-1", 2, Decimal("9.50"), None)]


def test_a_payment_confirmed_before_the_total_grew_is_to_be_confirmed_again(db) -> None:
    """Confirmed early (before approval) for 19.00: edited up, the order is not approved as paid;
    edited down, the payment still covers it."""
    from sync import messenger_payment as payment

    setup_store(db)
    order_id = new_order(db, buyer=BUYER, for_approval=True)  # SKU-1 x2 at 9.50, bank transfer
    with db.session() as s:
        payment.confirm(s, order_id, actor="user:seller", reference="TX-19")
        lines_.edit_lines(s, order_id, [m.LineInput("SKU-1", 1)], seen_revision=0, actor="user:clerk",
                          can_edit_prices=False)
        assert s.get(MessengerOrder, order_id).payment_state == "confirmed"
        lines_.edit_lines(s, order_id, [m.LineInput("SKU-1", 20)], seen_revision=1, actor="user:clerk",
                          can_edit_prices=False)
    with db.session() as s:
        mo = s.get(MessengerOrder, order_id)
        assert mo.payment_state == "pending" and "9.50 to 190.00" in mo.payment_reason
        assert m.approve(s, order_id, actor="user:seller") == "awaiting_payment"
        assert s.get(Order, order_id).payment_status == "pending"
    with db.session() as s:
        assert payment.confirm(s, order_id, actor="user:seller", reference="TX-19").status == "ready"


def test_a_typed_sku_is_named_by_the_catalogue_and_an_edit_keeps_each_line_s_name(db) -> None:
    setup_store(db)  # SKU-1 is "Lamp" in the catalogue
    order_id = new_order(db)
    with db.session() as s:
        assert [ln.title for ln in s.get(Order, order_id).lines] == ["Lamp"]
        s.get(Order, order_id).lines[0].title = "Lamp, blue"  # as the seller named it
        s.merge(CatalogueItem(sku="SKU-2", supplier_sku="S-SKU-2", title="Shade"))
    with db.session() as s:
        lines_.edit_lines(s, order_id, [m.LineInput("SKU-1", 3), m.LineInput("SKU-2", 1, Decimal("4.00")),
                                        m.LineInput("SKU-3", 1, Decimal("1.00"))],
                          seen_revision=0, actor="user:clerk", can_edit_prices=True)
    with db.session() as s:
        assert [(ln.sku, ln.title) for ln in s.get(Order, order_id).lines] == [
            ("SKU-1", "Lamp, blue"), ("SKU-2", "Shade"), ("SKU-3", "")]
