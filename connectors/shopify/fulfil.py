"""Planning fulfillments: shipment lines -> Shopify fulfillment-order line items.

Shopify fulfils *fulfillment orders* (one per assigned location), not orders: the ids to send are
those of ``GET /orders/{id}/fulfillment_orders.json``, and one fulfillment may only cover
fulfillment orders of a single location.
"""

from __future__ import annotations

from typing import Any

from connectors.records import OrderLine, Shipment
from connectors.shopify.errors import ShopifyParseError, ShopifyRequestFailed
from connectors.shopify.fields import count, ident, text

OPEN_STATUSES = frozenset({"open", "in_progress"})
#: lines in these will be fulfillable later (a hold is released, a schedule comes due)
WAITING_STATUSES = frozenset({"on_hold", "scheduled"})

Group = list[dict[str, Any]]


def wanted_quantities(lines: list[OrderLine], order_line_items: Any = None) -> dict[str, int]:
    """``{line_item_id: quantity}`` for the shipment's lines; lines without a channel id are
    matched by SKU against the order's line items."""
    by_sku: dict[str, str] = {}
    for item in order_line_items if isinstance(order_line_items, list) else []:
        if isinstance(item, dict) and isinstance(item.get("sku"), str) and "id" in item:
            by_sku.setdefault(item["sku"], ident(item["id"], "line_items.id"))
    wanted: dict[str, int] = {}
    for line in lines:
        key = line.external_id or (by_sku.get(line.sku) if line.sku else None)
        if key is None:
            # silently skipping would leave the line unfulfilled with nobody told
            raise ShopifyRequestFailed("a shipment line matches no Shopify line item")
        wanted[key] = wanted.get(key, 0) + line.quantity
    return wanted


def plan(fulfillment_orders: Any, wanted: dict[str, int] | None,
         statuses: frozenset[str] = OPEN_STATUSES) -> list[Group]:
    """One ``line_items_by_fulfillment_order`` list per location. ``wanted`` None: everything
    still fulfillable. An empty result means there is nothing left to fulfil."""
    if not isinstance(fulfillment_orders, list):
        raise ShopifyParseError("fulfillment_orders is not a list")
    left = dict(wanted) if wanted is not None else None
    groups: dict[str, Group] = {}
    for i, fo in enumerate(fulfillment_orders):
        path = f"fulfillment_orders[{i}]"
        if not isinstance(fo, dict):
            raise ShopifyParseError(f"{path} is not an object")
        if text(fo.get("status"), f"{path}.status") not in statuses:
            continue
        actions = fo.get("supported_actions")
        if statuses is OPEN_STATUSES and isinstance(actions, list) and actions \
                and "create_fulfillment" not in actions:
            continue  # e.g. held, or owned by a fulfillment service that is not us
        items = _items(fo.get("line_items"), path, left)
        if items:
            location = str(fo.get("assigned_location_id"))
            groups.setdefault(location, []).append(
                {"fulfillment_order_id": _numeric(fo.get("id"), f"{path}.id"),
                 "fulfillment_order_line_items": items}
            )
    return list(groups.values())


def not_ours(fulfillment_orders: Any, wanted: dict[str, int] | None) -> list[str]:
    """Ids of open fulfillment orders holding lines to ship that this app may not fulfil: they
    are assigned to a fulfilment service's location, and only that service (or a person in
    Shopify) can fulfil them."""
    if not isinstance(fulfillment_orders, list):
        return []
    left = dict(wanted) if wanted is not None else None
    found = []
    for i, fo in enumerate(fulfillment_orders):
        if not isinstance(fo, dict) or fo.get("status") not in OPEN_STATUSES:
            continue
        actions = fo.get("supported_actions")
        if isinstance(actions, list) and actions and "create_fulfillment" not in actions \
                and _items(fo.get("line_items"), f"fulfillment_orders[{i}]", left):
            found.append(str(fo.get("id")))
    return found


def retracked(fulfillments: Any, wanted: dict[str, int] | None, number: str) -> str | None:
    """The fulfillment whose tracking a later number replaces: the newest successful one holding
    the shipment's lines (any, when it names none), unless it carries the number already."""
    candidates = []
    for f in fulfillments if isinstance(fulfillments, list) else []:
        if not isinstance(f, dict) or f.get("status") != "success":
            continue
        lines = {str(li.get("id")) for li in f.get("line_items") or [] if isinstance(li, dict)}
        if wanted is None or set(wanted) & lines:
            candidates.append(f)
    if not candidates:
        return None
    newest = max(candidates, key=lambda f: str(f.get("created_at") or ""))
    numbers = newest.get("tracking_numbers") or [newest.get("tracking_number")]
    return None if number in numbers else ident(newest.get("id"), "fulfillments.id")


def _items(value: Any, path: str, left: dict[str, int] | None) -> list[dict[str, Any]]:
    if not isinstance(value, list):
        raise ShopifyParseError(f"{path}.line_items is not a list")
    items = []
    for j, item in enumerate(value):
        where = f"{path}.line_items[{j}]"
        if not isinstance(item, dict):
            raise ShopifyParseError(f"{where} is not an object")
        remaining = item.get("fulfillable_quantity", item.get("quantity"))
        quantity = count(remaining, f"{where}.fulfillable_quantity")
        if quantity == 0:
            continue
        if left is not None:
            line_item_id = ident(item.get("line_item_id"), f"{where}.line_item_id")
            quantity = min(quantity, left.get(line_item_id, 0))
            if quantity == 0:
                continue
            left[line_item_id] -= quantity
        items.append({"id": _numeric(item.get("id"), f"{where}.id"), "quantity": quantity})
    return items


def _numeric(value: Any, path: str) -> int | str:
    """Ids go back as Shopify gave them (integers), so the request reads like the docs'."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    return ident(value, path)


def tracking_info(shipment: Shipment) -> dict[str, str]:
    tracking = shipment.tracking
    info: dict[str, str] = {"number": tracking.number}
    if tracking.carrier:
        info["company"] = tracking.carrier
    if tracking.url:
        info["url"] = tracking.url
    return info


def request_body(group: Group, shipment: Shipment) -> dict[str, Any]:
    return {
        "fulfillment": {
            "line_items_by_fulfillment_order": group,
            "tracking_info": tracking_info(shipment),
            "notify_customer": shipment.notify_customer,
        }
    }
