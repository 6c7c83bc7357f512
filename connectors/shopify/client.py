"""Reading Shopify's HTTP answers: its error reason, rate-limit headers, ``Link`` paging.

Pure functions over ``httpx.Response`` so the connector stays about the API, not the wire.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx

from connectors.errors import ConnectorError
from connectors.http import redact
from connectors.shopify.errors import ERRORS, ShopifyParseError

CALL_LIMIT_HEADER = "X-Shopify-Shop-Api-Call-Limit"
_CALL_LIMIT = re.compile(r"\s*(\d+)\s*/\s*(\d+)\s*")


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
    """Raises the error the answer stands for (``connectors.http``'s map) with Shopify's reason."""
    detail = _detail(response, secret) if 400 <= response.status_code < 500 else ""
    error = ERRORS.for_response(response, write=write, detail=detail)
    if error is not None:
        raise error


def transport_error(exc: httpx.TransportError, *, write: bool) -> ConnectorError:
    return ERRORS.for_transport(exc, write=write)
