"""Operators' SKU mappings, for shops whose SKUs are not the supplier's: one at a time, or a CSV
file of ``channel_sku,supplier_sku`` rows. A file is checked whole before anything is stored: one
bad row and nothing is imported, and every bad row is reported with its line number."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from sync.catalogue import MANUAL, SUPPLIER, refresh_costs
from sync.db import Database
from sync.models import CatalogueItem, SupplierProduct
from sync.upsert import insert_for

SKU_MAX = CatalogueItem.__table__.c.sku.type.length or 100  # type: ignore[attr-defined]
HEADER = ("channel_sku", "supplier_sku")


class MappingRefused(ValueError):
    """Bad input: ``problems`` lists every bad row as (line number, what is wrong)."""

    def __init__(self, problems: list[tuple[int, str]]) -> None:
        self.problems = problems
        first = "; ".join(f"line {n}: {what}" if n else what for n, what in problems[:5])
        more = f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""
        super().__init__(f"{len(problems)} bad row{'s' if len(problems) != 1 else ''}, nothing imported: {first}{more}")


@dataclass(frozen=True)
class Mapping:
    line: int
    channel_sku: str
    supplier_sku: str


def map_sku(db: Database, channel_sku: str, supplier_sku: str) -> Mapping:
    mapping = Mapping(0, channel_sku.strip(), supplier_sku.strip())
    with db.session() as session:
        problems = _check(session, [mapping])
        if problems:
            raise MappingRefused(problems)
        _store(session, [mapping])
    return mapping


def import_csv(db: Database, text: str) -> list[Mapping]:
    """Store every mapping of a CSV text, or none."""
    mappings, problems = parse_csv(text)
    with db.session() as session:
        problems += _check(session, mappings)
        if problems:
            raise MappingRefused(sorted(problems))
        _store(session, mappings)
    return mappings


def parse_csv(text: str) -> tuple[list[Mapping], list[tuple[int, str]]]:
    mappings: list[Mapping] = []
    problems: list[tuple[int, str]] = []
    reader = csv.reader(io.StringIO(text))
    try:
        for row in reader:
            line = reader.line_num
            cells = [c.strip() for c in row]
            if not any(cells) or cells[0].startswith("#"):
                continue
            if not mappings and not problems and tuple(c.lower() for c in cells) == HEADER:
                continue
            if len(cells) != 2:
                problems.append((line, f"expected 2 columns (channel_sku,supplier_sku), got {len(cells)}"))
                continue
            mappings.append(Mapping(line, cells[0], cells[1]))
    except csv.Error as exc:
        problems.append((reader.line_num, f"not readable as CSV ({exc})"))
    if not mappings and not problems:
        problems.append((0, "the file holds no mappings"))
    return mappings, problems


def _check(session: Session, mappings: list[Mapping]) -> list[tuple[int, str]]:
    problems: list[tuple[int, str]] = []
    first_line: dict[str, Mapping] = {}
    for m in mappings:
        for label, value in (("channel SKU", m.channel_sku), ("supplier SKU", m.supplier_sku)):
            if not value:
                problems.append((m.line, f"the {label} is empty"))
            elif len(value) > SKU_MAX:
                problems.append((m.line, f"the {label} is longer than {SKU_MAX} characters"))
            elif not value.isprintable():
                problems.append((m.line, f"the {label} holds control characters"))
        earlier = first_line.setdefault(m.channel_sku, m)
        if earlier is not m and earlier.supplier_sku != m.supplier_sku:
            problems.append((m.line, f"{m.channel_sku!r} is mapped on line {earlier.line} already"))
    problems += _unknown_at_supplier(session, mappings)
    return problems


def _unknown_at_supplier(session: Session, mappings: list[Mapping]) -> list[tuple[int, str]]:
    """Once the catalogue has been read, a mapping must point at a reference the supplier sells."""
    if session.scalar(select(SupplierProduct.id).limit(1)) is None:
        return []
    wanted = sorted({m.supplier_sku for m in mappings if m.supplier_sku})
    known: set[str] = set()
    for i in range(0, len(wanted), 500):
        known.update(session.scalars(select(SupplierProduct.sku).where(SupplierProduct.sku.in_(wanted[i : i + 500]))))
    return [(m.line, f"the supplier sells no {m.supplier_sku!r}") for m in mappings
            if m.supplier_sku and len(m.supplier_sku) <= SKU_MAX and m.supplier_sku not in known]


def _store(session: Session, mappings: list[Mapping]) -> None:
    rows = {m.channel_sku: {"sku": m.channel_sku, "supplier_sku": m.supplier_sku, "title": "", "source": MANUAL}
            for m in mappings}
    table = CatalogueItem.__table__
    values = list(rows.values())
    for i in range(0, len(values), 500):
        stmt = insert_for(session, table)  # type: ignore[arg-type]
        session.execute(stmt.on_conflict_do_update(
            index_elements=["sku"], set_={"supplier_sku": stmt.excluded.supplier_sku, "source": MANUAL},
        ), values[i : i + 500])
    refresh_costs(session)


def unmap_sku(db: Database, channel_sku: str) -> bool:
    """Drop an operator's mapping: the SKU goes back to the supplier's own reference of that name,
    when there is one, else out of the catalogue. False when the SKU had no operator's mapping."""
    channel_sku = channel_sku.strip()
    with db.session() as session:
        row = session.get(CatalogueItem, channel_sku)
        if row is None or row.source != MANUAL:
            return False
        product = session.scalar(select(SupplierProduct).where(SupplierProduct.sku == channel_sku).limit(1))
        if product is None:
            session.delete(row)
        else:
            row.supplier_sku, row.source, row.cost = channel_sku, SUPPLIER, product.cost
    return True
