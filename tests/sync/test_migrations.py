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
