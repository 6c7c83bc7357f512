"""The Shopify sandbox's ``POST /fulfillments.json``: fulfil lines of one location's fulfillment
orders, refused as Shopify refuses it (closed or cancelled fulfillment orders, two locations in one
call, more than is left to fulfil)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sandbox import seeding
from sandbox.server import Request, Response, json_response
from sandbox.shopify_render import FO_BASE, BadRequest, iso, render_fulfillment_orders, render_line

if TYPE_CHECKING:
    from sandbox.shopify import ShopifySandbox


def create_fulfillment(shop: ShopifySandbox, request: Request) -> Response:
    missing = {"fulfillment": "Required parameter missing or invalid"}
    try:
        payload = request.json()
    except (ValueError, UnicodeDecodeError):
        raise BadRequest(missing) from None
    body = payload.get("fulfillment") if isinstance(payload, dict) else None
    groups = body.get("line_items_by_fulfillment_order") if isinstance(body, dict) else None
    if not isinstance(body, dict) or not isinstance(groups, list) or not groups:
        raise BadRequest(missing)
    tracking = body.get("tracking_info") or {}
    notify = body.get("notify_customer", False)
    if not isinstance(tracking, dict) or not isinstance(notify, bool) or any(
            v is not None and not isinstance(v, str | int) for v in tracking.values()):
        raise BadRequest(["tracking_info and notify_customer are invalid"], 422)
    take: dict[int, int] = {}  # line id -> quantity
    spec, location = None, None
    for group in groups:
        fo_id = group.get("fulfillment_order_id") if isinstance(group, dict) else None
        fo, owner = find_fo(shop, fo_id)
        if fo is None or owner is None:
            raise BadRequest([f"Fulfillment order {fo_id} does not exist."], 422)
        if (spec and owner is not spec) or (location and fo["assigned_location_id"] != location):
            raise BadRequest(["All fulfillment orders must belong to the same location."], 422)
        spec, location = owner, fo["assigned_location_id"]
        if fo["status"] not in ("open", "in_progress"):
            raise BadRequest([f"Fulfillment order {fo_id} has an unfulfillable status= "
                               f"{fo['status']}."], 422)
        for line_id, quantity in _requested(group, fo).items():
            take[line_id] = take.get(line_id, 0) + quantity
    assert spec is not None
    remaining = {ln.line_id: ln.quantity - shop._fulfilled.get(ln.line_id, 0) for ln in spec.lines}
    if not take or any(q <= 0 or q > remaining.get(line, 0) for line, q in take.items()):
        raise BadRequest(["Invalid fulfillment order line item quantity requested."], 422)
    for line_id, quantity in take.items():
        shop._fulfilled[line_id] = shop._fulfilled.get(line_id, 0) + quantity
    at = shop.now()
    spec.updated_at = at  # Shopify touches the order when it is fulfilled
    own = shop._order_fulfillments.setdefault(spec.order_id, [])
    number = str(tracking["number"]) if tracking.get("number") is not None else None
    lines = {ln.line_id: ln for ln in spec.lines}
    fulfillment_id = 9_100_000_000 + len(shop.fulfillments) + 1
    record: dict[str, Any] = {
        "id": fulfillment_id, "order_id": spec.order_id,
        "status": "success", "created_at": iso(at), "updated_at": iso(at), "service": "manual",
        "location_id": location, "name": f"#{spec.number}.{len(own) + 1}",
        "tracking_company": tracking.get("company"), "tracking_number": number,
        "tracking_numbers": [number] if number else [], "tracking_url": tracking.get("url"),
        "tracking_urls": [tracking["url"]] if tracking.get("url") else [],
        "shipment_status": None, "notify_customer": notify, "origin_address": None, "receipt": {},
        "line_items": [{**render_line(lines[lid], spec.currency, shop._fulfilled), "quantity": q}
                       for lid, q in take.items()],
        "admin_graphql_api_id": f"gid://shopify/Fulfillment/{fulfillment_id}",
    }
    own.append(record)
    shop.fulfillments.append(record)
    return json_response({"fulfillment": record}, 201)


def find_fo(shop: ShopifySandbox, fo_id: Any) -> tuple[dict[str, Any] | None, seeding.OrderSpec | None]:
    """The fulfillment order ``fo_id`` names and the order it belongs to, if any."""
    if not isinstance(fo_id, int) or isinstance(fo_id, bool) or fo_id <= FO_BASE:
        return None, None
    spec = shop._specs.get((fo_id - FO_BASE) // 10)
    if spec is None:
        return None, None
    found = [fo for fo in render_fulfillment_orders(spec, shop._fulfilled) if fo["id"] == fo_id]
    return (found[0], spec) if found else (None, None)


def _requested(group: dict[str, Any], fo: dict[str, Any]) -> dict[int, int]:
    """Fulfillment-order line items asked for, as {order line id: quantity}; none listed: all."""
    by_id = {item["id"]: item for item in fo["line_items"]}
    items = group.get("fulfillment_order_line_items")
    if not items:
        return {i["line_item_id"]: i["fulfillable_quantity"] for i in by_id.values() if i["fulfillable_quantity"]}
    asked: dict[int, int] = {}
    for item in items if isinstance(items, list) else [None]:
        known = by_id.get(item.get("id")) if isinstance(item, dict) else None
        quantity = item.get("quantity") if isinstance(item, dict) else None
        if known is None or not isinstance(quantity, int) or isinstance(quantity, bool):
            raise BadRequest(["Invalid fulfillment order line item id or quantity."], 422)
        asked[known["line_item_id"]] = asked.get(known["line_item_id"], 0) + quantity
    return asked
