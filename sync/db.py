"""Engines and sessions, for SQLite (embedded default) and PostgreSQL alike."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.orm import Session, sessionmaker

from sync.settings import get_settings


def make_engine(url: str, **kwargs: Any) -> Engine:
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:" and not url.startswith("sqlite://:"):
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 60, "check_same_thread": False}, **kwargs)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            # WAL lets readers go on while a worker writes; busy_timeout makes writers queue
            # instead of failing, which is what several worker threads need.
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=60000")
            cur.close()

        return engine
    kwargs.setdefault("pool_pre_ping", True)
    kwargs.setdefault("pool_size", 10)
    return create_engine(url, **kwargs)


class Database:
    def __init__(self, url: str, **kwargs: Any) -> None:
        self.url = url
        self.engine = make_engine(url, **kwargs)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @contextmanager
    def session(self) -> Iterator[Session]:
        """One transaction: committed when the block ends, rolled back on error."""
        with self.sessions() as session, session.begin():
            yield session

    @contextmanager
    def statement(self) -> Iterator[Connection]:
        """Statements each committed by the server as it runs them (autocommit): a row one of them
        locks is free again before the answer reaches this process, so a thread that then waits
        for the interpreter or the CPU holds nobody up. For a hot row's one-statement change."""
        with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            yield conn

    def wait_until_reachable(self, timeout: float = 60.0) -> None:
        """Block until the database answers (after a restart); raise its last error at the timeout."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                with self.engine.connect() as conn:
                    conn.execute(text("SELECT 1"))
                return
            except Exception:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)

    def create_all(self) -> None:
        from sync.models import Base

        Base.metadata.create_all(self.engine)
        if self.engine.dialect.name == "postgresql":
            # not in the metadata: create_all looks for a sequence in "public" whatever the
            # search_path, and a schema of its own (the benchmarks') would go without one
            with self.engine.begin() as conn:
                conn.exec_driver_sql("CREATE SEQUENCE IF NOT EXISTS customer_code_seq")

    def dispose(self) -> None:
        self.engine.dispose()


_current: Database | None = None


def use_database(db: Database | None) -> None:
    """Point the process (workers, CLI) at a database; tests use this to swap it."""
    global _current
    _current = db


def get_database() -> Database:
    global _current
    if _current is None:
        _current = _default()
    return _current


@cache
def _default() -> Database:
    return Database(get_settings().database_url)
