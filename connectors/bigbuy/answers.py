"""Classifying BigBuy's answers: one pure function from (call, status, headers, body) to an outcome.

BigBuy's answers cannot be read by status alone: errors come inside 200 bodies, a whole raw
``HTTP/1.1 500`` response can be the body of a 200, fields come swapped, a 404 can be an empty 200.
Everything is decided here, without I/O, so it can be fuzzed; the connector only turns outcomes
into records or exceptions. ``classify`` never raises.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

from connectors import codes, http
from connectors.bigbuy import wire
from connectors.bigbuy.outcomes import (
    OUTCOMES,
    AlreadyExists,
    Call,
    Loud,
    NotFound,
    Ok,
    Outcome,
    Refused,
    Retry,
    Unknown,
    loads,
    short,
)
from connectors.bigbuy.refusals import ER_CODE, coded, form_refusals, plain_id, product_refusals
from connectors.http import Intent
from connectors.records import SupplierRefusal

__all__ = [
    "OUTCOMES",
    "AlreadyExists",
    "Call",
    "Loud",
    "NotFound",
    "Ok",
    "Outcome",
    "Refused",
    "Retry",
    "Unknown",
    "classify",
    "created_id",
    "header",
]


def classify(call: Call, status: int, headers: Mapping[str, str], body: bytes) -> Outcome:
    try:
        return _classify(call, status, headers, body)
    except Exception:  # noqa: BLE001 - a surprise in a body must become an outcome, never a crash
        if call.writes:
            return Unknown(f"unreadable answer (HTTP {status}) to a create")
        return Loud(f"unreadable answer (HTTP {status})", status=status)


def _classify(call: Call, status: int, headers: Mapping[str, str], body: bytes) -> Outcome:
    if status == 429:
        reset = _number(header(headers, "x-ratelimit-reset"))
        if reset is not None and reset < 1e9:  # seconds to wait rather than an epoch
            return Retry("rate limited (429)", retry_after=reset, rate_limited=True)
        if reset is None:  # not BigBuy's documented way, but a proxy in front may say Retry-After
            return Retry("rate limited (429)", retry_after=http.retry_after(headers), rate_limited=True)
        return Retry("rate limited (429)", reset_at=reset, rate_limited=True)
    if status == 401:
        return Loud("BigBuy refused the API key (401)", auth=True, status=status)
    raw = body.strip()
    success = 200 <= status < 300
    if raw[:5].upper() == b"HTTP/":
        return _transient(call, f"a raw HTTP response inside a {status} body")
    data, is_json = loads(raw)
    if not is_json:
        if not raw and success:
            return _empty_success(call, headers)
        if success:
            return _transient(call, f"a non-JSON {status} body ({_kind_of_text(raw)})")
        return _by_status(call, status, headers, _kind_of_text(raw), structured=False)
    if isinstance(data, dict):
        verdict = _error_body(call, status, data)
        if verdict is not None:
            return verdict
    if not success:
        listed = _listed_refusals(call, status, data)
        return listed or _by_status(call, status, headers, short(data), structured=True)
    if call.lookup and data in (None, "", [], {}):
        return NotFound(f"empty {status} answer")
    if call is Call.CREATE_SINGLE:
        created = created_id(headers, data)
        if created is None:
            return Unknown(f"{status} without an order id")
        return Ok({"order_id": created})
    return Ok(data)


def _error_body(call: Call, status: int, data: dict[Any, Any]) -> Outcome | None:
    """Errors recognised by their body, whatever the status said (BigBuy's statuses lie)."""
    code = data.get("code")
    if isinstance(code, str) and ER_CODE.fullmatch(code.strip()):
        return coded(code.strip().upper(), data.get("message"), data)
    if "orders" in data:
        return None  # a multishipping answer: its errors are parsed beside the orders it made
    errors = data.get("errors")
    if isinstance(errors, dict):
        refusals = form_refusals(errors, short(data.get("message")))
        return Refused(tuple(refusals), refusals[0].message)
    products = product_refusals(data.get("message"))
    if products:
        return Refused(tuple(products), products[0].message)
    fields = _error_fields(data)
    if fields is None:
        return None
    effective, message = fields
    low = message.lower()
    if call is Call.REFERENCE and _unknown_reference(status, message):
        return NotFound(message)
    if "invalid token" in low:
        return Loud("BigBuy refused the API key", auth=True, status=status)
    if 200 <= status < 300:
        if call.lookup and effective == 404:
            return NotFound(message)
        return _transient(call, f"an error inside a {status} body: {message}")
    return None


def _listed_refusals(call: Call, status: int, data: Any) -> Outcome | None:
    """A 4xx multishipping answer whose ``errors`` list names each refused part: its ER codes are
    kept. A 4xx create that also names orders says two things at once: it is looked up."""
    if call is Call.SHIPPING and status == 409 and isinstance(data, dict) and "error_detail" in data:
        return Ok(data)  # a cart mixing warehouses: the connector asks again per warehouse
    if not (call.may_refuse and 400 <= status < 500 and isinstance(data, dict)):
        return None
    made = data.get("orders")
    if isinstance(made, list) and made and call.writes:
        return Unknown(f"a {status} answer naming orders")
    entries = data.get("errors")
    if not isinstance(entries, list) or not entries:
        return None
    refusals, existing = wire.refusals_from_entries(entries)
    if existing and call.writes:  # an ER008 in a refusal: the id is confirmed by a look-up
        return AlreadyExists(None)
    return Refused(tuple(refusals), refusals[0].message) if refusals else None


def _error_fields(data: dict[Any, Any]) -> tuple[int | None, str] | None:
    """(code, message) of an error-looking dict; the swapped ``{"code": "Bad request",
    "message": 400}`` is read the right way round."""
    if "orders" in data or not ("message" in data or "error" in data):
        return None
    if "code" not in data and len(data) > 2:
        return None
    code, message = data.get("code"), data.get("message", data.get("error"))
    if isinstance(code, str) and isinstance(message, int) and not isinstance(message, bool):
        return message, code
    return _int(code), short(message)


def _by_status(call: Call, status: int, headers: Mapping[str, str], message: str, *, structured: bool) -> Outcome:
    """The shared HTTP error map, after BigBuy's own readings of a status."""
    text = f"HTTP {status}: {message}" if message else f"HTTP {status}"
    if call is Call.REFERENCE and _unknown_reference(status, message):
        return NotFound(message)
    if status == 404:
        if call.lookup and structured and "route" not in message.lower():
            return NotFound(message)
        return Loud(f"endpoint not found ({text})", status=status)
    if structured and status in (400, 409, 422) and call.may_refuse:
        refusal = SupplierRefusal(code=codes.SUPPLIER_REJECTED, message=text)
        return Refused((refusal,), text)
    intent = http.status_intent(status)
    wait = http.retry_after(headers)
    if intent is Intent.RATE_LIMITED:
        return Retry(text, retry_after=wait, rate_limited=True)
    if intent is Intent.RETRY or (intent is Intent.UNKNOWN_IF_WRITE and not call.writes):
        return Retry(text, retry_after=wait)
    if intent is Intent.UNKNOWN_IF_WRITE:
        return Unknown(text)
    if 300 <= status < 400:
        return Loud(f"unexpected redirect ({text})", status=status)
    return Loud(text, auth=intent is Intent.AUTH, status=status)


def _unknown_reference(status: int, message: str) -> bool:
    """BigBuy answers 404 "No order found with refOrder"; its sandbox answers 500 "An error has
    occurred". Reading the 500 as "not found" is safe: a create under a used reference is
    answered ER008 with the existing order, never made twice."""
    low = message.lower()
    return "no order found" in low or (status == 500 and "an error has occurred" in low)


def _empty_success(call: Call, headers: Mapping[str, str]) -> Outcome:
    if call is Call.CREATE_SINGLE:
        created = created_id(headers, None)
        return Ok({"order_id": created}) if created else Unknown("empty answer without Location")
    if call.lookup:
        return NotFound("empty answer")  # BigBuy's way of saying 404
    return _transient(call, "empty answer")


def _transient(call: Call, message: str) -> Outcome:
    return Unknown(message) if call.writes else Retry(message)


# Small readers --------------------------------------------------------------------------------


def header(headers: Mapping[str, str], name: str) -> str | None:
    """A header by name in any capitalisation (BigBuy sends ``X-Ratelimit-Reset`` on 429)."""
    for key, value in headers.items():
        if isinstance(key, str) and key.lower() == name:
            return value
    return None


def created_id(headers: Mapping[str, str], data: Any) -> str | None:
    """The id of a single create: ``{"order_id": ...}`` in the body, or ``Location: /rest/order/<id>``."""
    if isinstance(data, dict):
        found = plain_id(data.get("order_id", data.get("id")))
        if found:
            return found
    location = header(headers, "location")
    if location:
        match = re.search(r"/order/([A-Za-z0-9_-]+?)(?:\.json)?/?(?:[?#].*)?$", location.strip())
        if match:
            return plain_id(match.group(1))
    return None


def _kind_of_text(raw: bytes) -> str:
    head = raw[:200].lower()
    if b"<html" in head or b"<!doctype" in head:
        title = re.search(rb"<title>(.*?)</title>", raw[:2000], re.IGNORECASE | re.DOTALL)
        return "HTML page" + (f" '{short(title.group(1).decode('utf-8', 'replace'))}'" if title else "")
    return short(raw[:120].decode("utf-8", "replace")) if raw else "empty body"


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit() and len(value.strip()) < 6:
        return int(value.strip())
    return None


def _number(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        number = float(value.strip())
    except ValueError:
        return None
    return number if math.isfinite(number) and number >= 0 else None
