"""The connector exception tree, classed by what the caller should do.

Each connector subclasses these (``ShopifyRateLimited(ShopifyError, RetryLater)``), so callers
catch by intent and logs still say which platform answered.
"""

from __future__ import annotations


class ConnectorError(Exception):
    """Anything a connector raises on purpose."""


class RetryLater(ConnectorError):
    """Transient: the same call may succeed later (429, 5xx before the request was handled,
    connection refused). ``retry_after`` is seconds, when the platform said."""

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class RateLimited(RetryLater):
    """The platform throttled us; ``retry_after`` says for how long when it said."""


class OutcomeUnknown(RetryLater):
    """A write may or may not have happened (timeout, reset connection, 5xx after the request
    left). Never repeat the write blindly: look it up first."""


class NeedsReview(ConnectorError):
    """The platform refused this item for a reason an operator must fix (a coded refusal)."""

    def __init__(self, message: str, *, code: str, field: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.field = field


class FailLoudly(ConnectorError):
    """Misconfiguration or a broken contract (bad credentials, unexpected shape on a call that
    must work): retrying will not help and a person must know."""


class AuthenticationFailed(FailLoudly):
    """The credentials were refused."""


class ParseError(ConnectorError):
    """A body could not be read into a canonical record. Carries no body text, so it can be
    logged; the ingest step keeps the body itself in quarantine."""
