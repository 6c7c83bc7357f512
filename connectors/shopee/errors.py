"""Shopee's branch of the connector exception tree, and Shopee's own error codes.

Shopee answers most refusals inside an HTTP 200, as ``{"error": "error_param", "message": ...}``
(an empty ``error`` is a success): those codes are mapped onto the same intents as the shared
HTTP error map, the way BigBuy's errors inside a 200 are. Messages carry Shopee's code and
request id only: never a body, a query string (it holds the access token and the sign) or buyer data.
"""

from __future__ import annotations

from typing import Any

import httpx

from connectors import errors
from connectors.http import ErrorClasses, Intent


class ShopeeError(errors.ConnectorError):
    """Anything the Shopee connector raises on purpose."""


class ShopeeParseError(ShopeeError, errors.ParseError):
    """A body could not be read; the message names the field, never its value."""


class ShopeeRateLimited(ShopeeError, errors.RateLimited):
    """Shopee throttled the partner or the shop."""


class ShopeeUnavailable(ShopeeError, errors.RetryLater):
    """A server error on a read, or the request never reached Shopee."""


class ShopeeOutcomeUnknown(ShopeeError, errors.OutcomeUnknown):
    """A write left and no clear answer came back: look before writing again."""


class ShopeeAuthError(ShopeeError, errors.AuthenticationFailed):
    """The partner key, the access token or the shop's authorisation was refused."""


class ShopeeRefreshRejected(ShopeeAuthError):
    """The refresh token was refused: already used (each works once) or older than 30 days.
    Only a new authorisation of the shop by its owner gives a new one."""


class ShopeeRequestFailed(ShopeeError, errors.FailLoudly):
    """Any other refusal (bad parameter, unknown order, redirect): retrying will not help."""

    def __init__(self, message: str, *, status: int | None = None, code: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code


class ShopeeConfigError(ShopeeError, errors.FailLoudly):
    """The connector is not configured well enough to make a call."""


#: Shopee's class for each intent of the shared HTTP error map
ERRORS = ErrorClasses("Shopee", ShopeeUnavailable, ShopeeRateLimited, ShopeeOutcomeUnknown, ShopeeAuthError,
                      ShopeeRequestFailed)

#: the access token is no longer good: refresh it once and ask again
TOKEN_REFUSED = frozenset({"invalid_access_token", "invalid_acceess_token", "error_access_token"})
_AUTH = frozenset({"error_auth", "error_sign", "error_permission", "error_shop_not_authorized",
                   "error_partner_id", "error_invalid_partner"}) | TOKEN_REFUSED
_RATE = ("too_many", "rate_limit", "error_frequency", "limit_exceed")
_SERVER = frozenset({"error_server", "error_inner", "error_network", "error_system_busy", "error_timeout",
                     "error_internal", "error_unknown"})


def error_intent(code: str) -> Intent:
    """The intent of one of Shopee's error codes (never called for the empty code of a success)."""
    lowered = code.lower()
    if lowered in _AUTH:
        return Intent.AUTH
    if any(part in lowered for part in _RATE):
        return Intent.RATE_LIMITED
    if lowered in _SERVER:
        return Intent.UNKNOWN_IF_WRITE
    return Intent.LOUD


def error_code(body: Any) -> str:
    """Shopee's ``error`` member: "" for a success, a short code otherwise."""
    if not isinstance(body, dict):
        return ""
    code = body.get("error")
    if not code:
        return ""
    return str(code)[:80]


def _request_id(body: Any) -> str:
    rid = body.get("request_id") if isinstance(body, dict) else None
    return f", request {str(rid)[:64]}" if rid else ""


def for_body(response: httpx.Response, body: Any, *, write: bool) -> errors.ConnectorError | None:
    """The error a Shopee answer stands for: its HTTP status first, then its ``error`` code."""
    code = error_code(body)
    detail = f" ({code}{_request_id(body)})" if code else ""
    error = ERRORS.for_response(response, write=write, detail=detail)
    if error is None and code:
        where = f"{response.request.method} {response.request.url.path}"
        intent = error_intent(code)
        message = f"Shopee refused {where}{detail}"
        error = ERRORS.error(intent, message, write=write, status=response.status_code)
        if intent is Intent.AUTH and code.lower() not in TOKEN_REFUSED:
            error = ShopeeAuthError(message + ": check the partner id, partner key and the shop's authorisation")
    if isinstance(error, ShopeeRequestFailed):
        error.code = code or None
    return error


def refused_access_token(body: Any) -> bool:
    return error_code(body).lower() in TOKEN_REFUSED
