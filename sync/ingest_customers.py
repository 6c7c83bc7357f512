"""The page's customers in one upsert: created with a code, or updated from the newest order
(names, contact, order times widened, the shipping address added once)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import orjson
from psycopg.rows import namedtuple_row
from psycopg.types.json import set_json_loads
from sqlalchemy import bindparam, case, select
from sqlalchemy.orm import Session

from sync.customers import give_codes, widen_order_times, with_addresses
from sync.ingest_rows import Prepared
from sync.models import Customer
from sync.rows import fit
from sync.upsert import insert_for

_NAMES = ("first_name", "last_name", "email", "phone", "updated_at")


def _text(addresses: list[dict[str, Any]]) -> str:
    """A customer's addresses as JSON: text fields only (``address_dict``), so orjson's text is exact."""
    return orjson.dumps(addresses).decode()


def store_customers(session: Session, channel_id: int, prepared: list[Prepared], now: datetime) -> dict[str, int]:
    """Each customer key of the page -> the customer its orders belong to (a merged customer's
    orders go to the one it was merged into)."""
    rows: dict[str, dict[str, Any]] = {}
    seen: dict[str, list[Any]] = {}
    for p in prepared:
        if p.customer_key is None:
            continue
        o = p.order
        c, ship = o.customer, o.shipping_address
        at = o.placed_at or now
        before = rows.get(p.customer_key)
        rows[p.customer_key] = {
            "channel_id": channel_id,
            "external_id": p.customer_key,
            "first_name": (c.first_name if c else None) or (ship.first_name if ship else None),
            "last_name": (c.last_name if c else None) or (ship.last_name if ship else None),
            "email": ((c.email if c else None) or (ship.email if ship else None) or "").lower() or None,
            "phone": (c.phone if c else None) or (ship.phone if ship else None),
            "updated_at": now,
            "first_order_at": min(at, before["first_order_at"]) if before else at,
            "last_order_at": max(at, before["last_order_at"]) if before else at,
        }
        seen.setdefault(p.customer_key, []).append(p.shipping)
    if not rows:
        return {}
    ordered = sorted(rows.values(), key=lambda r: r["external_id"])  # a fixed order avoids deadlocks
    for r in ordered:  # the page's own addresses, deduplicated: a new customer's list, a known one's additions
        r["addresses"] = with_addresses([], seen[r["external_id"]])
        seen[r["external_id"]] = r["addresses"]
        r["created_at"] = now
    fit(session, "customers", ordered)
    bind = session.get_bind()
    if bind.dialect.name == "postgresql" and bind.dialect.driver == "psycopg":
        stored = _upsert_pg(session, channel_id, ordered, now)
    else:
        stored = _upsert(session, channel_id, ordered)
    return _settle(session, stored, rows, seen)


def _settle(session: Session, stored: list[Any], rows: dict[str, dict[str, Any]],
            seen: dict[str, list[Any]]) -> dict[str, int]:
    """Codes for the new customers, addresses for the known ones, and merged customers' times
    carried to the customer they were merged into."""
    give_codes(session, [s.id for s in stored if s.customer_code is None])
    moved: list[dict[str, Any]] = []
    merged_times: dict[int, tuple[datetime, datetime]] = {}
    found: dict[str, int] = {}
    for s in stored:
        found[s.external_id] = s.merged_into_id or s.id
        if s.merged_into_id:
            r = rows[s.external_id]
            merged_times[s.merged_into_id] = (r["first_order_at"], r["last_order_at"])
            continue
        if getattr(s, "inserted", False):
            continue  # inserted by this page's upsert, with this page's addresses already
        known = list(s.addresses or [])
        after = with_addresses(known, seen[s.external_id])
        if after is not known:
            moved.append({"b_id": s.id, "b_addresses": after})
    bind = session.get_bind()
    if moved and bind.dialect.name == "postgresql" and bind.dialect.driver == "psycopg":  # one statement
        raw = session.connection().connection.driver_connection
        assert raw is not None
        with raw.cursor() as cur:  # arrays in binary: as text, every quote of the JSON is escaped
            cur.execute("UPDATE customers SET addresses = u.addresses::jsonb FROM unnest(%(ids)b::bigint[], "
                        "%(addresses)b::text[]) AS u(id, addresses) WHERE customers.id = u.id",
                        {"ids": [m["b_id"] for m in moved], "addresses": [_text(m["b_addresses"]) for m in moved]})
    elif moved:
        table = Customer.__table__
        session.connection().execute(
            table.update().where(table.c.id == bindparam("b_id"))  # type: ignore[attr-defined]
            .values(addresses=bindparam("b_addresses", type_=table.c.addresses.type)), moved)
    widen_order_times(session, merged_times)
    return found


def _widen(table: Any, excluded: Any) -> dict[str, Any]:
    first, last = table.c.first_order_at, table.c.last_order_at
    return {
        "first_order_at": case((first.is_(None) | (first > excluded.first_order_at), excluded.first_order_at),
                               else_=first),
        "last_order_at": case((last.is_(None) | (last < excluded.last_order_at), excluded.last_order_at),
                              else_=last),
    }


def _upsert(session: Session, channel_id: int, rows: list[dict[str, Any]]) -> list[Any]:
    table = Customer.__table__
    stmt = insert_for(session, table)  # type: ignore[arg-type]
    stmt = stmt.on_conflict_do_update(
        index_elements=["channel_id", "external_id"],
        set_={**{c: getattr(stmt.excluded, c) for c in _NAMES}, **_widen(table, stmt.excluded)})
    session.execute(stmt, rows)
    return list(session.execute(
        select(Customer.external_id, Customer.id, Customer.customer_code, Customer.merged_into_id,
               Customer.addresses)
        .where(Customer.channel_id == channel_id, Customer.external_id.in_([r["external_id"] for r in rows]))))


_UPSERT_PG = """
INSERT INTO customers (channel_id, external_id, first_name, last_name, email, phone, updated_at, created_at,
                       note, addresses, first_order_at, last_order_at, customer_code)
