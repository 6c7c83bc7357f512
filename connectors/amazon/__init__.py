"""Amazon (SP-API Orders v2026-01-01, v0 shipment confirmation) sales channel."""

from connectors.amazon.connector import AmazonConnector
from connectors.amazon.errors import (
    AmazonAuthError,
    AmazonConfigError,
    AmazonError,
    AmazonGrantRevoked,
    AmazonOutcomeUnknown,
    AmazonParseError,
    AmazonRateLimited,
    AmazonRequestFailed,
    AmazonUnavailable,
)

__all__ = [
    "AmazonAuthError",
    "AmazonConfigError",
    "AmazonConnector",
    "AmazonError",
    "AmazonGrantRevoked",
    "AmazonOutcomeUnknown",
    "AmazonParseError",
    "AmazonRateLimited",
    "AmazonRequestFailed",
    "AmazonUnavailable",
]
