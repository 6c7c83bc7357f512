"""Levels, tiered prices (per SKU and level), wholesale prices (per SKU and quantity range), and
the one price lookup order entry uses: manual > tiered for the customer's level > wholesale for the
quantity > none (the caller asks for a price)."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Literal

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from sync.customer_models import CustomerLevel, TieredPrice, WholesalePrice
from sync.fields import FieldError
from sync.models import Customer, Order, OrderLine
from sync.typed import digits
from sync.upsert import upsert

PriceSource = Literal["manual", "tiered", "wholesale", "none"]
MAX_PRICE = Decimal("999999999999.99")


@dataclass(frozen=True)
class Quote:
    price: Decimal | None
    source: PriceSource


def price_for(session: Session, sku: str, customer_id: int | None, quantity: int,
              manual: Decimal | None = None) -> Quote:
    if manual is not None:
        return Quote(Decimal(manual), "manual")
    if customer_id is not None:
        tiered = session.scalar(
            select(TieredPrice.price).join(Customer, Customer.level_id == TieredPrice.level_id)
            .where(Customer.id == customer_id, TieredPrice.sku == sku))
        if tiered is not None:
            return Quote(Decimal(tiered), "tiered")
    wholesale = session.scalar(
        select(WholesalePrice.price).where(
            WholesalePrice.sku == sku, WholesalePrice.min_quantity <= quantity,
            or_(WholesalePrice.max_quantity.is_(None), WholesalePrice.max_quantity >= quantity))
        .order_by(WholesalePrice.min_quantity.desc()).limit(1))
    if wholesale is not None:
        return Quote(Decimal(wholesale), "wholesale")
    return Quote(None, "none")


def last_unit_price(session: Session, sku: str, customer_id: int) -> Decimal | None:
    """What the customer paid for one of ``sku`` on their latest order holding it."""
    found = session.scalar(
        select(OrderLine.unit_price).join(Order, Order.id == OrderLine.order_id)
        .where(Order.customer_id == customer_id, OrderLine.sku == sku)
        .order_by(Order.placed_at.desc(), Order.id.desc()).limit(1))
    return None if found is None else Decimal(found)


# Levels ----------------------------------------------------------------------------------------


def add_level(session: Session, name: str) -> CustomerLevel:
    name = name.strip()
    if not name or len(name) > 100:
        raise FieldError("level: a name of 1 to 100 characters", field="name")
    if session.scalar(select(CustomerLevel.id).where(CustomerLevel.name == name)) is not None:
        raise FieldError(f"level: {name[:40]!r} exists already", field="name")
    level = CustomerLevel(name=name)
    session.add(level)
    session.flush()
    return level


def level_named(session: Session, name: str) -> CustomerLevel:
    level = session.scalar(select(CustomerLevel).where(CustomerLevel.name == name.strip()))
    if level is None:
        raise FieldError(f"level: no level {name[:40]!r}", field="level")
    return level


# Prices ----------------------------------------------------------------------------------------


def parse_price(value: str, field: str = "price") -> Decimal:
    try:
        price = Decimal(value.strip())
    except (InvalidOperation, AttributeError):
        raise FieldError(f"{field}: {value[:20]!r} is not an amount", field=field) from None
    if not price.is_finite():
        raise FieldError(f"{field}: {value[:20]!r} is not an amount", field=field)
    if price < 0:
        raise FieldError(f"{field}: {value[:20]!r} is below 0", field=field)
    if price > MAX_PRICE or price != price.quantize(Decimal("0.01")):
        raise FieldError(f"{field}: {value[:20]!r} is not an amount of at most 2 decimals", field=field)
    return price


def set_tiered(session: Session, sku: str, level: str, price: Decimal) -> None:
    sku = _sku(sku)
    upsert(session, TieredPrice.__table__,  # type: ignore[arg-type]
           [{"sku": sku, "level_id": level_named(session, level).id, "price": price}],
           keys=["sku", "level_id"], update=["price"])


def set_wholesale(session: Session, sku: str, low: int, high: int | None, price: Decimal) -> None:
    """A quantity range may not overlap another range of the same SKU."""
    sku = _sku(sku)
    if low < 1 or (high is not None and high < low):
        raise FieldError("quantity range: from 1 up, and the end not below the start", field="min_quantity")
    top = high if high is not None else 2**31 - 1
    clash = session.scalar(select(WholesalePrice).where(
        WholesalePrice.sku == sku, WholesalePrice.min_quantity != low, WholesalePrice.min_quantity <= top,
        or_(WholesalePrice.max_quantity.is_(None), WholesalePrice.max_quantity >= low)))
    if clash is not None:
        end = clash.max_quantity if clash.max_quantity is not None else "up"
        raise FieldError(f"quantity range {low}-{high or 'up'} of {sku} overlaps {clash.min_quantity}-{end}",
                         field="min_quantity")
    upsert(session, WholesalePrice.__table__,  # type: ignore[arg-type]
           [{"sku": sku, "min_quantity": low, "max_quantity": high, "price": price}],
           keys=["sku", "min_quantity"], update=["max_quantity", "price"])


def delete_tiered(session: Session, sku: str, level: str) -> bool:
    level_id = level_named(session, level).id
    done = session.execute(TieredPrice.__table__.delete().where(  # type: ignore[attr-defined]
        and_(TieredPrice.sku == sku, TieredPrice.level_id == level_id)))
    return bool(done.rowcount)  # type: ignore[attr-defined]


def _sku(sku: str) -> str:
    sku = (sku or "").strip()
    if not sku or len(sku) > 100:
        raise FieldError("sku: 1 to 100 characters", field="sku")
    return sku


# Import ----------------------------------------------------------------------------------------

TIERED_COLUMNS = ("sku", "level", "price")
WHOLESALE_COLUMNS = ("sku", "min_quantity", "max_quantity", "price")


@dataclass
class Imported:
    kind: str
    rows: int


def import_csv(session: Session, content: str) -> Imported:
    """A CSV of tiered prices (sku, level, price) or wholesale prices (sku, min_quantity,
    max_quantity, price): every row is checked; one bad row stores nothing and names its line."""
    reader = csv.DictReader(io.StringIO(content.lstrip("\ufeff")))
    header = tuple((h or "").strip().lower() for h in (reader.fieldnames or []))
    if set(header) == set(TIERED_COLUMNS):
        kind = "tiered"
    elif set(header) == set(WHOLESALE_COLUMNS):
        kind = "wholesale"
    else:
        raise FieldError(f"the header must be {','.join(TIERED_COLUMNS)} or {','.join(WHOLESALE_COLUMNS)}",
                         field="file")
    reader.fieldnames = list(header)
    count = 0
    with session.begin_nested():
        for line, row in enumerate(reader, start=2):
            try:
                _import_row(session, kind, row)
            except FieldError as exc:
                raise FieldError(f"line {line}: {exc}", field=exc.field) from None
            count += 1
    return Imported(kind, count)


def _import_row(session: Session, kind: str, row: dict[str, str | None]) -> None:
    if None in row.values() or None in row:
        raise FieldError("wrong number of columns", field="file")
    price = parse_price(row["price"] or "")
    if kind == "tiered":
        set_tiered(session, row["sku"] or "", row["level"] or "", price)
        return
    low = _quantity(row["min_quantity"] or "", "min_quantity")
    high_text = (row["max_quantity"] or "").strip()
    set_wholesale(session, row["sku"] or "", low, _quantity(high_text, "max_quantity") if high_text else None, price)


def _quantity(value: str, field: str) -> int:
    value = value.strip()
    if not digits(value) or len(value) > 9:
        raise FieldError(f"{field}: {value[:20]!r} is not a whole quantity", field=field)
    return int(value)
