"""Shopify REST order bodies -> canonical records.

Total by design: any input either parses or raises ``ShopifyParseError``, because bodies come
from outside and one bad order must land in quarantine, not stop a page. Messages name the field
and never its value (values are buyer data).
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import ValidationError

from connectors.records import (
    Address,
    ChannelCustomer,
    ChannelOrder,
    PaymentStatus,
)
from connectors.shopify.errors import ShopifyParseError
from connectors.shopify.fields import flag, ident, moment, money, text
from connectors.shopify.lines import read_lines
from connectors.storable import storable_text, too_large, unstorable

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

#: the shop shipped all or part itself (``restocked`` is a refund, not a fulfilment)
FULFILLED = frozenset({"fulfilled", "partial"})
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


def _gateway(body: dict[str, Any]) -> str | None:
    """The payment gateway's name ("manual", "Cash on Delivery (COD)", "Bank Deposit"): the newest
    of ``payment_gateway_names``, else the deprecated ``gateway``."""
    names = body.get("payment_gateway_names")
    if isinstance(names, list) and names and isinstance(names[-1], str):
        return names[-1].strip()[:100] or None
    return (text(body.get("gateway"), "gateway") or "").strip()[:100] or None


def _order(body: dict[str, Any]) -> ChannelOrder:
    raw_json = storable_text(body)
    if raw_json is None:
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
    fulfilled = (fulfillment_status or "").strip().lower() in FULFILLED
    lines = read_lines(body, fulfilled=fulfilled)
    order = ChannelOrder(
        external_id=external_id,
        number=number,
        status="cancelled" if cancelled_at else (fulfillment_status or "open"),
        payment_status=payment,
        payment_method=_gateway(body),
        currency=currency.strip(),
        total=money(_required(body, "total_price", "total_price"), "total_price"),
        placed_at=moment(body.get("created_at"), "created_at"),
        updated_at=updated_at,
        shipping_address=with_phone(address(body.get("shipping_address"), "shipping_address", email),
                                     text(body.get("phone"), "phone")),
        billing_address=address(body.get("billing_address"), "billing_address", email),
        lines=lines.shipped,
        unshipped_lines=lines.unshipped,
        customer=customer(body.get("customer"), "customer"),
        cancelled=cancelled_at is not None,
        test=flag(body.get("test"), "test"),
        fulfilled_on_channel=fulfilled,
        raw=body,
    )
    fits_store(order)
    return order.checked_for_store(raw_json)


def with_phone(shipping: Address | None, order_phone: str | None) -> Address | None:
    """The order's own ``phone`` is the one the buyer gave at checkout for this delivery: it comes
    after the shipping address's phone and before the billing address's or the customer's."""
    if shipping is None or shipping.phone or not (order_phone and order_phone.strip()):
        return shipping
    return shipping.model_copy(update={"phone": order_phone.strip()})


def _required(body: dict[str, Any], key: str, label: str) -> Any:
    value = body.get(key)
    if value is None:
        raise ShopifyParseError(f"missing {label}")
    return value


def address(value: Any, path: str, email: str | None = None) -> Address | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise ShopifyParseError(f"{path} is not an object")
    fields = {}
    for key in _ADDRESS_FIELDS:
        field = value.get(key)
        if field is not None and field.__class__ is not str:
            text(field, f"{path}.{key}")  # raises, naming the field (a str subclass passes)
        fields[key] = field
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
