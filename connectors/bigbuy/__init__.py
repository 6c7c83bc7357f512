"""BigBuy (REST API) dropshipping supplier."""

from connectors.bigbuy.answers import Call, classify
from connectors.bigbuy.client import BigBuyConnector
from connectors.bigbuy.errors import (
    BigBuyAuthError,
    BigBuyConfigError,
    BigBuyError,
    BigBuyOutcomeUnknown,
    BigBuyParseError,
    BigBuyRateLimited,
    BigBuyRequestFailed,
    BigBuyUnavailable,
)

__all__ = [
    "BigBuyAuthError",
    "BigBuyConfigError",
    "BigBuyConnector",
    "BigBuyError",
    "BigBuyOutcomeUnknown",
    "BigBuyParseError",
    "BigBuyRateLimited",
    "BigBuyRequestFailed",
    "BigBuyUnavailable",
    "Call",
    "classify",
]
