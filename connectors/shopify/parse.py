"""Shopify REST order bodies -> canonical records.

Total by design: any input either parses or raises ``ShopifyParseError``, because bodies come
from outside and one bad order must land in quarantine, not stop a page. Messages name the field
and never its value (values are buyer data).
"""

from __future__ import annotations

import math
import re
from datetime import datetime
from decimal import Decimal
from typing import Any

from pydantic import ValidationError

from connectors.records import (
    Address,
    ChannelCustomer,
    ChannelOrder,
    OrderLine,
    PaymentStatus,
    as_utc,
)
from connectors.shopify.errors import ShopifyParseError
from connectors.storable import too_large, unstorable

PAYMENT_STATUS: dict[str, PaymentStatus] = {
    "pending": "pending",
    "authorized": "authorized",
    # part of the money is still missing: must not count as paid
    "partially_paid": "pending",
    "paid": "paid",
    "partially_refunded": "partially_refunded",
    "refunded": "refunded",
    "voided": "voided",
    # the authorization lapsed, so no money will come: as final as a void
    "expired": "voided",
}

_MONEY = re.compile(r"-?[0-9]{1,15}(\.[0-9]{1,10})?")
_CURRENCY = re.compile(r"[A-Za-z]{3}")
_UNEXPECTED = (KeyError, TypeError, ValueError, ArithmeticError, AttributeError, RecursionError)
_ADDRESS_FIELDS = ("first_name", "last_name", "company", "address1", "address2", "city", "zip",
                   "province", "province_code", "country_code", "phone")


def parse_order(body: Any) -> ChannelOrder:
    if not isinstance(body, dict):
        raise ShopifyParseError("order body is not an object")
    try:
        return _order(body)
    except ShopifyParseError:
        raise
    except ValidationError as exc:
        raise ShopifyParseError(describe(exc)) from None
    # the explicit checks below should leave nothing to reach here; this keeps the promise
    # "only ShopifyParseError" if one was missed. No chaining: the cause may quote buyer data.
    except _UNEXPECTED as exc:
        raise ShopifyParseError(f"order body could not be read ({type(exc).__name__})") from None


def order_bodies(body: Any) -> list[Any]:
    if isinstance(body, dict):
        if isinstance(body.get("orders"), list):
            return list(body["orders"])
        if isinstance(body.get("order"), dict):
            return [body["order"]]
    raise ShopifyParseError('body is neither {"order": {...}} nor {"orders": [...]}')


def describe(exc: ValidationError) -> str:
    """Locations and error kinds only: pydantic's own text quotes the input."""
    parts = []
    for error in exc.errors(include_url=False, include_input=False, include_context=False)[:3]:
        loc = error.get("loc", ())
        where = "raw" if loc and loc[0] == "raw" else ".".join(str(p) for p in loc)
        parts.append(f"{where or 'order'}: {error.get('type', 'invalid')}")
    return "invalid " + "; ".join(parts)


def _order(body: dict[str, Any]) -> ChannelOrder:
    storable_json(body)
    external_id = ident(_required(body, "id", "id"), "id")
    name = (text(body.get("name"), "name") or "").strip()
    number = name or ident(_required(body, "order_number", "name"), "order_number")
    cancelled_at = moment(body.get("cancelled_at"), "cancelled_at")
    fulfillment_status = text(body.get("fulfillment_status"), "fulfillment_status")
    financial = text(body.get("financial_status"), "financial_status")
    payment = PAYMENT_STATUS.get(financial.strip().lower(), "unknown") if financial else "unknown"
    currency = text(_required(body, "currency", "currency"), "currency") or ""
    if not _CURRENCY.fullmatch(currency.strip()):
        raise ShopifyParseError("currency is not a 3-letter code")
    updated_at = moment(body.get("updated_at"), "updated_at")
    if updated_at is None:
        raise ShopifyParseError("missing updated_at")
    email = text(body.get("email"), "email") or text(body.get("contact_email"), "contact_email")
    order = ChannelOrder(
        external_id=external_id,
        number=number,
        status="cancelled" if cancelled_at else (fulfillment_status or "open"),
        payment_status=payment,
        currency=currency.strip(),
        total=money(_required(body, "total_price", "total_price"), "total_price"),
        placed_at=moment(body.get("created_at"), "created_at"),
        updated_at=updated_at,
        shipping_address=address(body.get("shipping_address"), "shipping_address", email),
        billing_address=address(body.get("billing_address"), "billing_address", email),
        lines=_lines(body.get("line_items")),
        customer=customer(body.get("customer"), "customer"),
        cancelled=cancelled_at is not None,
        test=flag(body.get("test"), "test"),
        raw=body,
    )
    fits_store(order)
    return order


