"""Shared fixtures. SQLite and the stub broker always; PostgreSQL and Redis as well when
ORDERHUB_TEST_DATABASE_URL and ORDERHUB_TEST_REDIS_URL are set (set but unreachable fails)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from sync import connect
from sync.db import Database, use_database
from sync.models import Base

from support import PG_URL

#: always collected, so ``-m postgres`` / ``-m "not postgres"`` select the backends; without
#: ORDERHUB_TEST_DATABASE_URL the PostgreSQL runs are skipped and say why
BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


def _reset_postgres(db: Database) -> None:
    names = ", ".join(t.name for t in reversed(Base.metadata.sorted_tables))
    with db.engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))


_pg_ready = False


def _postgres() -> Database:
    global _pg_ready
    db = Database(PG_URL, pool_size=20)
    if not _pg_ready:  # one schema per test session, built by the migrations themselves
        with db.engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        from sync.migrate import upgrade

        upgrade(db)
        _pg_ready = True
    _reset_postgres(db)
    return db


@pytest.fixture(params=BACKENDS)
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    if request.param == "sqlite":
        database = Database(f"sqlite:///{tmp_path / 'test.sqlite3'}")
        database.create_all()
    else:
        if not PG_URL:
            pytest.skip("ORDERHUB_TEST_DATABASE_URL is not set")
        database = _postgres()
    use_database(database)
    connect.forget()
    yield database
    connect.forget()
    use_database(None)
    database.dispose()


@pytest.fixture
def sqlite_db(tmp_path: Path) -> Iterator[Database]:
    database = Database(f"sqlite:///{tmp_path / 'test.sqlite3'}")
    database.create_all()
    use_database(database)
    yield database
    use_database(None)
    database.dispose()
