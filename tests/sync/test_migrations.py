from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from sync.db import Database
from sync.migrate import config, current, upgrade
from sync.models import Base


def test_the_migrations_build_exactly_the_tables_the_models_describe(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'm.sqlite3'}")
    head = ScriptDirectory.from_config(config(db.url)).get_current_head()
    assert head is not None and current(db) is None
    assert upgrade(db) == head
    with db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []
    db.dispose()


def test_upgrading_twice_is_harmless(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'm.sqlite3'}")
    first = upgrade(db)
    assert first == ScriptDirectory.from_config(config(db.url)).get_current_head()
    assert upgrade(db) == first == current(db)
    db.dispose()


def test_messenger_payment_confirmations_move_to_the_table_every_order_uses(tmp_path: Path) -> None:
    from sqlalchemy import text

    db = Database(f"sqlite:///{tmp_path / 'm.sqlite3'}")
    upgrade(db, "0010_body_digest")
    now = "2026-11-02 09:00:00.000000"
    with db.engine.begin() as conn:
        conn.execute(text("INSERT INTO channels (id, name, kind, role, url, credentials, settings, enabled, "
                          "cursor_state) VALUES (1, 'Chat shop', 'messenger', 'channel', '', '{}', '{}', 1, '{}')"))
        conn.execute(text("INSERT INTO payment_methods (id, name, instructions, needs_proof, enabled) "
                          "VALUES (1, 'Bank transfer', '', 1, 1)"))
        for n in (1, 2, 3):
            conn.execute(text(
                "INSERT INTO orders (id, channel_id, external_id, number, status, status_changed_at, channel_status, "
                "payment_status, cancelled_on_channel, is_test, currency, total, channel_updated_at, shipping_edited, "
                "internal_reference, outcome_unknown, forward_attempts, content_fingerprint, raw, created_at, "
                "updated_at, create_failures) VALUES (:n, 1, :e, :e, 'ignored', :t, 'messenger', 'pending', 0, 0, "
                "'EUR', 10, :t, 0, :r, 0, 0, '', '{}', :t, :t, 0)"), {"n": n, "e": f"M{n}", "t": now, "r": f"OH1-M{n}"})
        conn.execute(text(
            "INSERT INTO messenger_orders (order_id, state, void_reason, payment_method_id, payment_state, "
            "payment_reason, payment_by, payment_at, transaction_reference, created_by, created_at) VALUES "
            "(1, 'approved', '', 1, 'confirmed', '', 'user:seller', :t, 'TX-1', 'user:seller', :t), "
            "(2, 'approved', '', 1, 'rejected', 'blurred', 'user:seller', :t, NULL, 'user:seller', :t), "
            "(3, 'approved', '', NULL, 'none', '', NULL, NULL, NULL, 'user:seller', :t)"), {"t": now})
    upgrade(db)
    with db.engine.connect() as conn:
        rows = conn.execute(text("SELECT order_id, state, method, reason, decided_by, transaction_reference "
                                 "FROM payment_confirmations ORDER BY order_id")).all()
    assert [tuple(r) for r in rows] == [(1, "confirmed", "Bank transfer", "", "user:seller", "TX-1"),
                                        (2, "rejected", "Bank transfer", "blurred", "user:seller", None)]
    db.dispose()


def test_shop_orders_held_for_a_bank_transfer_before_confirmations_existed_get_their_pending_one(
        db: Database, tmp_path: Path) -> None:
    """Their bodies are unchanged, so a pull passes them over: the migration asks for them."""
    from alembic import command
    from sqlalchemy import text

    if db.engine.dialect.name == "sqlite":
        db = Database(f"sqlite:///{tmp_path / 'm.sqlite3'}")
        upgrade(db, "0017_supplier_account")
    else:
        command.downgrade(config(db.url), "0017_supplier_account")
    now = "2026-11-02 09:00:00+00:00"
    yes, no = ("true", "false") if db.engine.dialect.name == "postgresql" else ("1", "0")
    with db.engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO channels (id, name, kind, role, url, credentials, settings, enabled, cursor_state) VALUES "
            f"(1, 'woo', 'woocommerce', 'channel', '', '{{}}', '{{}}', {yes}, '{{}}'), "
            f"(2, 'cod-shop', 'shopify', 'channel', '', '{{}}', '{{\"confirm_payment_methods\": [\"manual\"]}}', "
            f"{yes}, '{{}}')"))
        bodies = [(1, 1, "awaiting_payment", '{"payment_method": "bacs"}'),
                  (2, 1, "awaiting_payment", '{"payment_method": "cheque"}'),  # not listed: none
                  (3, 1, "ready", '{"payment_method": "bacs"}'),  # not waiting: none
                  (4, 2, "awaiting_payment", '{"payment_gateway_names": ["manual"]}'),
                  (5, 2, "awaiting_payment", '{"gateway": "bogus"}')]
        for n, channel, status, raw in bodies:
            conn.execute(text(
                "INSERT INTO orders (id, channel_id, external_id, number, status, status_changed_at, channel_status, "
                "payment_status, cancelled_on_channel, is_test, currency, total, channel_updated_at, shipping_edited, "
                "internal_reference, outcome_unknown, forward_attempts, content_fingerprint, raw, created_at, "
                f"updated_at, create_failures) VALUES (:n, :c, :e, :e, :s, :t, 'on-hold', 'pending', {no}, {no}, "
                f"'EUR', 10, :t, {no}, :r, {no}, 0, '', :raw, :t, :t, 0)"),
                {"n": n, "c": channel, "s": status, "e": str(n), "t": now, "r": f"OH1-{n}", "raw": raw})
    upgrade(db)
    with db.engine.connect() as conn:
        rows = conn.execute(text("SELECT order_id, state, method FROM payment_confirmations ORDER BY order_id")).all()
    assert [tuple(r) for r in rows] == [(1, "pending", "bacs"), (4, "pending", "manual")]
    assert upgrade(db) == "0018_pending_confirmations"
    db.dispose()
