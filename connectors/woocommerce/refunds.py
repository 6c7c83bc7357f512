"""Refunded units: WooCommerce leaves an order's line quantities as they were ordered.

The order body lists its refunds only as ``{id, reason, total}``; the units are in each refund's
own ``line_items`` (``GET /orders/<id>/refunds``), with a negative ``quantity`` and the order's
line id in the ``_refunded_item_id`` meta entry. A unit refunded must not be bought at the
supplier. What the connector read there is kept in the order's body as stored: each entry of
``refunds`` gets the ``line_items`` of its refund (id, SKU, name, quantity and the order line it
refunds), so that an after-sales order started from a refund takes its units.
"""

from __future__ import annotations

from collections import Counter
from decimal import Decimal, InvalidOperation
from typing import Any

from connectors.records import ChannelOrder, OrderLine
from connectors.refunds import ChannelRefund, RefundedLine
from connectors.storable import unstorable
from connectors.woocommerce.errors import WooParseError, describe

REFUNDED_ITEM = "_refunded_item_id"


def has_refunds(body: Any) -> bool:
    return isinstance(body, dict) and isinstance(body.get("refunds"), list) and bool(body["refunds"])


def refunded_units(refunds: Any) -> Counter[str]:
    """Units refunded per order line id; refund entries without ``line_items`` count nothing."""
    found: Counter[str] = Counter()
    if refunds is None:
        return found
    if not isinstance(refunds, list):
        raise describe("refunds", "is not a list")
    for i, refund in enumerate(refunds):
        items = refund.get("line_items") if isinstance(refund, dict) else None
        if items is None:
            continue
        if not isinstance(items, list):
            raise describe(f"refunds[{i}].line_items", "is not a list")
        for j, item in enumerate(items):
            line_id, units = _refunded_item(item, f"refunds[{i}].line_items[{j}]")
            if line_id is not None:
                found[line_id] += units
    return found


def _refunded_item(item: Any, field: str) -> tuple[str | None, int]:
    if not isinstance(item, dict):
        raise describe(field, "is not an object")
    quantity = item.get("quantity")
    if isinstance(quantity, float) and quantity.is_integer():
        quantity = int(quantity)
    if isinstance(quantity, bool) or not isinstance(quantity, int):
        raise describe(f"{field}.quantity", "is not a whole number")
    meta = item.get("meta_data")
    if not isinstance(meta, list):
        return None, 0
    for entry in meta:
        if isinstance(entry, dict) and entry.get("key") == REFUNDED_ITEM:
            value = entry.get("value")
            if isinstance(value, bool) or not isinstance(value, str | int):
                raise describe(f"{field}.meta_data", "names no order line")
            return (str(value).strip() or None), abs(quantity)
    return None, 0


def less_refunded(lines: list[OrderLine], refunds: Any) -> list[OrderLine]:
    units = refunded_units(refunds)
    if not units:
        return lines
    return [
        line.model_copy(update={"quantity": max(0, line.quantity - units[line.external_id or ""])})
        if line.external_id in units else line
        for line in lines
    ]


def apply_refunds(order: ChannelOrder, refunds: Any) -> ChannelOrder:
    """The order with the units of ``refunds`` (the refunds endpoint's answer) taken off, and those
    units kept in its body's ``refunds`` entries (``with_refunded_items``)."""
    raw = with_refunded_items(order.raw, refunds)
    if raw is not order.raw and (found := unstorable(raw)) is not None:
        # what the refunds added to the body is held to what the body itself was (the parser's check)
        raise WooParseError(f"{found[0] or 'order body'} {found[1]}")
    updated = order.model_copy(update={
        "lines": less_refunded(order.lines, refunds),
        "unshipped_lines": less_refunded(order.unshipped_lines, refunds),
        "raw": raw,
    })
    # the body changed: the store checks and serialises it again
    updated._store_checked, updated._raw_json = False, None
    return updated


def with_refunded_items(body: dict[str, Any], refunds: Any) -> dict[str, Any]:
    """The order body with each ``refunds`` entry given the ``line_items`` its refund's own body
    lists (only what names the units: id, sku, name, quantity, the refunded line's meta entry).
    The order body's entries never carry line items of their own, so the units are counted once
    whether the body is read as it came from the refunds endpoint or as stored."""
    listed = body.get("refunds")
    if not isinstance(listed, list) or not isinstance(refunds, list):
        return body
    by_id = {str(r.get("id")): r.get("line_items") for r in refunds
             if isinstance(r, dict) and isinstance(r.get("line_items"), list)}
    if not by_id:
        return body
    kept = []
    for entry in listed:
        items = by_id.get(str(entry.get("id"))) if isinstance(entry, dict) else None
        if items is None:
            kept.append(entry)
            continue
        kept.append({**entry, "line_items": [_units_of(item) for item in items if isinstance(item, dict)]})
    return {**body, "refunds": kept}


def _units_of(item: dict[str, Any]) -> dict[str, Any]:
    """Only values that can be stored as they are: a malformed field of a refund's line is dropped,
    not copied into the stored body (it would fail the store's checks and lose the whole order)."""
    meta = item.get("meta_data")
    refunded = [m.get("value") for m in (meta if isinstance(meta, list) else [])
                if isinstance(m, dict) and m.get("key") == REFUNDED_ITEM]
    value = refunded[0] if refunded else None
    kept_value = _plain(value) if isinstance(value, str | int) and not isinstance(value, bool) else None
    return {"id": _whole(item.get("id")), "sku": _plain(item.get("sku")), "name": _plain(item.get("name")),
            "quantity": _whole(item.get("quantity")),
            "meta_data": [{"key": REFUNDED_ITEM, "value": kept_value}] if kept_value is not None else []}


def _whole(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and abs(value) < 2**53 else None


def _plain(value: Any) -> str | None:
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or "\x00" in value:
        return None
    return value[:500]


def refunds_in(body: Any) -> list[ChannelRefund]:
    """The refunds an order body lists (``{id, reason, total}``, the total negative), with the units
    the connector read from the refunds endpoint when it kept them (``line_items``; else ``lines``
    is empty: the whole order). Entries that cannot be read are left out."""
    found = body.get("refunds") if isinstance(body, dict) else None
    if not isinstance(found, list):
        return []
    out = []
    for refund in found:
        if not isinstance(refund, dict) or isinstance(refund.get("id"), bool):
            continue
        try:
            amount = abs(Decimal(str(refund.get("total")).strip()))
        except InvalidOperation:
            continue
        if refund.get("id") is None or not amount.is_finite():
            continue
        out.append(ChannelRefund(external_id=str(refund["id"]), amount=amount, reason=str(refund.get("reason") or ""),
                                 lines=_refunded_lines(refund.get("line_items"))))
    return out


def _refunded_lines(items: Any) -> tuple[RefundedLine, ...]:
    """The units of one refund, as kept by ``with_refunded_items``; none when any cannot be read
    (part of the units would pass for all of them)."""
    if not isinstance(items, list):
        return ()
    lines = []
    for item in items:
        try:
            line_id, units = _refunded_item(item, "line_items")
        except WooParseError:
            return ()
        sku = item.get("sku")
        if units:
            lines.append(RefundedLine(sku=sku.strip() if isinstance(sku, str) and sku.strip() else None,
                                      quantity=units, line_external_id=line_id,
                                      title=str(item.get("name") or "")[:500]))
    return tuple(lines)
