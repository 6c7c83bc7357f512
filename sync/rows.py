"""Set-based row writing for ingest and the issue store (``bulk_insert``: one COPY on PostgreSQL),
and what makes a row storable on PostgreSQL, which is stricter than SQLite (``storable``, ``fit``)."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from operator import itemgetter
from typing import Any

from sqlalchemy import JSON, String, Table, TypeDecorator, insert
from sqlalchemy.orm import Session

from connectors.storable import SURROGATE
from sync.models import Base, UtcDateTime


@dataclass(frozen=True)
class Dumped:
    """A JSON column's value already serialised (``text``) by a caller that needed the text anyway."""

    text: str
    value: Any


def bulk_insert(session: Session, table: Table, rows: Sequence[dict[str, Any]], *,
                return_ids: bool = False) -> list[int]:
    """Insert ``rows`` (dicts with the same keys) in one set-based write; with ``return_ids``,
    returns the new primary keys in the order of ``rows``.

    PostgreSQL (psycopg 3): one COPY, after one ``nextval`` round trip when ids are wanted:
    no statement per row, and no giant multi-VALUES text to build and parse. Columns the rows
    leave out get the model's Python-side defaults, as an ORM insert would. Elsewhere: an
    executemany ``INSERT`` (``RETURNING``, in the rows' order, when ids are wanted).
    """
    if not rows:
        return []
    bind = session.get_bind()
    if bind.dialect.name != "postgresql" or bind.dialect.driver != "psycopg":
        rows = [{k: v.value if isinstance(v, Dumped) else v for k, v in r.items()} for r in rows]
        if return_ids:
            stmt = insert(table).returning(table.c.id, sort_by_parameter_order=True)
            return list(session.scalars(stmt, list(rows)))
        session.execute(insert(table), list(rows))
        return []
    session.flush()  # ORM objects added earlier go first (foreign keys)
    raw = session.connection().connection.driver_connection
    assert raw is not None
    ids: list[int] = []
    with raw.cursor() as cur:
        if return_ids:
            cur.execute(f"SELECT nextval(pg_get_serial_sequence('{table.name}', 'id')) "
                        "FROM generate_series(1, %s)", (len(rows),))
            ids = [r[0] for r in cur.fetchall()]
        given, converts, defaults = _copy_plan(table, list(rows[0]), bind.dialect)
        written = [*given, *(name for name, _ in defaults), *(["id"] if return_ids else [])]
        names = ", ".join(f'"{name}"' for name in written)
        take = itemgetter(*given)
        with cur.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as copy:
            for n, row in enumerate(rows):
                values = list(take(row)) if len(given) > 1 else [take(row)]
                for i, convert in converts:
                    values[i] = convert(values[i])
                for _, default in defaults:
                    values.append(default())
                if return_ids:
                    values.append(ids[n])
                copy.write_row(values)
    return ids


def _copy_plan(table: Table, given: list[str], dialect: Any) -> tuple[list[str], list[tuple[int, Any]],
                                                                      list[tuple[str, Any]]]:
    """The columns the rows give, how some of their values are converted (by position), and the
    model's Python-side defaults for the columns they leave out."""
    columns = {col.name: col for col in table.columns}
    converts: list[tuple[int, Any]] = []
    for i, name in enumerate(given):
        col_type = columns[name].type
        if isinstance(col_type, JSON):  # None is JSON null unless the type says SQL NULL, as in an INSERT
            converts.append((i, _json_none_as_null if col_type.none_as_null else _json))
        elif isinstance(col_type, UtcDateTime):
            converts.append((i, _aware))
        elif isinstance(col_type, TypeDecorator):
            converts.append((i, lambda v, t=col_type: None if v is None else t.process_bind_param(v, dialect)))
    defaults: list[tuple[str, Any]] = []
    for col in table.columns:
        if col.name in given or col.primary_key or col.server_default is not None or col.default is None:
            continue  # given, or the sequence's, the server's, or NULL
        if col.default.is_scalar:
            defaults.append((col.name, lambda v=col.default.arg: v))  # type: ignore[attr-defined]
        else:
            defaults.append((col.name, lambda fn=col.default.arg: fn(None)))  # type: ignore[attr-defined]
    return given, converts, defaults


def _aware(value: datetime | None) -> datetime | None:
    """What ``UtcDateTime`` accepts: aware datetimes (psycopg sends their offset along)."""
    if value is not None and value.tzinfo is None:
        raise ValueError("naive datetime given to a UTC column")
    return value


def _json(value: Any) -> str:
    return value.text if isinstance(value, Dumped) else json.dumps(value)


def _json_none_as_null(value: Any) -> str | None:
    return None if value is None else _json(value)


def storable(value: Any) -> Any:
    """NUL characters and surrogates (keys too) become U+FFFD, and NaN and infinities their names."""
    if isinstance(value, str):
        value = value.replace("\x00", "\ufffd")
        return value if value.isascii() else SURROGATE.sub("\ufffd", value)
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, dict):
        return {storable(k): storable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [storable(v) for v in value]
    return value


_LIMITS: dict[str, dict[str, int]] = {
    t.name: {c.name: c.type.length for c in t.columns if isinstance(c.type, String) and c.type.length}
    for t in Base.metadata.tables.values()
}


def cut(table: str, column: str, value: str) -> str:
    return value[: _LIMITS[table][column]]


def fit(session: Session, table: str, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """On PostgreSQL, text longer than its column is cut to fit (SQLite keeps it whole)."""
    if session.get_bind().dialect.name != "postgresql":
        return rows
    if not rows:
        return rows
    limits = [(name, length) for name, length in _LIMITS[table].items() if name in rows[0]]
    for row in rows:
        for name, length in limits:
            value = row.get(name)
            if isinstance(value, str) and len(value) > length:
                row[name] = value[:length]
    return rows
