"""Orders API v0 bodies, for orders exported before the move to v2026-01-01: a bundle
``{"order": <getOrder payload>, "items": <getOrderItems payload>, "address": <getOrderAddress
payload>}`` (each with or without its ``{"payload": …}`` wrapper). v0 ``ItemPrice`` is the line's
total, so a unit price is ``ItemPrice / QuantityOrdered``."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from connectors.amazon.errors import AmazonParseError
from connectors.amazon.fields import ident, items, moment, money, obj, quantity, text
from connectors.amazon.reading import (
    V0_FULFILLED_BY,
    V0_STATUS,
    currency_of,
    customer,
    delivery_address,
    lines_total,
    standing,
    v0_keys,
)
from connectors.records import ChannelOrder, OrderLine
from connectors.storable import unstorable

_CENT = Decimal("0.01")


def unwrap_example(body: Any) -> Any:
    """The model's sandbox examples wrap the answer as ``{"request": …, "response": …}``."""
    if isinstance(body, dict) and set(body) == {"request", "response"}:
        return body["response"]
    return body


def _payload(value: Any, path: str) -> dict[str, Any]:
    block = obj(unwrap_example(value), path)
    return obj(block["payload"], f"{path}.payload") if "payload" in block else block


def is_bundle(body: dict[str, Any]) -> bool:
    """A v0 bundle's ``order`` is a v0 order; a v2026 ``getOrder`` body's has an ``orderId``."""
    order = body.get("order")
    return "orderId" not in body and isinstance(order, dict) and "orderId" not in order


def is_order(payload: dict[str, Any]) -> bool:
    """A v0 order, not one of the v0 answers about an order (its items, address, buyer)."""
    return "AmazonOrderId" in payload and "OrderStatus" in payload


def parse_bundle(body: dict[str, Any]) -> ChannelOrder:
    found = unstorable(body)
    if found is not None:
        raise AmazonParseError(f"{found[0] or 'order body'} {found[1]}")
    order = _payload(body["order"], "order")
    order_id = ident(order.get("AmazonOrderId"), "order.AmazonOrderId")
    item_list, address_block = _parts(body, order_id)
    updated_at = moment(order.get("LastUpdateDate"), "order.LastUpdateDate")
    if updated_at is None:
        raise AmazonParseError("missing order.LastUpdateDate")
    raw_status = text(order.get("OrderStatus"), "order.OrderStatus") or ""
    channel = text(order.get("FulfillmentChannel"), "order.FulfillmentChannel") or ""
    if channel not in V0_FULFILLED_BY:
        raise AmazonParseError("order.FulfillmentChannel is neither MFN nor AFN")
    stand = standing(V0_STATUS.get(raw_status, raw_status.upper()), V0_FULFILLED_BY[channel])
    priced = [_line(item, f"items.OrderItems[{i}]") for i, item in enumerate(item_list)]
    lines = [line for line, _ in priced]
    buyer = obj(order.get("BuyerInfo"), "order.BuyerInfo")
    email = text(buyer.get("BuyerEmail"), "order.BuyerInfo.BuyerEmail")
    shipping, notes = delivery_address(v0_keys(address_block, "address.ShippingAddress"),
                                       "address.ShippingAddress", email)
    order_total = order.get("OrderTotal")
    total, currency = (money(order_total, "order.OrderTotal") if order_total is not None
                       else (lines_total(lines), None))
    return ChannelOrder(
        external_id=order_id,
        number=order_id,
        status=stand.status,
        payment_status=stand.payment_status,
        currency=currency_of(currency, [c for _, c in priced],
                             text(order.get("MarketplaceId"), "order.MarketplaceId")),
        total=total,
        placed_at=moment(order.get("PurchaseDate"), "order.PurchaseDate"),
        updated_at=updated_at,
        shipping_address=shipping,
        lines=lines if stand.ships else [],
        unshipped_lines=[] if stand.ships else lines,
        customer=customer(email, text(buyer.get("BuyerName"), "order.BuyerInfo.BuyerName"), shipping),
        cancelled=stand.cancelled,
        fulfilled_on_channel=stand.fulfilled_on_channel,
        notes=notes,
        raw=body,
    )


def _parts(body: dict[str, Any], order_id: str) -> tuple[list[Any], Any]:
    """The items and the shipping address, checked to be the same order's."""
    order = _payload(body["order"], "order")
    item_list: list[Any] = []
    if body.get("items") is not None:
        payload = _payload(body["items"], "items")
        _same_order(payload, order_id, "items")
        item_list = items(payload.get("OrderItems"), "items.OrderItems")
    address_block = order.get("ShippingAddress")
    if body.get("address") is not None:
        payload = _payload(body["address"], "address")
        _same_order(payload, order_id, "address")
        address_block = payload.get("ShippingAddress", address_block)
    return item_list, address_block


def _same_order(payload: dict[str, Any], order_id: str, path: str) -> None:
    other = payload.get("AmazonOrderId")
    if other is not None and other != order_id:
        raise AmazonParseError(f"{path} belongs to another order than order.AmazonOrderId")


def _line(value: Any, path: str) -> tuple[OrderLine, str | None]:
    item = obj(value, path)
    count = quantity(item.get("QuantityOrdered"), f"{path}.QuantityOrdered")
    price = item.get("ItemPrice")
    line_total, currency = money(price, f"{path}.ItemPrice") if price is not None else (Decimal(0), None)
    # ItemPrice is the line's total; a unit price to the cent, as the store keeps it
    unit = (line_total / count).quantize(_CENT, rounding=ROUND_HALF_UP) if count else Decimal(0)
    line = OrderLine(
        sku=text(item.get("SellerSKU"), f"{path}.SellerSKU"),
        quantity=count,
        unit_price=unit,
        title=text(item.get("Title"), f"{path}.Title") or "",
        external_id=ident(item.get("OrderItemId"), f"{path}.OrderItemId"),
    )
    return line, currency
