"""BigBuy's branch of the connector exception tree: callers catch by intent (``RetryLater``,
``OutcomeUnknown``, ``FailLoudly``...), logs still say BigBuy answered. No message carries the API
key: texts taken from bodies are redacted before they reach an exception."""

from __future__ import annotations

from connectors import errors
from connectors.http import ErrorClasses


class BigBuyError(errors.ConnectorError):
    """Anything the BigBuy connector raises on purpose."""


class BigBuyUnavailable(BigBuyError, errors.RetryLater):
    """A read failed transiently (5xx, timeout, odd body), or a write never left: call again."""


class BigBuyRateLimited(BigBuyError, errors.RateLimited):
    """429: the account's 1 request/s was exceeded; the shared pacer is already held."""


class BigBuyOutcomeUnknown(BigBuyError, errors.OutcomeUnknown):
    """A create left and no trustworthy answer came back: look it up by reference first."""


class BigBuyAuthError(BigBuyError, errors.AuthenticationFailed):
    """401 ``Invalid Token``: the API key was refused."""


class BigBuyRequestFailed(BigBuyError, errors.FailLoudly):
    """A refusal retrying will not cure (4xx on a read, redirect, endpoint gone)."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class BigBuyParseError(BigBuyError, errors.ParseError):
    """A successful read answered a body of an unexpected shape."""


class BigBuyConfigError(BigBuyError, errors.FailLoudly):
    """The connector is not configured well enough to make a call (no API key)."""


#: BigBuy's class for each intent of the shared HTTP error map
ERRORS = ErrorClasses("BigBuy", BigBuyUnavailable, BigBuyRateLimited, BigBuyOutcomeUnknown, BigBuyAuthError,
                      BigBuyRequestFailed)
