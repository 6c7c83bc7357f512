"""Shopee Open Platform v2 sales channel."""

from connectors.shopee.connector import ShopeeConnector
from connectors.shopee.errors import (
    ShopeeAuthError,
    ShopeeConfigError,
    ShopeeError,
    ShopeeOutcomeUnknown,
    ShopeeParseError,
    ShopeeRateLimited,
    ShopeeRefreshRejected,
    ShopeeRequestFailed,
    ShopeeUnavailable,
)

__all__ = [
    "ShopeeAuthError",
    "ShopeeConfigError",
    "ShopeeConnector",
    "ShopeeError",
    "ShopeeOutcomeUnknown",
    "ShopeeParseError",
    "ShopeeRateLimited",
    "ShopeeRefreshRejected",
    "ShopeeRequestFailed",
    "ShopeeUnavailable",
]
