"""Amounts in a currency's minor unit (ISO 4217): JPY has none, EUR two, KWD three.

pycountry knows the currency codes but not their minor units, so the exceptions to two decimals
are listed here from ISO 4217 (list one, 2024)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

import pycountry

from sync.fields import FieldError

_MINOR_UNITS = {
    **dict.fromkeys(("BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "UYI", "VND",
                     "VUV", "XAF", "XOF", "XPF"), 0),
    **dict.fromkeys(("BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"), 3),
    **dict.fromkeys(("CLF", "UYW"), 4),
}
MAX_AMOUNT = Decimal("99999999999999")


def currency_code(value: str) -> str:
    """An ISO 4217 code, upper case, or a FieldError."""
    code = (value or "").strip().upper()
    if len(code) != 3 or pycountry.currencies.get(alpha_3=code) is None:
        raise FieldError(f"currency: {value[:10]!r} is not an ISO 4217 code", field="currency")
    return code


def minor_unit(currency: str) -> int:
    """How many decimals the currency's amounts have."""
    return _MINOR_UNITS.get(currency.upper(), 2)


def quantum(currency: str) -> Decimal:
    return Decimal(1).scaleb(-minor_unit(currency))


def rounded(amount: Decimal, currency: str) -> Decimal:
    """``amount`` rounded half up to the currency's minor unit."""
    return Decimal(amount).quantize(quantum(currency), rounding=ROUND_HALF_UP)


def parse_amount(value: str | Decimal, currency: str, field: str = "amount") -> Decimal:
    """A typed amount: a finite number from 0 with no more decimals than the currency has."""
    try:
        amount = Decimal(str(value).strip())
    except (InvalidOperation, AttributeError):
        raise FieldError(f"{field}: {str(value)[:20]!r} is not an amount", field=field) from None
    if not amount.is_finite() or amount < 0 or amount > MAX_AMOUNT:
        raise FieldError(f"{field}: {str(value)[:20]!r} is not an amount from 0", field=field)
    if amount != rounded(amount, currency):
        raise FieldError(f"{field}: {currency} amounts have {minor_unit(currency)} decimals at most", field=field)
    return rounded(amount, currency)


#: decimals of the amounts of OrderHub's own orders (``sync.models.Money``): a messenger order made
#: from an amount with more keeps it only if the extra decimals are 0
ORDER_DECIMALS = 2


def fits_orders(amount: Decimal) -> bool:
    """Whether the amount is kept whole by an order's price and total (2 decimals)."""
    return Decimal(amount) == Decimal(amount).quantize(Decimal(1).scaleb(-ORDER_DECIMALS), rounding=ROUND_HALF_UP)
