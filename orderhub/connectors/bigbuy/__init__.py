"""BigBuy (REST API) dropshipping supplier."""

from orderhub.connectors.bigbuy.answers import Call, classify
from orderhub.connectors.bigbuy.client import BigBuyConnector
from orderhub.connectors.bigbuy.errors import (
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
