"""wc/v3 order bodies -> canonical records.

Every reader here raises only ``WooParseError``, whose message names the field and never its value
(values are customer data), whatever JSON it is handed.
"""

from __future__ import annotations

import html
import math
import re
from datetime import datetime
from decimal import Decimal
from typing import Any, NamedTuple

from pydantic import ValidationError

from connectors.records import (
    Address,
    ChannelCustomer,
    ChannelOrder,
    OrderLine,
    PaymentStatus,
)
from connectors.storable import too_large, unstorable
from connectors.woocommerce.errors import WooParseError, describe, short_loc
from connectors.woocommerce.refunds import less_refunded

#: the fields that make an address: ``phone`` is left out because a shipping block holding only
#: a phone still means "ship to the billing address"
ADDRESS_KEYS = ("first_name", "last_name", "company", "address_1", "address_2", "city", "state",
                "postcode", "country")
PAID_STATUSES = frozenset({"processing", "completed"})
#: the shop marked it done itself: shipped or handed over without us
FULFILLED_STATUSES = frozenset({"completed"})
#: statuses in which the shop holds the order back, whatever ``date_paid`` says
WAITING_STATUSES = frozenset({"pending", "on-hold", "failed", "checkout-draft"})
BATCH_KEYS = ("create", "update", "delete")
#: what a reader slip can raise on odd JSON (ArithmeticError covers decimal.InvalidOperation)
_UNEXPECTED = (KeyError, TypeError, ValueError, ArithmeticError, AttributeError, RecursionError)
_CURRENCY = re.compile(r"[A-Za-z]{3}")
MIN_EXPONENT = -1000  # PostgreSQL's numeric refuses far smaller exponents, even for a zero


