"""Shopify GraphQL order nodes -> the same canonical records as the REST bodies.

The meanings are REST's (``parse`` and ``lines``): fulfilled orders, lines that ship, current
quantities lowered to what is still open. Only the field names and ids differ: GraphQL ids are
``gid://shopify/Order/123`` and the canonical id stays ``123``, so an order reads the same
whichever API (or webhook) brought it. Total like the REST parser: any input parses or raises
``ShopifyParseError`` naming the field, never its value.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import ValidationError

from connectors.records import Address, ChannelCustomer, ChannelOrder, OrderLine
from connectors.shopify.errors import ShopifyParseError
from connectors.shopify.fields import count, flag, moment, money, text
from connectors.shopify.lines import Lines, still_to_ship
from connectors.shopify.parse import PAYMENT_STATUS, describe, fits_store, storable_json, with_phone

_GID = re.compile(r"gid://shopify/(?P<kind>[A-Za-z]+)/(?P<id>[0-9]{1,20})(\?.*)?")
_CURRENCY = re.compile(r"[A-Z]{3}")
#: displayFulfillmentStatus -> the word the REST API uses for the same state
FULFILMENT_WORDS = {"FULFILLED": "fulfilled", "PARTIALLY_FULFILLED": "partial", "RESTOCKED": "restocked"}
FULFILLED = frozenset({"FULFILLED", "PARTIALLY_FULFILLED"})
_UNEXPECTED = (KeyError, TypeError, ValueError, ArithmeticError, AttributeError, RecursionError)


def gid_number(value: Any, path: str, kind: str) -> str:
    """The numeric id inside a ``gid://shopify/<kind>/<n>``: what REST and webhooks call ``id``."""
    match = _GID.fullmatch(value.strip()) if isinstance(value, str) else None
    if match is None or match.group("kind") != kind:
        raise ShopifyParseError(f"{path} is not a Shopify {kind} id")
    return match.group("id")


def gid(kind: str, number: str) -> str:
    return f"gid://shopify/{kind}/{number}"


def is_node(body: Any) -> bool:
    """A GraphQL order node (REST bodies have numeric ids)."""
    return isinstance(body, dict) and isinstance(body.get("id"), str) and body["id"].startswith("gid://shopify/Order/")


def order_nodes(data: Any) -> list[Any]:
    """The order nodes of a GraphQL answer's ``data``: ``orders`` (a page) or ``order`` (one)."""
    if isinstance(data, dict):
        if isinstance(data.get("orders"), dict):
            return nodes(data["orders"], "orders")
        if isinstance(data.get("order"), dict):
            return [data["order"]]
    raise ShopifyParseError('data is neither {"orders": {"nodes": [...]}} nor {"order": {...}}')


def parse_order(node: Any) -> ChannelOrder:
    if not isinstance(node, dict):
        raise ShopifyParseError("order node is not an object")
    try:
        return _order(node)
    except ShopifyParseError:
        raise
    except ValidationError as exc:
        raise ShopifyParseError(describe(exc)) from None
    except _UNEXPECTED as exc:  # no chaining: the cause may quote buyer data
        raise ShopifyParseError(f"order node could not be read ({type(exc).__name__})") from None


def gateway_of(names: Any) -> str | None:
    """The payment gateway's name ("manual", "Cash on Delivery (COD)", "Bank Deposit"): the newest
    of ``paymentGatewayNames``, as REST's ``payment_gateway_names``."""
    if isinstance(names, list) and names and isinstance(names[-1], str):
        return names[-1].strip()[:100] or None
    return None


def _order(node: dict[str, Any]) -> ChannelOrder:
    storable_json(node)
    external_id = gid_number(node.get("id"), "id", "Order")
    number = (text(node.get("name"), "name") or "").strip() or external_id
    cancelled_at = moment(node.get("cancelledAt"), "cancelledAt")
    fulfilment = (text(node.get("displayFulfillmentStatus"), "displayFulfillmentStatus") or "").upper()
    financial = text(node.get("displayFinancialStatus"), "displayFinancialStatus")
    payment = PAYMENT_STATUS.get(financial.strip().lower(), "unknown") if financial else "unknown"
    currency = (text(node.get("currencyCode"), "currencyCode") or "").strip()
    if not _CURRENCY.fullmatch(currency):
        raise ShopifyParseError("currencyCode is not a 3-letter code")
    updated_at = moment(node.get("updatedAt"), "updatedAt")
    if updated_at is None:
        raise ShopifyParseError("missing updatedAt")
    email = text(node.get("email"), "email")
    fulfilled = fulfilment in FULFILLED
    lines = read_lines(node.get("lineItems"), fulfilled=fulfilled)
    order = ChannelOrder(
        external_id=external_id,
        number=number,
        status="cancelled" if cancelled_at else FULFILMENT_WORDS.get(fulfilment, "open"),
        payment_status=payment,
        currency=currency,
        total=money(_shop_money(node.get("totalPriceSet"), "totalPriceSet", required=True), "totalPriceSet"),
        placed_at=moment(node.get("createdAt"), "createdAt"),
        updated_at=updated_at,
        shipping_address=with_phone(address(node.get("shippingAddress"), "shippingAddress", email),
                                    text(node.get("phone"), "phone")),
        billing_address=address(node.get("billingAddress"), "billingAddress", email),
        lines=lines.shipped,
        unshipped_lines=lines.unshipped,
        customer=customer(node.get("customer"), "customer"),
        cancelled=cancelled_at is not None,
        test=flag(node.get("test"), "test"),
        fulfilled_on_channel=fulfilled,
        payment_method=gateway_of(node.get("paymentGatewayNames")),
        raw=node,
    )
    fits_store(order)
    return order


