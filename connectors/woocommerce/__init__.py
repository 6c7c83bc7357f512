"""WooCommerce REST API wc/v3 channel connector."""

from connectors.woocommerce.connector import WooCommerceConnector
from connectors.woocommerce.errors import (
    WooAuthError,
    WooError,
    WooOutcomeUnknown,
    WooParseError,
    WooRateLimited,
    WooRequestRejected,
    WooUnavailable,
)

__all__ = [
    "WooAuthError",
    "WooCommerceConnector",
    "WooError",
    "WooOutcomeUnknown",
    "WooParseError",
    "WooRateLimited",
    "WooRequestRejected",
    "WooUnavailable",
]
