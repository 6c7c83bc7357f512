"""WooCommerce's exception tree, and the mapping from HTTP answers onto it.

Messages carry the status and WooCommerce's error ``code`` only: never a body, a URL (query-string
auth puts the secret there) or any customer data, so every one of them can be logged as is.
"""

from __future__ import annotations

import re
import time
from datetime import UTC
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from connectors import errors


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


def retry_after(response: httpx.Response, *, now: float | None = None) -> float | None:
    """Seconds from a ``Retry-After`` header (delta-seconds or an HTTP date)."""
    value = response.headers.get("Retry-After", "").strip()
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


def for_response(response: httpx.Response, *, write: bool) -> WooError | None:
    """The exception an answer stands for, or None when it is a success."""
    status = response.status_code
    if 200 <= status < 300:
        return None
    code = error_code(response)
    what = f"WooCommerce answered {status}" + (f" ({code})" if code else "")
    if status in (401, 403):
        return WooAuthError(f"{what}: check the consumer key, secret and their permission")
    if status == 429:
        return WooRateLimited(what, retry_after=retry_after(response))
    if status >= 500:
        # the host may have run the write before failing (PHP fatal after save, proxy timeout)
        cls = WooOutcomeUnknown if write else WooUnavailable
        return cls(what, retry_after=retry_after(response))
    if 300 <= status < 400:
        # usually http -> https or a moved site: the configured shop URL is wrong
        return WooRequestRejected(f"{what}: redirected, check the shop URL", status=status)
    return WooRequestRejected(what, status=status, code=code)


def for_transport(exc: httpx.TransportError, *, write: bool) -> WooError:
    """A failure below HTTP. A write that never connected is safe to repeat; any later failure
    may have reached the shop."""
    name = type(exc).__name__
    if not write or isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout):
        return WooUnavailable(f"WooCommerce unreachable ({name})")
    return WooOutcomeUnknown(f"WooCommerce write interrupted ({name})")


def describe(field: str, problem: str) -> WooParseError:
    return WooParseError(f"woocommerce order: {field} {problem}")


def short_loc(loc: tuple[Any, ...]) -> str:
    return ".".join(str(part) for part in loc)[:120] or "body"
