"""Readers of single Shopify fields: each returns the value or raises ``ShopifyParseError`` naming
the field, never its value (values are buyer data)."""

from __future__ import annotations

import math
import re
from datetime import datetime
from decimal import Decimal
from typing import Any

from connectors.records import as_utc
from connectors.shopify.errors import ShopifyParseError

_MONEY = re.compile(r"-?[0-9]{1,15}(\.[0-9]{1,10})?")


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
