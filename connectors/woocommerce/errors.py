"""WooCommerce's exception tree and its error ``code``; the HTTP error map is ``connectors.http``'s.

Messages carry the status and WooCommerce's error ``code`` only: never a body, a URL (query-string
auth puts the secret there) or any customer data, so every one of them can be logged as is.
"""

from __future__ import annotations

import re
from typing import Any

import httpx

from connectors import errors
from connectors.http import ErrorClasses


class WooError(errors.ConnectorError):
    """Anything the WooCommerce connector raises on purpose."""


class WooParseError(WooError, errors.ParseError):
    """A body could not be read (the message names the field, never its value)."""


class WooAuthError(WooError, errors.AuthenticationFailed):
    """The consumer key/secret were refused, lack the permission, or are not configured."""


class WooRateLimited(WooError, errors.RateLimited):
    """The host throttled us (WooCommerce itself has no limit; hosts and WAFs do)."""


class WooUnavailable(WooError, errors.RetryLater):
    """5xx or a transport failure on a call that is safe to repeat."""


class WooOutcomeUnknown(WooError, errors.OutcomeUnknown):
    """A write may have been applied: the caller must look before writing again."""


class WooRequestRejected(WooError, errors.FailLoudly):
    """Any other 4xx (bad parameter, unknown order, no route) or a redirect: retrying won't help."""

    def __init__(self, message: str, *, status: int | None = None, code: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code


_CODE = re.compile(r"^[A-Za-z0-9_.\-]{1,80}$")


def error_code(response: httpx.Response) -> str | None:
    """WooCommerce's machine ``code`` (``woocommerce_rest_cannot_view``), when the body has a
    plausible one; free-text ``message`` is deliberately left out."""
    try:
        body = response.json()
    except ValueError:
        return None
    code = body.get("code") if isinstance(body, dict) else None
    return code if isinstance(code, str) and _CODE.match(code) else None


#: WooCommerce's class for each intent of the shared HTTP error map
ERRORS = ErrorClasses("WooCommerce", WooUnavailable, WooRateLimited, WooOutcomeUnknown, WooAuthError,
                      WooRequestRejected)


def for_response(response: httpx.Response, *, write: bool) -> errors.ConnectorError | None:
    """The error an answer stands for (``connectors.http``'s map), with WooCommerce's ``code``."""
    if 200 <= response.status_code < 300:
        return None
    code = error_code(response)
    error = ERRORS.for_response(response, write=write, detail=f" ({code})" if code else "")
    if isinstance(error, WooRequestRejected):
        error.code = code
    return error


def describe(field: str, problem: str) -> WooParseError:
    return WooParseError(f"woocommerce order: {field} {problem}")


def short_loc(loc: tuple[Any, ...]) -> str:
    return ".".join(str(part) for part in loc)[:120] or "body"
