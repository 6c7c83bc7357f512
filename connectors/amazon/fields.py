"""Readers of single Amazon fields: each returns the value or raises ``AmazonParseError`` naming
the field, never its value (values are buyer data)."""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal
from typing import Any

from connectors.amazon.errors import AmazonParseError
from connectors.records import as_utc

_MONEY = re.compile(r"-?[0-9]{1,15}(\.[0-9]{1,10})?")
#: Amazon's ``Decimal`` "follows RFC 7159 for number representation": an exponent is allowed
_MONEY_EXPONENT = re.compile(r"-?[0-9]{1,15}(\.[0-9]{1,15})?[eE][+-]?[0-9]{1,3}")
_CURRENCY = re.compile(r"[A-Za-z]{3}")


def obj(value: Any, path: str) -> dict[str, Any]:
    """An optional block: absent is empty, anything but an object is refused."""
    if value is None:
        return {}
    if isinstance(value, dict):
        return value
    raise AmazonParseError(f"{path} is not an object")


def items(value: Any, path: str) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, list):
        return value
    raise AmazonParseError(f"{path} is not a list")


def text(value: Any, path: str) -> str | None:
    if value is None or isinstance(value, str):
        return value
    raise AmazonParseError(f"{path} is not a string")


def ident(value: Any, path: str) -> str:
    if isinstance(value, str) and value.strip() and len(value.strip()) <= 100:
        return value.strip()
    raise AmazonParseError(f"{path} is missing or not an id")


def quantity(value: Any, path: str) -> int:
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 2**31:
        return value
    raise AmazonParseError(f"{path} is not a non-negative integer")


def amount(value: Any, path: str) -> Decimal:
    if not isinstance(value, str):
        raise AmazonParseError(f"{path} is not a decimal amount")
    written = value.strip()
    if _MONEY_EXPONENT.fullmatch(written):
        # "1.0397E+2" is 103.97, written out: then held to the plain form's 15 digits and 10 places
        written = format(Decimal(written).normalize(), "f")
    if not _MONEY.fullmatch(written):
        raise AmazonParseError(f"{path} is not a decimal amount")
    found = Decimal(written)
    if found < 0:
        raise AmazonParseError(f"{path} is negative")
    return found


def money(value: Any, path: str) -> tuple[Decimal, str | None]:
    """An Amazon ``Money`` block (``{amount, currencyCode}`` or v0's ``{Amount, CurrencyCode}``)."""
    block = obj(value, path)
    raw = block.get("amount", block.get("Amount"))
    currency = text(block.get("currencyCode", block.get("CurrencyCode")), f"{path}.currencyCode")
    return amount(raw, f"{path}.amount"), currency_code(currency, f"{path}.currencyCode")


def currency_code(value: str | None, path: str) -> str | None:
    if value is None:
        return None
    if not _CURRENCY.fullmatch(value.strip()):
        raise AmazonParseError(f"{path} is not a 3-letter code")
    return value.strip().upper()


def moment(value: Any, path: str) -> datetime | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise AmazonParseError(f"{path} is not a datetime string")
    try:
        return as_utc(datetime.fromisoformat(value.strip()))
    except (ValueError, OverflowError):
        raise AmazonParseError(f"{path} is not an ISO 8601 datetime") from None