def _obj(value: Any, field: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise describe(field, "is not an object")
    return value


def _text(value: Any, field: str) -> str | None:
    """Free text; numbers are taken as text because some plugins write postcodes as numbers."""
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        if isinstance(value, float) and not math.isfinite(value):
            raise describe(field, "is not text")
        return str(value)
    raise describe(field, "is not text")


def _required_text(value: Any, field: str) -> str:
    text = _text(value, field)
    if text is None or not text.strip():
        raise describe(field, "is missing")
    return text.strip()


def _money(value: Any, field: str) -> Decimal:
    """WooCommerce sends money as strings ("29.35") except line ``price``, a JSON number."""
    if isinstance(value, bool) or value is None:
        raise describe(field, "is not an amount")
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        # repr gives the shortest text that round-trips: 12.99, not 12.9900000000000002131
        amount = Decimal(repr(value))
    elif isinstance(value, str) and value.strip():
        try:
            amount = Decimal(value.strip())
        except ArithmeticError:
            raise describe(field, "is not an amount") from None
    else:
        raise describe(field, "is not an amount")
    exponent = amount.as_tuple().exponent
    if not isinstance(exponent, int) or exponent < MIN_EXPONENT:  # NaN and Infinity have no number
        raise describe(field, "is not an amount")
    return amount


def _int(value: Any, field: str) -> int:
    if isinstance(value, bool):
        raise describe(field, "is not a whole number")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().isascii() and value.strip().lstrip("-").isdigit():
        return int(value.strip())
    raise describe(field, "is not a whole number")


def _date(value: Any, field: str) -> datetime | None:
    """wc/v3 dates have no offset; ``*_gmt`` ones are UTC (the record reads naive as UTC)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if not isinstance(value, str):
        raise describe(field, "is not a date")
    try:
        return datetime.fromisoformat(value.strip())
    except ValueError:
        raise describe(field, "is not a date") from None


def _filled(value: Any) -> bool:
    # anything but null or blank text counts, so a value of the wrong type is reported, not skipped
    return value is not None and not (isinstance(value, str) and not value.strip())


def _blank(block: dict[str, Any]) -> bool:
    return not any(_filled(block.get(key)) for key in ADDRESS_KEYS)


def _address(
    block: dict[str, Any], field: str, *, phone: str | None, email: str | None
) -> Address | None:
    if _blank(block):
        return None
    return Address(
        first_name=_text(block.get("first_name"), f"{field}.first_name"),
        last_name=_text(block.get("last_name"), f"{field}.last_name"),
        company=_text(block.get("company"), f"{field}.company"),
        address1=_text(block.get("address_1"), f"{field}.address_1"),
        address2=_text(block.get("address_2"), f"{field}.address_2"),
        city=_text(block.get("city"), f"{field}.city"),
        region=_text(block.get("state"), f"{field}.state"),
        postcode=_text(block.get("postcode"), f"{field}.postcode"),
        country_code=_text(block.get("country"), f"{field}.country"),
        phone=phone,
        email=email,
    )


def _line(item: Any, index: int) -> OrderLine:
    field = f"line_items[{index}]"
    item = _obj(item, field)
    quantity = _int(item.get("quantity"), f"{field}.quantity")
    if quantity < 0:
        raise describe(f"{field}.quantity", "is negative")
    if item.get("price") is not None:
        unit_price = _money(item["price"], f"{field}.price")
    else:
        # older stores and some plugins omit ``price``: derive it from the line total
        total = _money(item.get("total"), f"{field}.total")
        unit_price = total / quantity if quantity else total
    line_id = item.get("id")
    name = _text(item.get("name"), f"{field}.name") or ""
    return OrderLine(
        sku=_text(item.get("sku"), f"{field}.sku"),
        quantity=quantity,
        unit_price=unit_price,
        title=html.unescape(name),  # product names come HTML-escaped ("&ndash;")
        external_id=None if line_id is None else str(_int(line_id, f"{field}.id")),
    )


def payment_status(body: dict[str, Any], status: str, paid_at: datetime | None) -> PaymentStatus:
    """wc/v3 has no payment field: it is read from ``status`` and ``date_paid``.

    The status wins over ``date_paid``: a shop puts a paid order ``on-hold`` (a fraud check, a
    bank transfer to confirm) precisely so that it waits.
    """
    if status == "refunded":
        return "refunded"
    if status in WAITING_STATUSES or (status == "cancelled" and paid_at is None):
        return "pending"
    if paid_at is None and status not in PAID_STATUSES:
        return "unknown"  # a plugin's own status, never paid
    refunds = body.get("refunds")
    return "partially_refunded" if isinstance(refunds, list) and refunds else "paid"


def _customer(
    customer_id: int, billing: dict[str, Any], addresses: list[Address]
) -> ChannelCustomer | None:
    email = _text(billing.get("email"), "billing.email")
    if customer_id <= 0 and not (email and email.strip()):
        return None  # a guest with no email cannot be told apart from any other guest
    return ChannelCustomer(
        external_id=str(customer_id) if customer_id > 0 else None,
        email=email,
        phone=_text(billing.get("phone"), "billing.phone"),
        first_name=_text(billing.get("first_name"), "billing.first_name"),
        last_name=_text(billing.get("last_name"), "billing.last_name"),
        addresses=addresses,
    )


class _Dates(NamedTuple):
    updated_at: datetime
    placed_at: datetime | None
    paid_at: datetime | None


def _dates(body: dict[str, Any]) -> _Dates:
    def read(name: str) -> datetime | None:
        return _date(body.get(f"{name}_gmt"), f"{name}_gmt") or _date(body.get(name), name)

    updated_at = read("date_modified")
    if updated_at is None:
        raise describe("date_modified_gmt", "is missing")
    return _Dates(updated_at, read("date_created"), read("date_paid"))


class _People(NamedTuple):
    shipping: Address | None
    billing: Address | None
    customer: ChannelCustomer | None


def _people(body: dict[str, Any]) -> _People:
    billing = _obj(body.get("billing"), "billing")
    shipping = _obj(body.get("shipping"), "shipping")
    email = _text(billing.get("email"), "billing.email")
    billing_phone = _text(billing.get("phone"), "billing.phone")
    shipping_phone = _text(shipping.get("phone"), "shipping.phone")
    # checkouts rarely ask a shipping phone; the carrier still needs one, and it is the buyer's
    phone = shipping_phone if shipping_phone and shipping_phone.strip() else billing_phone
    billing_address = _address(billing, "billing", phone=billing_phone, email=email)
    # virtual-product checkouts and "ship to billing" stores leave the shipping block empty
    shipping_address = billing_address if _blank(shipping) else _address(
        shipping, "shipping", phone=phone, email=email)
    customer_id = body.get("customer_id")
    customer_id = 0 if customer_id is None else _int(customer_id, "customer_id")
    if customer_id < 0:
        raise describe("customer_id", "is negative")
    customer = _customer(customer_id, billing, [shipping_address] if shipping_address else [])
    return _People(shipping_address, billing_address, customer)


def _lines(body: dict[str, Any]) -> list[OrderLine]:
    items = body.get("line_items")
    if items is not None and not isinstance(items, list):
        raise describe("line_items", "is not a list")
    lines = [_line(item, i) for i, item in enumerate(items or [])]
    return less_refunded(lines, body.get("refunds"))


def _identity(body: dict[str, Any]) -> tuple[str, str, str, str]:
    """external id, number, status and currency."""
    order_id = _int(body.get("id"), "id")
    if order_id <= 0:
        raise describe("id", "is not positive")
    number = _text(body.get("number"), "number")
    status = _required_text(body.get("status"), "status")
    currency = _required_text(body.get("currency"), "currency")
    if not _CURRENCY.fullmatch(currency):
        raise describe("currency", "is not a 3-letter code")
    return str(order_id), number.strip() if number and number.strip() else str(order_id), status, currency


def _parse(body: Any) -> ChannelOrder:
    if not isinstance(body, dict):
        raise describe("body", "is not an object")
    _storable_json(body)
    external_id, number, status, currency = _identity(body)
    dates = _dates(body)
    people = _people(body)
    order = ChannelOrder(
        external_id=external_id,
        number=number,
        status=status,
        payment_status=payment_status(body, status, dates.paid_at),
        payment_method=(_text(body.get("payment_method"), "payment_method") or "").strip()[:100] or None,
        currency=currency,
        total=_money(body.get("total"), "total"),
        placed_at=dates.placed_at,
        updated_at=dates.updated_at,
        shipping_address=people.shipping,
        billing_address=people.billing,
        lines=_lines(body),
        customer=people.customer,
        cancelled=status == "cancelled",
        test=False,
        fulfilled_on_channel=status in FULFILLED_STATUSES,
        raw=body,
    )
    _fits_store(order)
    return order


def _storable_json(body: dict[str, Any]) -> None:
    """The body is kept as JSON (PostgreSQL ``jsonb``), which holds neither NUL characters nor
    NaN/Infinity: Python's JSON reader lets both through."""
    found = unstorable(body)
    if found is not None:
        raise describe(found[0] or "body", found[1])


def _fits_store(order: ChannelOrder) -> None:
    """Raises when a value is past what the store keeps (declared on the records)."""
    found = too_large(order)
    if found is not None:
        raise describe(*found)


def parse_order(body: Any) -> ChannelOrder:
    """One wc/v3 order object -> ``ChannelOrder``; raises only ``WooParseError``."""
    try:
        return _parse(body)
    except WooParseError:
        raise
    except ValidationError as exc:
        # pydantic's own text quotes the input, i.e. customer data: keep the field names only
        fields = sorted({short_loc(tuple(err["loc"])) for err in exc.errors()})
        raise describe(", ".join(fields)[:200] or "body", "is invalid") from None
    except _UNEXPECTED as exc:
        raise describe("body", f"is unreadable ({type(exc).__name__})") from None


def order_bodies(body: Any) -> list[Any]:
    """A list answer, one order object, or a batch answer (``create``/``update``/``delete``)."""
    if isinstance(body, list):
        return list(body)
    if isinstance(body, dict):
        if "id" not in body and any(key in body for key in BATCH_KEYS):
            bodies: list[Any] = []
            for key in BATCH_KEYS:
                part = body.get(key)
                if part is None:
                    continue
                if not isinstance(part, list):
                    raise WooParseError(f"woocommerce batch: {key} is not a list")
                bodies.extend(part)
            return bodies
        return [body]
    raise WooParseError("woocommerce: the answer is neither an order nor a list of orders")
