"""The buyer's search columns: derived from the delivery address wherever it is written (ingest's
COPY rows, a channel update, an operator's edit, an ORM insert) and filled by the migration for
orders stored before it."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import select, text

from connectors.records import OrderPage
from sync.db import Database
from sync.ingest import store_page
from sync.migrate import upgrade
from sync.models import Order
from sync.review import edit_address
from sync.search_keys import fold, phone_key, prefix_range, search_columns

from support.orders import add_accounts, order


def _columns(db: Database, external_id: str) -> tuple[str | None, ...]:
    with db.session() as s:
        row = s.execute(select(Order.search_name, Order.search_surname, Order.search_email, Order.search_phone)
                        .where(Order.external_id == external_id)).one()
        return tuple(row)


def test_names_fold_to_plain_lower_case_and_phones_to_their_digits_last_first() -> None:
    assert fold("  María  José GARCÍA ") == "maria jose garcia"
    assert fold("Müller") == "muller" and fold(None) == ""
    assert phone_key("+34 600-12 34 56") == "65432100643"
    assert search_columns({"first_name": "Lucía", "last_name": "Pérez Gil", "email": " Lucia@Example.COM ",
                           "phone": "+34 600 123 456"}) == {
        "search_name": "lucia perez gil", "search_surname": "perez gil lucia",
        "search_email": "lucia@example.com", "search_phone": "654321006 43".replace(" ", "")}
    assert set(search_columns(None).values()) == {None}


def test_a_prefix_range_holds_exactly_the_values_that_start_with_it() -> None:
    low, high = prefix_range("garc")
    assert high is not None
    inside = ["garc", "garcia lucia", "garcz"]
    outside = ["gara", "gard", "garb", "ga"]
    assert all(low <= v < high for v in inside)
    assert not any(low <= v < high for v in outside)
    # code points with no plain successor: surrogates are skipped, the last one carries
    assert prefix_range("a\ud7ff") == ("a\ud7ff", "a\ue000")
    assert prefix_range("a\U0010ffff") == ("a\U0010ffff", "b")
    assert prefix_range("\U0010ffff") == ("\U0010ffff", None)


def test_ingest_writes_the_search_columns_of_new_and_updated_orders(db: Database) -> None:
    channel_id, _ = add_accounts(db)
    with db.session() as s:
        store_page(s, channel_id, OrderPage(orders=[order("1", last_name="García")]))
    assert _columns(db, "1") == ("lucia garcia", "garcia lucia", "lucia@example.com", "00000000643")
    with db.session() as s:
        store_page(s, channel_id, OrderPage(orders=[order("1", updated=5, last_name="Ferrer")]))
    assert _columns(db, "1")[:2] == ("lucia ferrer", "ferrer lucia")


def test_an_operators_edit_is_what_is_searched_even_after_a_channel_update(db: Database) -> None:
    channel_id, _ = add_accounts(db)
    with db.session() as s:
        store_page(s, channel_id, OrderPage(orders=[order("1", last_name=None)]))
        order_id = s.scalar(select(Order.id).where(Order.external_id == "1"))
        assert order_id is not None
    with db.session() as s:
        edit_address(s, order_id, {"last_name": "Núñez", "phone": "+34 611 222 333"}, actor="user:ana")
    assert _columns(db, "1") == ("lucia nunez", "nunez lucia", "lucia@example.com", "33322211643")
    with db.session() as s:  # the channel sends the order again, still without a surname
        store_page(s, channel_id, OrderPage(orders=[order("1", updated=5, last_name=None)]))
    assert _columns(db, "1")[:2] == ("lucia nunez", "nunez lucia")


def test_an_order_made_through_the_orm_gets_them_too(db: Database) -> None:
    channel_id, _ = add_accounts(db)
    with db.session() as s:
        row = Order(channel_id=channel_id, external_id="9", number="#9", channel_status="open",
                    payment_status="paid", currency="EUR", total=1, channel_updated_at=order("9").updated_at,
                    shipping_address={"first_name": "Ana", "last_name": "Ruiz", "email": "ANA@x.es"},
                    internal_reference="R-9", content_fingerprint="f", raw={})
        s.add(row)
    assert _columns(db, "9") == ("ana ruiz", "ruiz ana", "ana@x.es", None)


def test_the_migration_fills_the_columns_of_orders_stored_before_it(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'm.sqlite3'}")
    upgrade(db, "0004")
    address = {"first_name": "Jörg", "last_name": "Weiß", "email": "Jorg@Web.de", "phone": "+49 151 2345678"}
    with db.engine.begin() as conn:
        conn.execute(text("INSERT INTO channels (id, name, kind, role, url, credentials, settings, enabled, "
                          "cursor_state) VALUES (1, 'shop', 'shopify', 'channel', 'http://x', '{}', '{}', 1, '{}')"))
        conn.execute(text(
            "INSERT INTO orders (id, channel_id, external_id, number, status, status_changed_at, channel_status, "
            "payment_status, cancelled_on_channel, is_test, currency, total, channel_updated_at, shipping_address, "
            "shipping_edited, internal_reference, outcome_unknown, forward_attempts, create_failures, "
            "content_fingerprint, raw, created_at, updated_at) VALUES (1, 1, '1', '#1', 'pending_review', "
            "'2026-11-01 10:00:00', 'open', 'paid', 0, 0, 'EUR', 10, '2026-11-01 10:00:00', :a, 0, 'R-1', 0, 0, 0, "
            "'f', '{}', '2026-11-01 10:00:00', '2026-11-01 10:00:00')"), {"a": json.dumps(address)})
    upgrade(db)
    with db.engine.connect() as conn:
        row = conn.execute(text("SELECT search_name, search_surname, search_email, search_phone FROM orders")).one()
    assert tuple(row) == ("jorg weiss", "weiss jorg", "jorg@web.de", "876543215194")
    db.dispose()
