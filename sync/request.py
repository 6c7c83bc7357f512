"""What the supplier is sent for an order: the one place that builds it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from connectors.records import SupplierAddress, SupplierLine, SupplierOrderRequest
from sync.models import CatalogueItem, Order, OrderLine, SupplierOrderRow
from sync.records import to_channel_order
from validation.delivery import (
    address_line,
    delivery_email,
    delivery_phone,
    normalise_postcode,
)


@dataclass(frozen=True)
class Placed:
    """One supplier order already made for an order (a ``supplier_orders`` row, as the forward
    path reads it: once per claim, for the account, the reference, the sent lines and a manual mark)."""

    supplier_id: int
    internal_reference: str
    source: str
    skus: list[str]


def placed(session: Session, order_id: int) -> list[Placed]:
    rows = session.execute(select(SupplierOrderRow.supplier_id, SupplierOrderRow.internal_reference,
                                  SupplierOrderRow.source, SupplierOrderRow.skus)
                           .where(SupplierOrderRow.order_id == order_id).order_by(SupplierOrderRow.id))
    return [Placed(r.supplier_id, r.internal_reference, r.source, list(r.skus or [])) for r in rows]


def remaining_lines(session: Session, order: Order, *, mapping: dict[str, str] | None = None,
                    made: Sequence[Placed] | None = None) -> list[OrderLine]:
    """Lines not already at the supplier (after a partial create, only the rest is sent).
    ``mapping`` and ``made``: what the caller already read in this transaction."""
    if mapping is None:
        mapping = supplier_skus(session, [ln.sku for ln in order.lines if ln.sku])
    done = {sku for row in (placed(session, order.id) if made is None else made) for sku in row.skus}
    return [ln for ln in order.lines if ln.quantity > 0 and mapping.get(ln.sku or "", ln.sku) not in done]


def submission_reference(session: Session, order: Order, made: Sequence[Placed] | None = None) -> str:
    """The order's own reference the first time; ``<ref>-2``, ``-3``... for what a partial create
    left over, so the supplier's duplicate-reference guard never refuses the remainder."""
    used = {row.internal_reference for row in (placed(session, order.id) if made is None else made)}
    if not used:
        return order.internal_reference
    return f"{order.internal_reference}-{len(used) + 1}"


def supplier_skus(session: Session, skus: list[str]) -> dict[str, str]:
    if not skus:
        return {}
    rows = session.execute(select(CatalogueItem.sku, CatalogueItem.supplier_sku).where(CatalogueItem.sku.in_(skus)))
    return {sku: supplier_sku for sku, supplier_sku in rows}


def build_request(session: Session, order: Order, reference: str, lines: list[OrderLine], *,
                  mapping: dict[str, str] | None = None) -> SupplierOrderRequest:
    record = to_channel_order(order)
    addr = record.shipping_address
    assert addr is not None, "an order without an address never reaches ready"
    if mapping is None:
        mapping = supplier_skus(session, [ln.sku for ln in lines if ln.sku])
    supplier_settings = order.channel.settings or {}
    carriers = [order.carrier] if order.carrier else list(supplier_settings.get("carriers") or [])
    return SupplierOrderRequest(
        internal_reference=reference,
        address=SupplierAddress(
            first_name=addr.first_name or "",
            last_name=addr.last_name or "",
            country_code=addr.country_code or "",
            postcode=normalise_postcode(addr.country_code or "", addr.postcode or ""),
            city=addr.city or "",
            address=address_line(addr),
            phone=delivery_phone(record) or "",
            email=delivery_email(record),
            company=addr.company,
        ),
        lines=[SupplierLine(supplier_sku=mapping.get(ln.sku or "", ln.sku or ""), quantity=ln.quantity)
               for ln in lines],
        carriers=carriers,
        language=str(supplier_settings.get("language") or "en"),
    )
