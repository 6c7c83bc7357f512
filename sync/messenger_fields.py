"""What a seller types into a messenger order, checked before anything is stored: the logistics,
the currency, a line's weight, and a carrier and tracking number entered by hand. Each refusal is a
``MessengerError`` naming the form field, in the seller's words."""

from __future__ import annotations

import unicodedata
from decimal import Decimal, InvalidOperation

import pycountry

from sync.messenger_models import SELF_DELIVERY
from sync.review import ReviewError

SUPPLIER = "supplier"
LOGISTICS = (SUPPLIER, SELF_DELIVERY)
MAX_WEIGHT = Decimal("100000")
TRACKING_MAX = 100
CARRIER_MAX = 100


class MessengerError(ReviewError):
    """A messenger action that cannot be done; ``field`` names the form field at fault."""


def logistics(value: str | None) -> str:
    chosen = (value or SUPPLIER).strip().lower().replace(" ", "_").replace("-", "_")
    if chosen not in LOGISTICS:
        raise MessengerError("logistics: supplier (sent to the supplier) or self_delivery (shipped by you)",
                             field="logistics")
    return chosen


def currency(value: str | None, default: str) -> str:
    """An ISO 4217 code (any case); empty means the store's."""
    code = (value or "").strip().upper() or default
    if len(code) != 3 or pycountry.currencies.get(alpha_3=code) is None:
        raise MessengerError(f"currency: {code[:10]!r} is not an ISO 4217 code (EUR, USD, GBP...)", field="currency")
    return code


def weight(value: str | Decimal | None, sku: str = "") -> Decimal | None:
    """Kilograms per unit, at most 3 decimals; empty means not given."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    what = f"weight of {sku[:40]}" if sku else "weight"
    try:
        kg = Decimal(str(value).strip().replace(",", "."))
    except InvalidOperation:
        raise MessengerError(f"{what}: {str(value)[:20]!r} is not a number of kilograms", field="weight") from None
    if not kg.is_finite() or kg < 0 or kg > MAX_WEIGHT or kg.as_tuple().exponent < -3:  # type: ignore[operator]
        raise MessengerError(f"{what}: kilograms from 0 to {MAX_WEIGHT}, at most 3 decimals", field="weight")
    return kg.quantize(Decimal("0.001"))


def _text(value: str, name: str, limit: int) -> str:
    cleaned = (value or "").strip()
    if not cleaned:
        raise MessengerError(f"{name}: it cannot be empty", field=name)
    if len(cleaned) > limit:
        raise MessengerError(f"{name}: at most {limit} characters", field=name)
    if any(unicodedata.category(ch).startswith("C") for ch in cleaned):
        raise MessengerError(f"{name}: control characters are not allowed", field=name)
    return cleaned


def tracking(value: str) -> str:
    number = _text(value, "tracking", TRACKING_MAX)
    if any(ch.isspace() for ch in number):
        raise MessengerError("tracking: one number, without spaces", field="tracking")
    return number


def warehouse_name(value: str) -> str:
    return _text(value, "warehouse", 100)


def carrier(value: str) -> str:
    return _text(value, "carrier", CARRIER_MAX)
