"""Shopify (REST Admin API) sales channel."""

from orderhub.connectors.shopify.connector import ShopifyConnector
from orderhub.connectors.shopify.errors import (
    ShopifyAuthError,
    ShopifyConfigError,
    ShopifyError,
    ShopifyOutcomeUnknown,
    ShopifyParseError,
    ShopifyRateLimited,
    ShopifyRequestFailed,
    ShopifyUnavailable,
)

__all__ = [
    "ShopifyAuthError",
    "ShopifyConfigError",
    "ShopifyConnector",
    "ShopifyError",
    "ShopifyOutcomeUnknown",
    "ShopifyParseError",
    "ShopifyRateLimited",
    "ShopifyRequestFailed",
    "ShopifyUnavailable",
]