SELECT %(channel)s, u.external_id, u.first_name, u.last_name, u.email, u.phone, %(now)s, %(now)s, '',
       u.addresses::jsonb, u.first_at, u.last_at,
       CASE WHEN NOT EXISTS (SELECT 1 FROM customers k WHERE k.channel_id = %(channel)s
                             AND k.external_id = u.external_id)
            THEN 'CN' || lpad(nextval('customer_code_seq')::text, 8, '0') END
FROM unnest(%(a0)b::text[], %(a1)b::text[], %(a2)b::text[], %(a3)b::text[], %(a4)b::text[], %(a5)b::text[],
            %(a6)b::timestamptz[], %(a7)b::timestamptz[])
     AS u(external_id, first_name, last_name, email, phone, addresses, first_at, last_at)
ON CONFLICT (channel_id, external_id) DO UPDATE SET first_name = EXCLUDED.first_name,
    last_name = EXCLUDED.last_name, email = EXCLUDED.email, phone = EXCLUDED.phone, updated_at = EXCLUDED.updated_at,
    first_order_at = CASE WHEN customers.first_order_at IS NULL OR customers.first_order_at > EXCLUDED.first_order_at
                          THEN EXCLUDED.first_order_at ELSE customers.first_order_at END,
    last_order_at = CASE WHEN customers.last_order_at IS NULL OR customers.last_order_at < EXCLUDED.last_order_at
                         THEN EXCLUDED.last_order_at ELSE customers.last_order_at END
WHERE (customers.first_name, customers.last_name, customers.email, customers.phone)
          IS DISTINCT FROM (EXCLUDED.first_name, EXCLUDED.last_name, EXCLUDED.email, EXCLUDED.phone)
      OR customers.first_order_at IS NULL OR customers.first_order_at > EXCLUDED.first_order_at
      OR customers.last_order_at IS NULL OR customers.last_order_at < EXCLUDED.last_order_at
RETURNING external_id, id, customer_code, merged_into_id,
    CASE WHEN customers.xmax = 0 THEN NULL ELSE addresses END AS addresses, customers.xmax = 0 AS inserted
"""

#: the customers the upsert left as they were (nothing new): read, and share-locked like the
#: updated ones, so a merge of one of them waits for this page instead of missing its orders
_UNCHANGED_PG = """
SELECT external_id, id, customer_code, merged_into_id, addresses FROM customers
WHERE channel_id = %(channel)s AND external_id = ANY(%(keys)s::text[]) ORDER BY external_id FOR SHARE
"""


def _upsert_pg(session: Session, channel_id: int, rows: list[dict[str, Any]], now: datetime) -> list[Any]:
    """The same upsert as one statement over arrays, answering every customer at once. A new
    customer takes its code in the same statement (pages of one channel are stored one at a time,
    so a key found absent here is inserted here)."""
    session.flush()
    raw = session.connection().connection.driver_connection
    assert raw is not None
    columns = ("external_id", "first_name", "last_name", "email", "phone")
    arrays: list[list[Any]] = [[r[c] for r in rows] for c in columns]
    arrays.append([_text(r["addresses"]) for r in rows])
    arrays.append([r["first_order_at"] for r in rows])
    arrays.append([r["last_order_at"] for r in rows])
    with raw.cursor(row_factory=namedtuple_row) as cur:
        set_json_loads(orjson.loads, cur)  # the customers' addresses come back as jsonb
        # the arrays go in binary (``%b``): as text, every quote of the addresses' JSON is escaped
        cur.execute(_UPSERT_PG, {"channel": channel_id, "now": now, **{f"a{i}": a for i, a in enumerate(arrays)}})
        written = list(cur.fetchall())
        if len(written) < len(rows):  # a customer whose details and order times are unchanged is not rewritten
            done = {w.external_id for w in written}
            cur.execute(_UNCHANGED_PG, {"channel": channel_id,
                                        "keys": [r["external_id"] for r in rows if r["external_id"] not in done]})
            written += cur.fetchall()
        return written