def _shop_money(value: Any, path: str, *, required: bool = False) -> Any:
    shop = value.get("shopMoney") if isinstance(value, dict) else None
    amount = shop.get("amount") if isinstance(shop, dict) else None
    if amount is None and (required or value is not None):
        raise ShopifyParseError(f"missing {path}.shopMoney.amount")
    return amount


def nodes(value: Any, path: str) -> list[Any]:
    """A connection's ``nodes`` (or ``edges[].node``) as a list."""
    if value is None:
        return []
    if not isinstance(value, dict):
        raise ShopifyParseError(f"{path} is not a connection")
    if isinstance(value.get("nodes"), list):
        return list(value["nodes"])
    if isinstance(value.get("edges"), list):
        return [e.get("node") if isinstance(e, dict) else None for e in value["edges"]]
    raise ShopifyParseError(f"{path} has no nodes")


def has_next_page(value: Any) -> bool:
    info = value.get("pageInfo") if isinstance(value, dict) else None
    return isinstance(info, dict) and info.get("hasNextPage") is True


def read_lines(value: Any, *, fulfilled: bool) -> Lines:
    if has_next_page(value):
        # a partial list would forward part of the order as if it were all of it
        raise ShopifyParseError("lineItems is incomplete (more pages)")
    shipped: list[OrderLine] = []
    unshipped: list[OrderLine] = []
    for i, item in enumerate(nodes(value, "lineItems")):
        path = f"lineItems[{i}]"
        if not isinstance(item, dict):
            raise ShopifyParseError(f"{path} is not an object")
        current = item.get("currentQuantity")
        quantity = count(item.get("quantity") if current is None else current,
                         f"{path}.{'quantity' if current is None else 'currentQuantity'}")
        open_count = item.get("unfulfilledQuantity")
        line = OrderLine(
            sku=text(item.get("sku"), f"{path}.sku"),
            quantity=still_to_ship(quantity, None if open_count is None
                                   else count(open_count, f"{path}.unfulfilledQuantity"), fulfilled=fulfilled),
            unit_price=money(_shop_money(item.get("originalUnitPriceSet"), f"{path}.originalUnitPriceSet",
                                         required=True), f"{path}.originalUnitPriceSet"),
            title=text(item.get("name"), f"{path}.name") or text(item.get("title"), f"{path}.title") or "",
            external_id=gid_number(item.get("id"), f"{path}.id", "LineItem"),
        )
        ships = item.get("requiresShipping") is not False and not flag(item.get("isGiftCard"), f"{path}.isGiftCard")
        (shipped if ships else unshipped).append(line)
    return Lines(shipped, unshipped)


def address(value: Any, path: str, email: str | None = None) -> Address | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise ShopifyParseError(f"{path} is not an object")
    keys = ("firstName", "lastName", "company", "address1", "address2", "city", "zip", "province",
            "provinceCode", "countryCodeV2", "phone")
    fields = {key: text(value.get(key), f"{path}.{key}") for key in keys}
    if not any(v and v.strip() for v in fields.values()):
        return None
    return Address(
        first_name=fields["firstName"], last_name=fields["lastName"], company=fields["company"],
        address1=fields["address1"], address2=fields["address2"], city=fields["city"],
        region=fields["provinceCode"] or fields["province"], postcode=fields["zip"],
        country_code=fields["countryCodeV2"], phone=fields["phone"], email=email,
    )


def customer(value: Any, path: str) -> ChannelCustomer | None:
    if value is None:
        return None  # guest checkout, or the app may not read customers
    if not isinstance(value, dict):
        raise ShopifyParseError(f"{path} is not an object")
    default = address(value.get("defaultAddress"), f"{path}.defaultAddress")
    return ChannelCustomer(
        external_id=None if value.get("id") is None else gid_number(value["id"], f"{path}.id", "Customer"),
        email=text(value.get("email"), f"{path}.email"),
        phone=text(value.get("phone"), f"{path}.phone"),
        first_name=text(value.get("firstName"), f"{path}.firstName"),
        last_name=text(value.get("lastName"), f"{path}.lastName"),
        addresses=[default] if default is not None else [],
    )
