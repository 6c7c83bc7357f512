"""The lines of a messenger order: finding a product (by SKU, GTIN or title), adding many from a
pasted list, and changing the lines of an order not yet approved.

A list is read whole before anything is added: lines it cannot read and SKUs the catalogue does
not know are handed back with what was typed, never dropped. An edit is conditional on the
order's revision the editor saw (two editors: the second is told it lost) and on the order still
waiting; its history line says what changed."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from connectors.bigbuy.catalogue import gtin as as_gtin
from sync import messenger as m
from sync import messenger_fields as fields
from sync import payment_confirmation
from sync.messenger_models import MessengerOrder
from sync.models import CatalogueItem, Order, OrderLine, SupplierProduct, utcnow
from sync.payment_models import PaymentConfirmation
from sync.records import fingerprint
from sync.states import note
from sync.typed import digits

MAX_BULK_LINES = 200
_SEPARATOR = re.compile(r"\s*[,;\t]\s*|\s+")


@dataclass(frozen=True)
class Product:
    sku: str
    title: str
    gtin: str | None


def search_products(session: Session, term: str, limit: int = 20) -> list[Product]:
    """Catalogue entries whose SKU starts with ``term``, whose title contains it (any case), or whose
    product's GTIN is it (EAN-13, UPC-A, EAN-8 or GTIN-14, however many leading zeros)."""
    term = term.strip()[:100]
    if not term:
        return []
    code = as_gtin(term)
    matches = [CatalogueItem.sku.startswith(term, autoescape=True),
               CatalogueItem.title.icontains(term, autoescape=True)]
    if code is not None:
        matches.append(CatalogueItem.supplier_sku.in_(select(SupplierProduct.sku).where(SupplierProduct.gtin == code)))
    gtins = select(SupplierProduct.gtin).where(SupplierProduct.sku == CatalogueItem.supplier_sku,
                                               SupplierProduct.gtin.is_not(None)).limit(1).scalar_subquery()
    rows = session.execute(select(CatalogueItem.sku, CatalogueItem.title, gtins).where(or_(*matches))
                           .order_by(CatalogueItem.sku).limit(limit))
    return [Product(sku, title or "", g) for sku, title, g in rows]


@dataclass
class Bulk:
    """A pasted list read: the lines to add, and what could not be (each as typed, with why)."""

    lines: list[tuple[str, int]] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)


def read_bulk(session: Session, text: str) -> Bulk:
    """Lines of ``SKU,quantity``, ``SKU quantity`` or ``SKU<tab>quantity`` (a bare SKU is 1)."""
    found = Bulk()
    rows = [r.strip() for r in text.replace("\r", "\n").split("\n") if r.strip()]
    if len(rows) > MAX_BULK_LINES:
        raise fields.MessengerError(f"bulk: at most {MAX_BULK_LINES} lines at once", field="bulk")
    wanted: list[tuple[str, int, int, str]] = []
    refused: list[tuple[int, str]] = []
    for index, row in enumerate(rows):
        parts = [p for p in _SEPARATOR.split(row) if p]
        quantity = parts[1] if len(parts) > 1 else "1"
        if len(parts) > 2 or not digits(quantity) or not 1 <= int(quantity) <= 100000 or len(parts[0]) > 100:
            refused.append((index, f"{row[:120]} (not SKU,quantity)"))
            continue
        wanted.append((parts[0], int(quantity), index, row))
    known = set(session.scalars(select(CatalogueItem.sku).where(CatalogueItem.sku.in_({w[0] for w in wanted}))))
    for sku, quantity, index, row in wanted:
        if sku in known:
            found.lines.append((sku, quantity))
        else:
            refused.append((index, f"{row[:120]} (unknown SKU)"))
    found.refused = [said for _, said in sorted(refused)]
    return found


def _described(before: list[OrderLine], after: list[m.LineInput], prices: list[Decimal]) -> str:
    old = {ln.sku: ln for ln in before}
    new = {ln.sku.strip(): (ln, p) for ln, p in zip(after, prices, strict=True)}
    changes = [f"removed {sku}" for sku in old if sku not in new]
    for sku, (ln, price) in new.items():
        was = old.get(sku)
        if was is None:
            changes.append(f"added {sku} x{ln.quantity}")
            continue
        if was.quantity != ln.quantity:
            changes.append(f"{sku} quantity {was.quantity} -> {ln.quantity}")
        if Decimal(was.unit_price) != price:
            changes.append(f"{sku} unit price {was.unit_price} -> {price}")
        if was.weight != fields.weight(ln.weight):
            changes.append(f"{sku} weight {was.weight or '-'} -> {fields.weight(ln.weight) or '-'} kg")
    return "; ".join(changes) or "nothing changed"


