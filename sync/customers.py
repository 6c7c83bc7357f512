"""Customers as orders arrive: codes, the channel's privacy rule, addresses, first and last order
times, and statistics per currency kept by adding each order's change.

Ingest calls ``order_contribution`` for the version of an order it replaces and the one it
writes, and ``add_stats`` once per page with the difference: one set-based additive upsert, so two
workers storing orders of the same customer at once add up instead of overwriting each other (an
order's own row is locked while its old version is read, so one version is never counted twice).
"""

from __future__ import annotations

import re
from collections import abc
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import bindparam, case, func, select, text
from sqlalchemy.orm import Session

from sync.customer_models import CustomerStat
from sync.models import Base, Customer, Order
from sync.upsert import insert_for

CODE_PREFIX = "CN"
CODE_DIGITS = 8
MAX_ADDRESSES = 10
#: PostgreSQL gives codes from the sequence ``customer_code_seq`` (no lock held to the commit; made
#: by the migration, or by ``Database.create_all``); SQLite from a counter row
_AUTOMATIC = re.compile(rf"^{CODE_PREFIX}(\d{{{CODE_DIGITS},}})$")
#: kinds whose platforms forbid keeping their buyers (Shopee masks them; Amazon's buyer data is restricted)
PRIVATE_BY_DEFAULT = frozenset({"shopee", "amazon"})

StatKey = tuple[int, str]


def creates_customers(kind: str, settings: dict[str, Any] | None) -> bool:
    """The channel's ``create_customers`` setting, else its platform's privacy rule."""
    chosen = (settings or {}).get("create_customers")
    if chosen is not None:
        return bool(chosen)
    return kind not in PRIVATE_BY_DEFAULT


# Codes -----------------------------------------------------------------------------------------


def code_text(number: int) -> str:
    return f"{CODE_PREFIX}{number:0{CODE_DIGITS}d}"


def next_codes(session: Session, n: int) -> list[str]:
    """``n`` new codes, in order: never one given before, whatever runs at the same time."""
    if n <= 0:
        return []
    if session.get_bind().dialect.name == "postgresql":
        numbers = sorted(session.scalars(
            text("SELECT nextval('customer_code_seq') FROM generate_series(1, :n)"), {"n": n}))
        return [code_text(v) for v in numbers]
    insert = insert_for(session, Base.metadata.tables["counters"]).on_conflict_do_nothing()
    session.execute(insert.values(name="customer_code", value=0))
    last = session.scalar(text(
        "UPDATE counters SET value = value + :n WHERE name = 'customer_code' RETURNING value"), {"n": n})
    assert last is not None
    return [code_text(v) for v in range(last - n + 1, last + 1)]


def last_code_number(session: Session) -> int:
    if session.get_bind().dialect.name == "postgresql":
        row = session.execute(text("SELECT last_value, is_called FROM customer_code_seq")).one()
        return int(row.last_value) if row.is_called else 0
    return int(session.scalar(text("SELECT value FROM counters WHERE name = 'customer_code'")) or 0)


def reserved_code(session: Session, code: str) -> bool:
    """An automatic-looking code not given yet: an operator may not take it (a new customer will)."""
    found = _AUTOMATIC.match(code)
    return bool(found) and int(found.group(1)) > last_code_number(session)  # type: ignore[union-attr]


def give_codes(session: Session, ids: Iterable[int]) -> dict[int, str]:
    ordered = sorted(ids)
    if ordered and session.get_bind().dialect.name == "postgresql":  # one statement, whatever the count
        given = session.execute(text(
            f"UPDATE customers SET customer_code = '{CODE_PREFIX}' || lpad(nextval('customer_code_seq')::text, "
            f"{CODE_DIGITS}, '0') WHERE id IN (SELECT unnest(CAST(:ids AS bigint[])) ORDER BY 1) "
            "RETURNING id, customer_code"), {"ids": ordered})
        return {i: c for i, c in given}
    codes = dict(zip(ordered, next_codes(session, len(ordered)), strict=True))
    if codes:
        table = Customer.__table__
        session.connection().execute(
            table.update().where(table.c.id == bindparam("b_id")).values(customer_code=bindparam("b_code")),  # type: ignore[attr-defined]
            [{"b_id": i, "b_code": c} for i, c in codes.items()])
    return codes


# Addresses -------------------------------------------------------------------------------------

_ADDRESS_KEY = ("first_name", "last_name", "company", "address1", "address2", "city", "region", "postcode",
                "country_code")


def address_key(address: dict[str, Any]) -> str:
    """Equal for the same place written with other case or spacing."""
    return " ".join("\x1f".join(str(address.get(k) or "") for k in _ADDRESS_KEY).lower().split())


def with_addresses(known: list[dict[str, Any]], new: abc.Sequence[dict[str, Any] | None]) -> list[dict[str, Any]]:
    """The list with each new address added last unless already known; past ten the oldest go."""
    keys = {address_key(a) for a in known}
    out = known
    for address in new:
        if not address or not any(address.get(k) for k in _ADDRESS_KEY):
            continue
        key = address_key(address)
        if key not in keys:
            keys.add(key)
            out = [*out, address]
    return out[-MAX_ADDRESSES:] if len(out) > MAX_ADDRESSES else out


