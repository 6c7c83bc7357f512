"""Reading Shopify's HTTP answers: status -> exception, rate-limit headers, ``Link`` paging.

Pure functions over ``httpx.Response`` so the connector stays about the API, not the wire.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx

from connectors.http import redact
from connectors.shopify.errors import (
    ShopifyAuthError,
    ShopifyError,
    ShopifyOutcomeUnknown,
    ShopifyParseError,
    ShopifyRateLimited,
    ShopifyRequestFailed,
    ShopifyUnavailable,
)

CALL_LIMIT_HEADER = "X-Shopify-Shop-Api-Call-Limit"
_CALL_LIMIT = re.compile(r"\s*(\d+)\s*/\s*(\d+)\s*")


def retry_after(response: httpx.Response) -> float | None:
    """Shopify sends seconds as a float ("2.0"); anything else is ignored, not trusted."""
    raw = response.headers.get("Retry-After")
    if raw is None:
        return None
    try:
        seconds = float(raw)
    except ValueError:
        return None
    return seconds if math.isfinite(seconds) and seconds >= 0 else None


def call_limit(response: httpx.Response) -> tuple[int, int] | None:
    match = _CALL_LIMIT.fullmatch(response.headers.get(CALL_LIMIT_HEADER, ""))
    if match is None:
        return None
    used, size = int(match.group(1)), int(match.group(2))
    return (used, size) if size > 0 else None


def next_page_info(response: httpx.Response) -> str | None:
    """The ``page_info`` of the ``rel="next"`` link; None on the last page."""
    if "link" not in response.headers:
        return None
    try:
        url = response.links.get("next", {}).get("url")
    except (ValueError, KeyError, TypeError):
        return None
    if not url:
        return None
    values = parse_qs(urlsplit(url).query).get("page_info")
    return values[0] if values and values[0] else None


def json_body(response: httpx.Response, what: str) -> Any:
    try:
        return response.json()
    except (ValueError, UnicodeDecodeError):
        raise ShopifyParseError(f"{what} is not JSON") from None


def _detail(response: httpx.Response, secret: str) -> str:
    """Shopify's own "errors" member, short, with the token removed should it ever be echoed."""
    try:
        errors = response.json().get("errors")
    except (ValueError, UnicodeDecodeError, AttributeError):
        return ""
    if errors is None:
        return ""
    text = errors if isinstance(errors, str) else json.dumps(errors, default=str)
    return ": " + redact(text, secret)[:200]


def raise_for_status(response: httpx.Response, *, write: bool, secret: str) -> None:
    status = response.status_code
    if status < 300:
        return
    where = f"{response.request.method} {response.request.url.path}"
    wait = retry_after(response)
    if status == 429:
        raise ShopifyRateLimited(f"Shopify throttled {where} (429)", retry_after=wait)
    if status in (401, 403):
        raise ShopifyAuthError(f"Shopify refused the access token on {where} ({status})"
                               f"{_detail(response, secret)}")
    if status >= 500:
        if write:
            raise ShopifyOutcomeUnknown(f"Shopify answered {status} to {where}", retry_after=wait)
        raise ShopifyUnavailable(f"Shopify answered {status} to {where}", retry_after=wait)
    detail = _detail(response, secret)
    raise ShopifyRequestFailed(f"Shopify refused {where} ({status}){detail}", status=status)


def transport_error(exc: httpx.TransportError, *, write: bool) -> ShopifyError:
    """Only the exception's class goes in the message: its text may carry request details."""
    kind = type(exc).__name__
    # a refused connection means the request never left, so even a write may simply be sent again
    if not write or isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout):
        return ShopifyUnavailable(f"Shopify could not be reached ({kind})")
    return ShopifyOutcomeUnknown(f"no answer from Shopify to a write ({kind})")