def edit_lines(session: Session, order_id: int, lines: list[m.LineInput], *, seen_revision: int, actor: str,
               can_edit_prices: bool) -> int:
    """Replace the lines of an order still waiting. A line without a price keeps its price (or is
    priced by the lookup when new); a changed price needs "edit prices". Returns the new revision."""
    current = m.messenger_order(session, order_id)
    if current.state not in m.PENDING_STATES:
        raise fields.MessengerError(f"order {order_id} is {current.state}: its lines can no longer be edited")
    if not lines:
        raise fields.MessengerError("lines: an order needs at least one SKU", field="lines")
    if len({ln.sku.strip() for ln in lines}) != len(lines):
        raise fields.MessengerError("lines: each SKU once (change its quantity instead)", field="lines")
    order = session.get(Order, order_id)
    assert order is not None
    before = {ln.sku: ln for ln in order.lines}
    prices = [_price(session, ln, before.get(ln.sku.strip()), order.customer_id, can_edit_prices) for ln in lines]
    moved = session.execute(
        update(MessengerOrder).where(MessengerOrder.order_id == order_id, MessengerOrder.revision == seen_revision,
                                     MessengerOrder.state.in_(m.PENDING_STATES))
        .values(revision=seen_revision + 1).execution_options(synchronize_session=False)).rowcount  # type: ignore[attr-defined]
    if not moved:
        raise m.LostRace(order_id, "edited by someone else")
    said = _described(list(order.lines), lines, prices)
    was = Decimal(order.total)
    _replace(session, order, lines, prices, before)
    note(session, order_id, f"lines edited: {said}", actor=actor)
    if order.total > was:
        _confirm_again(session, order_id, was, Decimal(order.total), actor)
    return seen_revision + 1


def _confirm_again(session: Session, order_id: int, was: Decimal, now: Decimal, actor: str) -> None:
    """A payment confirmed early (before approval) covered the total as it was: once the total
    grows, the payment is to be confirmed again, or the order would be approved as paid."""
    reopened = session.execute(
        update(PaymentConfirmation).where(PaymentConfirmation.order_id == order_id,
                                          PaymentConfirmation.state == payment_confirmation.CONFIRMED)
        .values(state=payment_confirmation.PENDING, decided_by=None, decided_at=None, transaction_reference=None,
                reason=f"the total grew from {was} to {now} after the payment was confirmed")
        .execution_options(synchronize_session=False)).rowcount  # type: ignore[attr-defined]
    if reopened:
        payment_confirmation.forget(session, order_id)
        session.execute(update(Order).where(Order.id == order_id).values(payment_status="pending")
                        .execution_options(synchronize_session=False))
        note(session, order_id, f"payment to be confirmed again: the total grew from {was} to {now}", actor=actor)


def _price(session: Session, line: m.LineInput, was: OrderLine | None, customer_id: int | None,
           can_edit_prices: bool) -> Decimal:
    if was is not None and (line.unit_price is None or Decimal(line.unit_price) == Decimal(was.unit_price)):
        m.priced(session, m.LineInput(line.sku, line.quantity, Decimal(was.unit_price), weight=line.weight),
                 customer_id, True)  # the same checks; keeping a price needs no permission
        return Decimal(was.unit_price)
    return m.priced(session, line, customer_id, can_edit_prices)


def _replace(session: Session, order: Order, lines: list[m.LineInput], prices: list[Decimal],
             before: dict[str | None, OrderLine]) -> None:
    titles = [m.line_title(session, ln, before.get(ln.sku.strip())) for ln in lines]
    for old in list(order.lines):
        session.delete(old)
    session.flush()
    order.lines = [OrderLine(position=i, sku=ln.sku.strip(), quantity=ln.quantity, unit_price=price,
                             title=title, weight=fields.weight(ln.weight))
                   for i, (ln, price, title) in enumerate(zip(lines, prices, titles, strict=True))]
    order.total = sum((p * ln.quantity for ln, p in zip(lines, prices, strict=True)), Decimal(0))
    order.content_fingerprint = fingerprint(order.shipping_address, [(ln.sku.strip(), ln.quantity) for ln in lines])
    order.channel_updated_at = utcnow()
    session.flush()


def total_weight(lines: list[Any]) -> Decimal | None:
    """The order's weight in kg: the lines that have one (None when none has)."""
    weighed = [Decimal(ln.weight) * ln.quantity for ln in lines if ln.weight is not None]
    return sum(weighed, Decimal(0)) if weighed else None
