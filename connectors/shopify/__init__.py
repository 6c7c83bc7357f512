"""Shopify sales channel: the REST Admin API, or the GraphQL Admin API with the setting api="graphql"."""

from connectors.shopify.connector import ShopifyConnector
from connectors.shopify.errors import (
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
