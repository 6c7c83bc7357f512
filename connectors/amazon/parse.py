"""Amazon order bodies -> canonical records: Orders API v2026-01-01 (``getOrder``'s
``{"order": …}``, ``searchOrders``' ``{"orders": […]}``) and, for orders exported before the
migration, v0 bodies (see ``legacy``).

Total by design: any input either parses or raises ``AmazonParseError``; messages name the
field and never its value (values are buyer data).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from pydantic import ValidationError

from connectors.amazon import legacy
from connectors.amazon.errors import AmazonParseError
from connectors.amazon.fields import ident, items, moment, money, obj, quantity, text
from connectors.amazon.reading import (
    currency_of,
    customer,
    delivery_address,
    lines_total,
    standing,
)
from connectors.records import ChannelOrder, OrderLine
from connectors.storable import too_large, unstorable

_UNEXPECTED = (KeyError, TypeError, ValueError, ArithmeticError, AttributeError, RecursionError)


def order_bodies(body: Any) -> list[Any]:
    """One body per order. v0 bodies become bundles (``{"order": …}`` with its items and address
    when given), so ``parse_order`` tells the two shapes apart by ``orderId``."""
    body = legacy.unwrap_example(body)
    if isinstance(body, dict):
        if isinstance(body.get("orders"), list):
            return list(body["orders"])
        order = body.get("order")
        if isinstance(order, dict):
            return [body] if legacy.is_bundle(body) else [order]
        payload = body.get("payload")
        if isinstance(payload, dict):
            if isinstance(payload.get("Orders"), list):
                return [{"order": one} for one in payload["Orders"]]
            if legacy.is_order(payload):
                return [{"order": payload}]
    raise AmazonParseError('body is neither {"order": {...}}, {"orders": [...]} nor a v0 order bundle')


def parse_order(body: Any) -> ChannelOrder:
    if not isinstance(body, dict):
        raise AmazonParseError("order body is not an object")
    try:
        order = legacy.parse_bundle(body) if legacy.is_bundle(body) else _order(body)
        fits_store(order)
        return order
    except AmazonParseError:
        raise
    except ValidationError as exc:
        raise AmazonParseError(describe(exc)) from None
    # no chaining: the cause may quote buyer data
    except _UNEXPECTED as exc:
        raise AmazonParseError(f"order body could not be read ({type(exc).__name__})") from None


def _order(body: dict[str, Any]) -> ChannelOrder:
    storable_json(body)
    order_id = ident(body.get("orderId"), "orderId")
    updated_at = moment(body.get("lastUpdatedTime"), "lastUpdatedTime")
    if updated_at is None:
        raise AmazonParseError("missing lastUpdatedTime")
    fulfillment = obj(body.get("fulfillment"), "fulfillment")
    by = (text(fulfillment.get("fulfilledBy"), "fulfillment.fulfilledBy") or "").strip().upper()
    if not by:
        raise AmazonParseError("missing fulfillment.fulfilledBy (ask with includedData=FULFILLMENT)")
    status = (text(fulfillment.get("fulfillmentStatus"), "fulfillment.fulfillmentStatus") or "").strip().upper()
    stand = standing(status, by)
    priced = [_line(item, f"orderItems[{i}]") for i, item in enumerate(items(body.get("orderItems"), "orderItems"))]
    lines = [line for line, _ in priced]
    buyer = obj(body.get("buyer"), "buyer")
    email = text(buyer.get("buyerEmail"), "buyer.buyerEmail")
    recipient = obj(body.get("recipient"), "recipient")
    shipping, notes = delivery_address(recipient.get("deliveryAddress"), "recipient.deliveryAddress", email)
    grand = obj(body.get("proceeds"), "proceeds").get("grandTotal")
    total, currency = money(grand, "proceeds.grandTotal") if grand is not None else (lines_total(lines), None)
    marketplace = text(obj(body.get("salesChannel"), "salesChannel").get("marketplaceId"),
                       "salesChannel.marketplaceId")
    return ChannelOrder(
        external_id=order_id,
        number=order_id,
        status=stand.status,
        payment_status=stand.payment_status,
        currency=currency_of(currency, [c for _, c in priced], marketplace),
        total=total,
        placed_at=moment(body.get("createdTime"), "createdTime"),
        updated_at=updated_at,
        shipping_address=shipping,
        lines=lines if stand.ships else [],
        unshipped_lines=[] if stand.ships else lines,
        customer=customer(email, text(buyer.get("buyerName"), "buyer.buyerName"), shipping),
        cancelled=stand.cancelled,
        fulfilled_on_channel=stand.fulfilled_on_channel,
        notes=notes,
        raw=body,
    )


def _line(value: Any, path: str) -> tuple[OrderLine, str | None]:
    item = obj(value, path)
    product = obj(item.get("product"), f"{path}.product")
    unit_price = obj(product.get("price"), f"{path}.product.price").get("unitPrice")
    # pending orders may carry no price yet
    unit, currency = (money(unit_price, f"{path}.product.price.unitPrice") if unit_price is not None
                      else (Decimal(0), None))
    line = OrderLine(
        sku=text(product.get("sellerSku"), f"{path}.product.sellerSku"),
        quantity=quantity(item.get("quantityOrdered"), f"{path}.quantityOrdered"),
        unit_price=unit,
        title=text(product.get("title"), f"{path}.product.title") or "",
        external_id=ident(item.get("orderItemId"), f"{path}.orderItemId"),
    )
    return line, currency


def describe(exc: ValidationError) -> str:
    """Locations and error kinds only: pydantic's own text quotes the input."""
    parts = []
    for error in exc.errors(include_url=False, include_input=False, include_context=False)[:3]:
        loc = error.get("loc", ())
        parts.append(f"{'.'.join(str(p) for p in loc) or 'order'}: {error.get('type', 'invalid')}")
    return "invalid " + "; ".join(parts)


def storable_json(body: Any) -> None:
    found = unstorable(body)
    if found is not None:
        raise AmazonParseError(f"{found[0] or 'order body'} {found[1]}")


def fits_store(order: ChannelOrder) -> None:
    found = too_large(order)
    if found is not None:
        raise AmazonParseError(f"{found[0]} {found[1]}")
