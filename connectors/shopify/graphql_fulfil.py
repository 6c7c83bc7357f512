"""Planning ``fulfillmentCreate`` on an order's fulfillment orders, and finding the fulfillment a
corrected tracking number belongs to.

The rules are REST's (``fulfil``): only fulfillment orders that are open and offer
``CREATE_FULFILLMENT`` are fulfilled, one location per fulfillment; lines without a channel id are
matched by SKU. What GraphQL adds is saying *why* wanted lines cannot be fulfilled: on hold or
scheduled (later) or held by a fulfilment service (never by us), so neither is taken for done.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from connectors.records import OrderLine, Shipment
from connectors.shopify.errors import ShopifyParseError
from connectors.shopify.fields import count, text
from connectors.shopify.fulfil import wanted_quantities
from connectors.shopify.graphql_parse import gid_number, nodes

OPEN = frozenset({"OPEN", "IN_PROGRESS"})
WAITING = frozenset({"ON_HOLD", "SCHEDULED"})

Group = list[dict[str, Any]]


@dataclass
class Plan:
    groups: list[Group] = field(default_factory=list)
    #: wanted lines sit on fulfillment orders on hold or scheduled
    waiting: bool = False
    #: wanted lines sit on open fulfillment orders this app cannot fulfil (a fulfilment service's)
    elsewhere: bool = False


@dataclass
class _Item:
    fo_gid: str
    item_gid: str
    line_id: str
    sku: str | None
    remaining: int


def _read(fulfillment_orders: list[Any]) -> list[tuple[dict[str, Any], str, list[_Item]]]:
    read = []
    for i, fo in enumerate(fulfillment_orders):
        path = f"fulfillmentOrders[{i}]"
        if not isinstance(fo, dict):
            raise ShopifyParseError(f"{path} is not an object")
        fo_gid = text(fo.get("id"), f"{path}.id") or ""
        gid_number(fo_gid, f"{path}.id", "FulfillmentOrder")
        items = []
        for j, item in enumerate(nodes(fo.get("lineItems"), f"{path}.lineItems")):
            where = f"{path}.lineItems[{j}]"
            if not isinstance(item, dict):
                raise ShopifyParseError(f"{where} is not an object")
            line = item.get("lineItem")
            if not isinstance(line, dict):
                line = {}
            item_gid = text(item.get("id"), f"{where}.id") or ""
            gid_number(item_gid, f"{where}.id", "FulfillmentOrderLineItem")
            items.append(_Item(fo_gid, item_gid, gid_number(line.get("id"), f"{where}.lineItem.id", "LineItem"),
                               text(line.get("sku"), f"{where}.lineItem.sku"),
                               count(item.get("remainingQuantity"), f"{where}.remainingQuantity")))
        read.append((fo, (text(fo.get("status"), f"{path}.status") or "").upper(), items))
    return read


def wanted(lines: list[OrderLine], fulfillment_orders: list[Any]) -> dict[str, int] | None:
    """``{line item id: quantity}`` for the shipment's lines; None for the whole order."""
    if not lines:
        return None
    known = [{"id": item.line_id, "sku": item.sku} for _, _, items in _read(fulfillment_orders) for item in items]
    return wanted_quantities(lines, known)


def _can_create(fo: dict[str, Any]) -> bool:
    actions = fo.get("supportedActions")
    if not isinstance(actions, list):
        return False
    return any(isinstance(a, dict) and a.get("action") == "CREATE_FULFILLMENT" for a in actions)


def _location(fo: dict[str, Any]) -> str:
    assigned = fo.get("assignedLocation")
    location = assigned.get("location") if isinstance(assigned, dict) else None
    return str(location.get("id")) if isinstance(location, dict) else ""


def _take(items: list[_Item], left: dict[str, int] | None) -> list[dict[str, Any]]:
    taken = []
    for item in items:
        quantity = item.remaining if left is None else min(item.remaining, left.get(item.line_id, 0))
        if quantity <= 0:
            continue
        if left is not None:
            left[item.line_id] -= quantity
        taken.append({"id": item.item_gid, "quantity": quantity})
    return taken


def plan(fulfillment_orders: list[Any], want: dict[str, int] | None) -> Plan:
    result = Plan()
    left = dict(want) if want is not None else None
    groups: dict[str, Group] = {}
    rest: list[tuple[str, list[_Item], bool]] = []
    for fo, status, items in _read(fulfillment_orders):
        if status in OPEN and _can_create(fo):
            taken = _take(items, left)
            if taken:
                groups.setdefault(_location(fo), []).append(
                    {"fulfillmentOrderId": items[0].fo_gid if items else fo["id"],
                     "fulfillmentOrderLineItems": taken})
        elif status in OPEN or status in WAITING:
            rest.append((status, items, status in WAITING))
    result.groups = list(groups.values())
    for _status, items, waiting in rest:
        if _take(items, left):  # wanted lines that remain on this one
            if waiting:
                result.waiting = True
            else:
                result.elsewhere = True
    return result


def tracking_input(shipment: Shipment) -> dict[str, str]:
    tracking = shipment.tracking
    info = {"number": tracking.number}
    if tracking.carrier:
        info["company"] = tracking.carrier
    if tracking.url:
        info["url"] = tracking.url
    return info


def create_input(group: Group, shipment: Shipment) -> dict[str, Any]:
    return {"lineItemsByFulfillmentOrder": group, "trackingInfo": tracking_input(shipment),
            "notifyCustomer": shipment.notify_customer}


@dataclass
class Fulfillment:
    gid: str
    numbers: list[str]
    lines: dict[str, int]


def fulfillments(value: Any) -> list[Fulfillment]:
    """The order's successful fulfillments (cancelled ones carry no live tracking)."""
    if not isinstance(value, list):
        raise ShopifyParseError("fulfillments is not a list")
    found = []
    for i, item in enumerate(value):
        path = f"fulfillments[{i}]"
        if not isinstance(item, dict):
            raise ShopifyParseError(f"{path} is not an object")
        if (text(item.get("status"), f"{path}.status") or "").upper() != "SUCCESS":
            continue
        fid = text(item.get("id"), f"{path}.id") or ""
        gid_number(fid, f"{path}.id", "Fulfillment")
        infos = item.get("trackingInfo")
        if not isinstance(infos, list):
            infos = []
        numbers = [str(t.get("number")) for t in infos if isinstance(t, dict) and t.get("number")]
        lines: dict[str, int] = {}
        for j, node in enumerate(nodes(item.get("fulfillmentLineItems"), f"{path}.fulfillmentLineItems")):
            line = node.get("lineItem") if isinstance(node, dict) else None
            line_id = gid_number(line.get("id") if isinstance(line, dict) else None,
                                 f"{path}.fulfillmentLineItems[{j}].lineItem.id", "LineItem")
            lines[line_id] = lines.get(line_id, 0) + count(node.get("quantity"), f"{path}.quantity")
        found.append(Fulfillment(fid, numbers, lines))
    return found


def to_correct(found: list[Fulfillment], want: dict[str, int] | None, number: str) -> Fulfillment | None:
    """The one fulfillment that shipped the shipment's lines under another tracking number.

    None when the number is already there (nothing to do) or when no single fulfillment is
    clearly the shipment's (guessing would overwrite another parcel's tracking)."""
    candidates = found if want is None else [f for f in found if set(want) <= set(f.lines)]
    if any(number in f.numbers for f in candidates) or len(candidates) != 1:
        return None
    return candidates[0]