def _required(body: dict[str, Any], key: str, label: str) -> Any:
    value = body.get(key)
    if value is None:
        raise ShopifyParseError(f"missing {label}")
    return value


def text(value: Any, path: str) -> str | None:
    if value is None or isinstance(value, str):
        return value
    raise ShopifyParseError(f"{path} is not a string")


def ident(value: Any, path: str) -> str:
    # Shopify ids are integers; digit strings are taken too, so re-serialised bodies still read
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, str) and value.strip() and len(value) <= 100:
        return value.strip()
    raise ShopifyParseError(f"{path} is not an id")


def money(value: Any, path: str) -> Decimal:
    if isinstance(value, float) and math.isfinite(value):
        value = repr(value)
    elif isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not _MONEY.fullmatch(value.strip()):
        raise ShopifyParseError(f"{path} is not a decimal amount")
    amount = Decimal(value.strip())
    if amount < 0:
        raise ShopifyParseError(f"{path} is negative")
    return amount


def moment(value: Any, path: str) -> datetime | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise ShopifyParseError(f"{path} is not a datetime string")
    try:
        return as_utc(datetime.fromisoformat(value.strip()))
    except (ValueError, OverflowError):
        raise ShopifyParseError(f"{path} is not an ISO 8601 datetime") from None


def flag(value: Any, path: str) -> bool:
    if value is None:
        return False
    if isinstance(value, bool):
        return value
    raise ShopifyParseError(f"{path} is not a boolean")


def count(value: Any, path: str) -> int:
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    raise ShopifyParseError(f"{path} is not a non-negative integer")


def address(value: Any, path: str, email: str | None = None) -> Address | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise ShopifyParseError(f"{path} is not an object")
    fields = {key: text(value.get(key), f"{path}.{key}") for key in _ADDRESS_FIELDS}
    if not any(v and v.strip() for v in fields.values()):
        return None  # Shopify sends {} or all-null blocks for orders that ship nowhere
    return Address(
        first_name=fields["first_name"],
        last_name=fields["last_name"],
        company=fields["company"],
        address1=fields["address1"],
        address2=fields["address2"],
        city=fields["city"],
        region=fields["province_code"] or fields["province"],
        postcode=fields["zip"],
        country_code=fields["country_code"],
        phone=fields["phone"],
        email=email,
    )


def _lines(value: Any) -> list[OrderLine]:
    if value is None:
        return []  # list endpoints may be asked for fewer fields; the sample orders.json has none
    if not isinstance(value, list):
        raise ShopifyParseError("line_items is not a list")
    return [_line(item, f"line_items[{i}]") for i, item in enumerate(value)]


def _line(value: Any, path: str) -> OrderLine:
    if not isinstance(value, dict):
        raise ShopifyParseError(f"{path} is not an object")
    line_id = value.get("id")
    title = text(value.get("name"), f"{path}.name") or text(value.get("title"), f"{path}.title")
    return OrderLine(
        sku=text(value.get("sku"), f"{path}.sku"),
        quantity=count(value.get("quantity"), f"{path}.quantity"),
        unit_price=money(value.get("price"), f"{path}.price"),
        title=title or "",
        external_id=None if line_id is None else ident(line_id, f"{path}.id"),
    )


def customer(value: Any, path: str) -> ChannelCustomer | None:
    if value is None:
        return None  # guest checkout
    if not isinstance(value, dict):
        raise ShopifyParseError(f"{path} is not an object")
    customer_id = value.get("id")
    default = address(value.get("default_address"), f"{path}.default_address")
    return ChannelCustomer(
        external_id=None if customer_id is None else ident(customer_id, f"{path}.id"),
        email=text(value.get("email"), f"{path}.email"),
        phone=text(value.get("phone"), f"{path}.phone"),
        first_name=text(value.get("first_name"), f"{path}.first_name"),
        last_name=text(value.get("last_name"), f"{path}.last_name"),
        addresses=[default] if default is not None else [],
    )


def storable_json(body: Any) -> None:
    """The body is kept as JSON (PostgreSQL ``jsonb``), which holds neither NUL characters nor
    NaN/Infinity: Python's JSON reader lets both through."""
    found = unstorable(body)
    if found is not None:
        raise ShopifyParseError(f"{found[0] or 'order body'} {found[1]}")


def fits_store(order: ChannelOrder) -> None:
    """Raises when a value is past what the store keeps (declared on the records)."""
    found = too_large(order)
    if found is not None:
        raise ShopifyParseError(f"{found[0]} {found[1]}")
