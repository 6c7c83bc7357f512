"""Shopify's branch of the connector exception tree: callers catch by intent (``RetryLater``,
``FailLoudly``...), logs still say Shopify answered. No message carries the access token or
buyer data."""

from __future__ import annotations

from connectors import errors
from connectors.http import ErrorClasses


class ShopifyError(errors.ConnectorError):
    """Anything the Shopify connector raises on purpose."""


class ShopifyParseError(ShopifyError, errors.ParseError):
    """A body could not be read; the message names the field, never its value."""


class ShopifyRateLimited(ShopifyError, errors.RateLimited):
    """429: the shop's leaky bucket is full."""


class ShopifyUnavailable(ShopifyError, errors.RetryLater):
    """5xx on a read, or the request never reached Shopify."""


class ShopifyOutcomeUnknown(ShopifyError, errors.OutcomeUnknown):
    """A write left and no clear answer came back: look before writing again."""


class ShopifyAuthError(ShopifyError, errors.AuthenticationFailed):
    """401/403: the token was refused or lacks a scope."""


class ShopifyRequestFailed(ShopifyError, errors.FailLoudly):
    """Any other refusal (4xx, redirect): retrying the same call will not help."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class ShopifyConfigError(ShopifyError, errors.FailLoudly):
    """The connector is not configured well enough to make a call."""


#: Shopify's class for each intent of the shared HTTP error map
ERRORS = ErrorClasses("Shopify", ShopifyUnavailable, ShopifyRateLimited, ShopifyOutcomeUnknown, ShopifyAuthError,
                      ShopifyRequestFailed)
