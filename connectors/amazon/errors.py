"""Amazon's branch of the connector exception tree: callers catch by intent, logs still say Amazon
answered. No message carries a token, the client secret or buyer data."""

from __future__ import annotations

from connectors import errors
from connectors.http import ErrorClasses


class AmazonError(errors.ConnectorError):
    """Anything the Amazon connector raises on purpose."""


class AmazonParseError(AmazonError, errors.ParseError):
    """A body could not be read; the message names the field, never its value."""


class AmazonRateLimited(AmazonError, errors.RateLimited):
    """429: the operation's token bucket at Amazon is empty."""


class AmazonUnavailable(AmazonError, errors.RetryLater):
    """5xx on a read, or the request never reached Amazon."""


class AmazonOutcomeUnknown(AmazonError, errors.OutcomeUnknown):
    """A shipment confirmation left and no clear answer came back."""


class AmazonAuthError(AmazonError, errors.AuthenticationFailed):
    """401/403 with a fresh access token: the app lacks a role or the seller's authorisation."""


class AmazonGrantRevoked(AmazonAuthError):
    """Login with Amazon answered ``invalid_grant``: the seller revoked the authorisation (or the
    refresh token is wrong). Nothing can be read until a new refresh token is configured; the
    channel's cursor is untouched, so polling resumes from it once the grant is restored."""

    state = "auth_broken"


class AmazonRequestFailed(AmazonError, errors.FailLoudly):
    """Any other refusal (4xx, redirect): retrying the same call will not help."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class AmazonConfigError(AmazonError, errors.FailLoudly):
    """The connector is not configured well enough to make a call."""


#: Amazon's class for each intent of the shared HTTP error map
ERRORS = ErrorClasses("Amazon", AmazonUnavailable, AmazonRateLimited, AmazonOutcomeUnknown, AmazonAuthError,
                      AmazonRequestFailed)