def with_address(known: list[dict[str, Any]], new: dict[str, Any] | None) -> list[dict[str, Any]]:
    return with_addresses(known, [new])


# Statistics ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Contribution:
    customer_id: int | None
    currency: str
    counted: bool
    total: Decimal


def order_contribution(customer_id: int | None, currency: str, cancelled: bool, test: bool,
                       total: Decimal) -> Contribution:
    """What one version of an order adds: cancelled (and test) orders add nothing; refunded ones count."""
    return Contribution(customer_id, currency, not cancelled and not test, Decimal(total))


def stat_changes(pairs: Iterable[tuple[Contribution | None, Contribution | None]],
                 ) -> dict[StatKey, tuple[int, Decimal]]:
    """(old, new) versions of orders -> what each customer's figures move by, per currency."""
    moves: dict[StatKey, list[Any]] = {}
    for old, new in pairs:
        for c, sign in ((old, -1), (new, 1)):
            if c is None or c.customer_id is None or not c.counted:
                continue
            acc = moves.setdefault((c.customer_id, c.currency), [0, Decimal(0)])
            acc[0] += sign
            acc[1] += sign * c.total
    return {k: (n, s) for k, (n, s) in moves.items() if n or s}


_ADD_STATS_PG = """
INSERT INTO customer_stats (customer_id, currency, orders, spend)
SELECT * FROM unnest(%(ids)b::bigint[], %(currencies)b::text[], %(orders)b::int[], %(spend)b::numeric[])
ON CONFLICT (customer_id, currency) DO UPDATE SET orders = customer_stats.orders + EXCLUDED.orders,
    spend = customer_stats.spend + EXCLUDED.spend
"""


def add_stats(session: Session, moves: dict[StatKey, tuple[int, Decimal]]) -> None:
    """One additive upsert, in a fixed order (two pages touching the same customers cannot deadlock)."""
    if not moves:
        return
    ordered = sorted(moves.items())
    bind = session.get_bind()
    if bind.dialect.name == "postgresql" and bind.dialect.driver == "psycopg":  # one statement over arrays
        session.flush()
        raw = session.connection().connection.driver_connection
        assert raw is not None
        with raw.cursor() as cur:
            cur.execute(_ADD_STATS_PG, {"ids": [cid for (cid, _), _ in ordered],
                                        "currencies": [cur_ for (_, cur_), _ in ordered],
                                        "orders": [n for _, (n, _) in ordered], "spend": [s for _, (_, s) in ordered]})
        return
    table = CustomerStat.__table__
    stmt = insert_for(session, table)  # type: ignore[arg-type]
    stmt = stmt.on_conflict_do_update(
        index_elements=["customer_id", "currency"],
        set_={"orders": table.c.orders + stmt.excluded.orders, "spend": table.c.spend + stmt.excluded.spend})
    session.execute(stmt, [{"customer_id": cid, "currency": cur, "orders": n, "spend": s}
                           for (cid, cur), (n, s) in ordered])


def recount(session: Session, customer_ids: list[int]) -> None:
    """Figures rebuilt from the orders (after a merge): the incremental path's reference."""
    if not customer_ids:
        return
    session.execute(CustomerStat.__table__.delete().where(CustomerStat.customer_id.in_(customer_ids)))  # type: ignore[attr-defined]
    rows = session.execute(
        select(Order.customer_id, Order.currency, func.count(), func.sum(Order.total))
        .where(Order.customer_id.in_(customer_ids), Order.cancelled_on_channel.is_(False), Order.is_test.is_(False))
        .group_by(Order.customer_id, Order.currency)).all()
    if rows:
        session.execute(insert_for(session, CustomerStat.__table__), [  # type: ignore[arg-type]
            {"customer_id": cid, "currency": cur, "orders": n, "spend": s} for cid, cur, n, s in rows])


def stats_of(session: Session, customer_ids: list[int]) -> dict[int, list[Any]]:
    """Each customer's figures per currency (rows with customer_id, currency, orders, spend)."""
    found: dict[int, list[Any]] = {i: [] for i in customer_ids}
    if customer_ids:
        table = CustomerStat.__table__
        for stat in session.execute(select(*table.c).where(table.c.customer_id.in_(customer_ids))
                                    .order_by(table.c.customer_id, table.c.currency)):
            found[stat.customer_id].append(stat)
    return found


def average(orders: int, spend: Decimal) -> Decimal:
    return (Decimal(spend) / orders).quantize(Decimal("0.01")) if orders else Decimal(0)


def widen_order_times(session: Session, times: dict[int, tuple[datetime, datetime]]) -> None:
    """First order time only ever moves back, last only forward."""
    if not times:
        return
    table = Customer.__table__
    first, last = table.c.first_order_at, table.c.last_order_at
    session.connection().execute(
        table.update().where(table.c.id == bindparam("b_id")).values(  # type: ignore[attr-defined]
            first_order_at=case((first.is_(None) | (first > bindparam("b_first", type_=first.type)),
                                 bindparam("b_first", type_=first.type)), else_=first),
            last_order_at=case((last.is_(None) | (last < bindparam("b_last", type_=last.type)),
                                bindparam("b_last", type_=last.type)), else_=last)),
        [{"b_id": i, "b_first": f, "b_last": la} for i, (f, la) in sorted(times.items())])
