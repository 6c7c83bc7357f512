"""Shopify line items -> canonical lines: how many of each are still to ship, and which ship at all.

A line's ``quantity`` is what was first ordered and never changes. ``current_quantity`` (newer API
versions) is that minus what an order edit removed or a refund took back; older versions have only
the refunds, in ``refunds[].refund_line_items``. ``fulfillable_quantity`` is what is still open
to fulfil: lower than the current count while the shop fulfils part elsewhere. Lines with
``requires_shipping: false`` and gift cards never go to a supplier.
"""

from __future__ import annotations

from collections import Counter
from typing import Any, NamedTuple

from connectors.records import OrderLine
from connectors.shopify.errors import ShopifyParseError
from connectors.shopify.fields import count, flag, ident, money, text


class Lines(NamedTuple):
    shipped: list[OrderLine]
    unshipped: list[OrderLine]


def read_lines(body: dict[str, Any], *, fulfilled: bool) -> Lines:
    value = body.get("line_items")
    if value is None:
        return Lines([], [])  # list endpoints may be asked for fewer fields
    if not isinstance(value, list):
        raise ShopifyParseError("line_items is not a list")
    refunded = refunded_quantities(body.get("refunds"))
    shipped: list[OrderLine] = []
    unshipped: list[OrderLine] = []
    for i, item in enumerate(value):
        path = f"line_items[{i}]"
        if not isinstance(item, dict):
            raise ShopifyParseError(f"{path} is not an object")
        line = _line(item, path, refunded, fulfilled=fulfilled)
        ships = item.get("requires_shipping") is not False and not flag(item.get("gift_card"), f"{path}.gift_card")
        (shipped if ships else unshipped).append(line)
    return Lines(shipped, unshipped)


def _line(item: dict[str, Any], path: str, refunded: Counter[str], *, fulfilled: bool) -> OrderLine:
    line_id = item.get("id")
    external_id = None if line_id is None else ident(line_id, f"{path}.id")
    title = text(item.get("name"), f"{path}.name") or text(item.get("title"), f"{path}.title")
    return OrderLine(
        sku=text(item.get("sku"), f"{path}.sku"),
        quantity=to_ship(item, path, refunded[external_id or ""], fulfilled=fulfilled),
        unit_price=money(item.get("price"), f"{path}.price"),
        title=title or "",
        external_id=external_id,
    )


def to_ship(item: dict[str, Any], path: str, refunded: int, *, fulfilled: bool) -> int:
    ordered = count(item.get("quantity"), f"{path}.quantity")
    if item.get("current_quantity") is not None:
        current = count(item["current_quantity"], f"{path}.current_quantity")
    else:
        current = max(0, ordered - refunded)
    open_count = None
    if item.get("fulfillable_quantity") is not None:
        open_count = count(item["fulfillable_quantity"], f"{path}.fulfillable_quantity")
    return still_to_ship(current, open_count, fulfilled=fulfilled)


def still_to_ship(current: int, open_count: int | None, *, fulfilled: bool) -> int:
    """What a line still asks of the supplier: its current count, lowered while the shop has not
    fulfilled anything to what is still open (the rest is fulfilled elsewhere)."""
    # Once the shop fulfils (our own tracking push included) the open count falls to 0; reading it
    # then would look like an edit of an order already sent, so it only counts before that.
    if not fulfilled and open_count is not None:
        return min(current, open_count)
    return current


def refunded_quantities(refunds: Any) -> Counter[str]:
    """Units refunded per line id, over every refund of the order."""
    found: Counter[str] = Counter()
    if refunds is None or (refunds.__class__ is list and not refunds):  # most orders: none
        return found
    if not isinstance(refunds, list):
        raise ShopifyParseError("refunds is not a list")
    for i, refund in enumerate(refunds):
        items = refund.get("refund_line_items") if isinstance(refund, dict) else None
        if items is None:
            continue
        if not isinstance(items, list):
            raise ShopifyParseError(f"refunds[{i}].refund_line_items is not a list")
        for j, item in enumerate(items):
            path = f"refunds[{i}].refund_line_items[{j}]"
            if not isinstance(item, dict):
                raise ShopifyParseError(f"{path} is not an object")
            line_id = ident(item.get("line_item_id"), f"{path}.line_item_id")
            found[line_id] += count(item.get("quantity"), f"{path}.quantity")
    return found
