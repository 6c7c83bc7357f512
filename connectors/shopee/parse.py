"""Shopee ``get_order_detail`` bodies -> canonical records.

Total by design: any input either parses or raises ``ShopeeParseError``, so one bad order lands in
quarantine and the rest of the page goes on. Messages name the field, never its value.

Shopee gives the recipient one ``name``. A one-word name leaves the surname empty, so the order is
held as ``missing_surname``; a name of several words is split at its last word, and the order
carries a note saying the surname was derived. Shopee hides buyer data behind stars (``****``):
those values are kept as they are, so validation flags the order ``masked_data`` and it is never
forwarded with stars in it.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from pydantic import ValidationError

from connectors.records import Address, ChannelCustomer, ChannelOrder, OrderLine, OrderNote, PaymentStatus
from connectors.shopee.errors import ShopeeParseError
from connectors.storable import too_large, unstorable

#: order_status -> (payment status, cancelled, already fulfilled on the channel)
STATUS: dict[str, tuple[PaymentStatus, bool, bool]] = {
    "UNPAID": ("pending", False, False),
    "PENDING": ("pending", False, False),
    "INVOICE_PENDING": ("pending", False, False),
    "READY_TO_SHIP": ("paid", False, False),
    "PROCESSED": ("paid", False, False),
    "RETRY_SHIP": ("paid", False, False),
    "SHIPPED": ("paid", False, True),
    "TO_CONFIRM_RECEIVE": ("paid", False, True),
    "COMPLETED": ("paid", False, True),
    "TO_RETURN": ("paid", False, True),
    "IN_CANCEL": ("paid", True, False),
    "CANCELLED": ("unknown", True, False),
}
DERIVED_SURNAME = "surname derived from Shopee's single recipient name (last word); check it before sending"
_CURRENCY = re.compile(r"[A-Za-z]{3}")
_MASK = re.compile(r"[*\u2022]{3,}")
_UNEXPECTED = (KeyError, TypeError, ValueError, ArithmeticError, AttributeError, RecursionError)


def order_bodies(body: Any) -> list[Any]:
    """A ``get_order_detail`` answer (``{"response": {"order_list": [...]}}``), its ``response``
    member, or one order."""
    if isinstance(body, dict):
        inner = body.get("response", body)
        if isinstance(inner, dict) and isinstance(inner.get("order_list"), list):
            return list(inner["order_list"])
        if isinstance(body.get("order_sn"), str):
            return [body]
    raise ShopeeParseError('body is not a get_order_detail answer {"response": {"order_list": [...]}}')


def parse_order(body: Any, *, customers: bool = False) -> ChannelOrder:
    """``customers``: make a ChannelCustomer from the buyer (off by default: Shopee masks buyers)."""
    if not isinstance(body, dict):
        raise ShopeeParseError("order body is not an object")
    try:
        return _order(body, customers)
    except ShopeeParseError:
        raise
    except ValidationError as exc:
        parts = [".".join(str(p) for p in e.get("loc", ())) + f": {e.get('type', 'invalid')}"
                 for e in exc.errors(include_url=False, include_input=False, include_context=False)[:3]]
        raise ShopeeParseError("invalid " + "; ".join(parts)) from None
    except _UNEXPECTED as exc:  # no chaining: the cause may quote buyer data
        raise ShopeeParseError(f"order body could not be read ({type(exc).__name__})") from None


def _order(body: dict[str, Any], customers: bool) -> ChannelOrder:
    found = unstorable(body)
    if found is not None:
        raise ShopeeParseError(f"{found[0] or 'order body'} {found[1]}")
    order_sn = text(body.get("order_sn"), "order_sn")
    if not order_sn:
        raise ShopeeParseError("missing order_sn")
    status = (text(body.get("order_status"), "order_status") or "").strip().upper()
    if status not in STATUS:
        raise ShopeeParseError("order_status is not one Shopee documents")
    payment, cancelled, fulfilled = STATUS[status]
    currency = (text(body.get("currency"), "currency") or "").strip()
    if not _CURRENCY.fullmatch(currency):
        raise ShopeeParseError("currency is not a 3-letter code")
    updated_at = moment(body.get("update_time"), "update_time")
    if updated_at is None:
        raise ShopeeParseError("missing update_time")
    shipping, notes = recipient(body.get("recipient_address"), "recipient_address")
    order = ChannelOrder(
        external_id=order_sn,
        number=order_sn,
        status=status,
        payment_status=payment,
        currency=currency,
        total=money(body.get("total_amount"), "total_amount"),
        placed_at=moment(body.get("create_time"), "create_time"),
        updated_at=updated_at,
        shipping_address=shipping,
        lines=lines(body.get("item_list")),
        customer=buyer(body, shipping) if customers else None,
        cancelled=cancelled,
        fulfilled_on_channel=fulfilled,
        notes=notes,
        raw=body,
    )
    too_big = too_large(order)
    if too_big is not None:
        raise ShopeeParseError(f"{too_big[0]} {too_big[1]}")
    return order


def split_name(name: str | None) -> tuple[str | None, str | None, bool]:
    """(first name, surname, derived). One word: no surname. Masked: the mask in both, so the
    order is flagged for the hidden name rather than for a missing surname."""
    words = (name or "").split()
    if not words:
        return None, None, False
    if _MASK.search(name or ""):
        masked = " ".join(words)
        return masked, masked, False
    if len(words) == 1:
        return words[0], None, False
    return " ".join(words[:-1]), words[-1], True


def recipient(value: Any, path: str) -> tuple[Address | None, list[OrderNote]]:
    if value is None:
        return None, []
    if not isinstance(value, dict):
        raise ShopeeParseError(f"{path} is not an object")
    get = {key: text(value.get(key), f"{path}.{key}") for key in
           ("name", "phone", "full_address", "town", "district", "city", "state", "region", "zipcode")}
    if not any(v and v.strip() for v in get.values()):
        return None, []
    first, last, derived = split_name(get["name"])
    address = Address(
        first_name=first,
        last_name=last,
        address1=get["full_address"],
        city=get["city"] or get["district"] or get["town"],
        region=get["state"],
        postcode=get["zipcode"],
        country_code=get["region"],
        phone=get["phone"],
    )
    note = OrderNote(field="shipping_address.last_name", message=DERIVED_SURNAME)
    return address, [note] if derived else []


def lines(value: Any) -> list[OrderLine]:
    if value is None:
        return []  # item_list is an optional field: not asked for, not given
    if not isinstance(value, list):
        raise ShopeeParseError("item_list is not a list")
    out = []
    for i, item in enumerate(value):
        path = f"item_list[{i}]"
        if not isinstance(item, dict):
            raise ShopeeParseError(f"{path} is not an object")
        sku = text(item.get("model_sku"), f"{path}.model_sku") or text(item.get("item_sku"), f"{path}.item_sku")
        line_id = item.get("order_item_id", item.get("model_id"))
        title = text(item.get("item_name"), f"{path}.item_name") or ""
        model = text(item.get("model_name"), f"{path}.model_name")
        out.append(OrderLine(
            sku=sku,
            quantity=count(item.get("model_quantity_purchased"), f"{path}.model_quantity_purchased"),
            unit_price=money(item.get("model_discounted_price"), f"{path}.model_discounted_price"),
            title=f"{title} ({model})" if model and model.strip() else title,
            external_id=None if line_id is None else ident(line_id, f"{path}.order_item_id"),
        ))
    return out


def buyer(body: dict[str, Any], shipping: Address | None) -> ChannelCustomer | None:
    user_id = body.get("buyer_user_id")
    if user_id is None or user_id == 0:
        return None
    return ChannelCustomer(
        external_id=f"shopee:{ident(user_id, 'buyer_user_id')}",
        first_name=shipping.first_name if shipping else None,
        last_name=shipping.last_name if shipping else None,
        phone=shipping.phone if shipping else None,
        addresses=[shipping] if shipping else [],
    )


# single fields ------------------------------------------------------------------------------


def text(value: Any, path: str) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ShopeeParseError(f"{path} is not text")
    return str(value)


def ident(value: Any, path: str) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int) or not str(value).strip():
        raise ShopeeParseError(f"{path} is not an id")
    out = str(value).strip()
    if len(out) > 100:
        raise ShopeeParseError(f"{path} is too long")
    return out


def count(value: Any, path: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ShopeeParseError(f"{path} is not a whole number of at least 0")
    return value


def money(value: Any, path: str) -> Decimal:
    """Shopee gives amounts as JSON numbers; read through their shortest text, never binary."""
    if value is None:
        raise ShopeeParseError(f"missing {path}")
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ShopeeParseError(f"{path} is not an amount")
    if isinstance(value, float) and not math.isfinite(value):
        raise ShopeeParseError(f"{path} is not a finite amount")
    try:
        amount = Decimal(repr(value) if isinstance(value, float) else str(value).strip())
    except InvalidOperation:
        raise ShopeeParseError(f"{path} is not an amount") from None
    if not amount.is_finite() or amount < 0:
        raise ShopeeParseError(f"{path} is not an amount of at least 0")
    return amount


def moment(value: Any, path: str) -> datetime | None:
    """Shopee times are Unix seconds."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value < 253402300800:
        raise ShopeeParseError(f"{path} is not a Unix time")
    return datetime.fromtimestamp(value, UTC)
