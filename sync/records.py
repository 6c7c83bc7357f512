"""Between canonical records and rows: one place that knows both shapes."""

from __future__ import annotations

import hashlib
import json
from decimal import Decimal
from typing import Any

from connectors.records import Address, ChannelCustomer, ChannelOrder, OrderLine
from sync.models import Order

_SORTED = json.JSONEncoder(sort_keys=True).encode  # json.dumps(sort_keys=True), built once


def internal_reference(channel_id: int, external_id: str, prefix: str = "OH") -> str:
    """Deterministic per channel order, so a retry always asks about the same reference; the
    installation's ``prefix`` keeps another installation's references apart."""
    ref = f"{prefix}{channel_id}-{external_id}"
    if len(ref) <= 40:
        return ref
    return f"{prefix}{channel_id}-" + hashlib.sha256(external_id.encode()).hexdigest()[:24]


def address_dict(address: Address | None) -> dict[str, Any] | None:
    """The address as JSON data: every field of ``Address`` is text or None, so its values as they
    are (``model_dump(mode="json")`` gives the same, at ten times the cost)."""
    if address is None:
        return None
    if address.__class__ is Address:
        return dict(address.__dict__)
    return address.model_dump(mode="json")


def fingerprint(address: dict[str, Any] | None, lines: list[tuple[str | None, int]]) -> str:
    """What the supplier would be sent: a change here after forwarding needs an operator."""
    data = {"address": address or {}, "lines": sorted((sku or "", qty) for sku, qty in lines)}
    return hashlib.sha256(_SORTED(data).encode()).hexdigest()[:32]


def order_fingerprint(order: ChannelOrder) -> str:
    return fingerprint(address_dict(order.shipping_address), [(ln.sku, ln.quantity) for ln in order.lines])


def customer_key(customer: ChannelCustomer | None, order: ChannelOrder) -> str | None:
    """A customer is keyed by the channel's id, or by e-mail for guests."""
    if customer is not None and customer.external_id:
        return customer.external_id
    email = (customer.email if customer else None) or (
        order.shipping_address.email if order.shipping_address else None
    ) or (order.billing_address.email if order.billing_address else None)
    return f"email:{email.strip().lower()}" if email else None


def to_channel_order(row: Order) -> ChannelOrder:
    """The order as the engine sees it now: the channel's version with an operator's edits."""
    return ChannelOrder(
        external_id=row.external_id,
        number=row.number,
        status=row.channel_status,
        payment_status=row.payment_status,  # type: ignore[arg-type]
        currency=row.currency,
        total=Decimal(row.total),
        placed_at=row.placed_at,
        updated_at=row.channel_updated_at,
        shipping_address=Address(**row.shipping_address) if row.shipping_address else None,
        billing_address=Address(**row.billing_address) if row.billing_address else None,
        lines=[
            OrderLine(
                sku=ln.sku,
                quantity=ln.quantity,
                unit_price=Decimal(ln.unit_price),
                title=ln.title,
                external_id=ln.external_id,
            )
            for ln in row.lines
        ],
        cancelled=row.cancelled_on_channel,
        test=row.is_test,
    )
