"""Classifying BigBuy's answers: one pure function from (call, status, headers, body) to an outcome.

BigBuy's answers cannot be read by status alone: errors come inside 200 bodies, a whole raw
``HTTP/1.1 500`` response can be the body of a 200, fields come swapped, a 404 can be an empty 200.
Everything is decided here, without I/O, so it can be fuzzed; the connector only turns outcomes
into records or exceptions. ``classify`` never raises.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from orderhub.connectors import codes
from orderhub.connectors.records import SupplierRefusal


class Call(StrEnum):
    """What was asked: decides whether a failure may have stored something."""

    CREATE = "create"  # POST order/create/multishipping.json
    CREATE_SINGLE = "create_single"  # POST order/create.json
    CHECK = "check"  # POST order/check.json
    CHECK_MULTI = "check_multi"  # POST order/check/multishipping.json
    REFERENCE = "reference"  # GET order/reference/{ref}.json
    ORDER = "order"  # GET order/{id}.json
    STATUSES = "statuses"
    TRACKING = "tracking"  # POST tracking/orders.json (a read, despite the verb)
    TRACKING_ORDER = "tracking_order"
    CARRIERS = "carriers"
    PURSE = "purse"

    @property
    def writes(self) -> bool:
        return self in (Call.CREATE, Call.CREATE_SINGLE)

    @property
    def lookup(self) -> bool:
        """A read of one thing, where "not found" is an answer rather than a failure."""
        return self in (Call.REFERENCE, Call.ORDER, Call.TRACKING_ORDER)

    @property
    def may_refuse(self) -> bool:
        """Calls whose 4xx are verdicts on the order (refusals), not on our request."""
        return self.writes or self in (Call.CHECK, Call.CHECK_MULTI)


@dataclass(frozen=True)
class Ok:
    payload: Any


@dataclass(frozen=True)
class NotFound:
    message: str


@dataclass(frozen=True)
class AlreadyExists:
    """ER008: the reference was used before; the existing order's id when BigBuy gave it."""

    order_id: str | None


@dataclass(frozen=True)
class Refused:
    refusals: tuple[SupplierRefusal, ...]
    message: str


@dataclass(frozen=True)
class Retry:
    message: str
    retry_after: float | None = None
    reset_at: float | None = None  # epoch seconds, from X-Ratelimit-Reset
    rate_limited: bool = False


@dataclass(frozen=True)
class Unknown:
    """A write may or may not have been stored."""

    message: str


@dataclass(frozen=True)
class Loud:
    message: str
    auth: bool = False
    status: int | None = None


Outcome = Ok | NotFound | AlreadyExists | Refused | Retry | Unknown | Loud
OUTCOMES: tuple[type, ...] = (Ok, NotFound, AlreadyExists, Refused, Retry, Unknown, Loud)

ER_ISSUES: dict[str, str] = {
    "ER001": codes.UNKNOWN_SKU,
    "ER002": codes.UNKNOWN_SKU,
    "ER003": codes.OUT_OF_STOCK,
    "ER004": codes.INVALID_POSTCODE,
    "ER005": codes.INSUFFICIENT_WALLET,
    "ER007": codes.ORDER_BELOW_MINIMUM,
    "ER010": codes.NO_CARRIER,
}
ER_CODE = re.compile(r"ER\d{3}", re.IGNORECASE)
_MAX_TEXT = 300
_MAX_DEPTH = 12


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
        return Retry("rate limited (429)", reset_at=reset, rate_limited=True)
    if status == 401:
        return Loud("BigBuy refused the API key (401)", auth=True, status=status)
    raw = body.strip()
    success = 200 <= status < 300
    if raw[:5].upper() == b"HTTP/":
        return _transient(call, f"a raw HTTP response inside a {status} body")
    data, is_json = _json(raw)
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
        return _by_status(call, status, headers, short(data), structured=True)
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
    if call is Call.REFERENCE and "no order found" in low:
        return NotFound(message)
    if "invalid token" in low:
        return Loud("BigBuy refused the API key", auth=True, status=status)
    if 200 <= status < 300:
        if call.lookup and effective == 404:
            return NotFound(message)
        return _transient(call, f"an error inside a {status} body: {message}")
    return None


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


def _by_status(
    call: Call, status: int, headers: Mapping[str, str], message: str, *, structured: bool
) -> Outcome:
    text = f"HTTP {status}: {message}" if message else f"HTTP {status}"
    if call is Call.REFERENCE and "no order found" in message.lower():
        return NotFound(message)  # the real sandbox answers 500 for an unknown reference
    if 300 <= status < 400:
        return Loud(f"unexpected redirect ({text})", status=status)
    if status == 404:
        if call.lookup and structured and "route" not in message.lower():
            return NotFound(message)
        return Loud(f"endpoint not found ({text})", status=status)
    if status == 408:
        return Retry(text)  # the request was not read in full, so nothing was handled
    if 400 <= status < 500:
        if structured and status in (400, 409, 422) and call.may_refuse:
            refusal = SupplierRefusal(code=codes.SUPPLIER_REJECTED, message=text)
            return Refused((refusal,), text)
        return Loud(text, status=status)
    if call.writes:
        return Unknown(text)
    return Retry(text, retry_after=_number(header(headers, "retry-after")))


def _empty_success(call: Call, headers: Mapping[str, str]) -> Outcome:
    if call is Call.CREATE_SINGLE:
        created = created_id(headers, None)
        return Ok({"order_id": created}) if created else Unknown("empty answer without Location")
    if call.lookup:
        return NotFound("empty answer")  # BigBuy's way of saying 404
    return _transient(call, "empty answer")


def _transient(call: Call, message: str) -> Outcome:
    return Unknown(message) if call.writes else Retry(message)


# Coded errors ---------------------------------------------------------------------------------


def coded(code: str, message: Any, entry: Mapping[Any, Any] | None = None) -> Outcome:
    """One ER00x error, from a whole body or from one entry of a multishipping ``errors`` list."""
    info, data = _info_data(message)
    data_map: Mapping[Any, Any] = data if isinstance(data, Mapping) else {}
    if code == "ER008":
        order_id = data_map.get("orderId")
        if isinstance(order_id, (str, int)) and not isinstance(order_id, bool) and str(order_id):
            return AlreadyExists(str(order_id))
        return AlreadyExists(None)
    if code == "ER009":
        return Retry(f"ER009 temporary order error: {info}")
    issue = ER_ISSUES.get(code, codes.SUPPLIER_REJECTED)
    skus = strings(data_map.get("skus"))
    if not skus and entry is not None:
        skus = strings(entry.get("productReferences"))
    detail = _detail(code, data_map)
    text = f"{code}: {info}{detail}" if info else f"{code}{detail}"
    field = "shippingAddress.postcode" if code == "ER004" else None
    refusal = SupplierRefusal(code=issue, message=text, field=field, skus=skus, supplier_code=code)
    return Refused((refusal,), text)


def _detail(code: str, data: Mapping[Any, Any]) -> str:
    keys = {
        "ER004": ("zipExample",),
        "ER005": ("moneyBoxAmount", "totalOrder"),
        "ER007": ("minimunPurchase", "totalOrder"),
        "ER012": ("minBankwire",),
    }.get(code, ())
    parts = [f"{k}={short(data[k])}" for k in keys if k in data]
    return f" ({', '.join(parts)})" if parts else ""


def _info_data(message: Any) -> tuple[str, Any]:
    """BigBuy's ``message`` is itself JSON ``{"info", "data"}``, or plain text, or a dict."""
    parsed = message
    if isinstance(message, str):
        parsed, is_json = _json(message.strip().encode("utf-8", "replace"))
        if not is_json:
            return short(message), None
    if isinstance(parsed, dict):
        return short(parsed.get("info", "")), parsed.get("data")
    return short(message), None


def product_refusals(message: Any) -> list[SupplierRefusal]:
    """The 409 ``Products error.``: a list of ``{sku, message}``, grouped by issue."""
    info, data = _info_data(message)
    if not isinstance(data, list):
        return []
    grouped: dict[str, list[tuple[str, str]]] = {}
    for item in data[:200]:
        if isinstance(item, dict) and "sku" in item:
            text = short(item.get("message"))
            grouped.setdefault(_product_issue(text), []).append((short(item["sku"]), text))
    refusals = []
    for issue, items in grouped.items():
        texts = sorted({text for _, text in items if text})
        text = f"{info} {' '.join(texts)}".strip() or "product error"
        refusals.append(SupplierRefusal(code=issue, message=text, skus=[s for s, _ in items]))
    return refusals


def _product_issue(text: str) -> str:
    low = text.lower()
    if any(w in low for w in ("inactive", "not active", "discontinu", "disabled", "no longer")):
        return codes.DISCONTINUED
    if "stock" in low:
        return codes.OUT_OF_STOCK
    if any(w in low for w in ("not found", "not exist", "unknown", "wrong reference")):
        return codes.UNKNOWN_SKU
    return codes.SUPPLIER_REJECTED


# Form validation ------------------------------------------------------------------------------


def form_refusals(tree: Mapping[Any, Any], message: str) -> list[SupplierRefusal]:
    """A Symfony form-error tree: one refusal per field that complained."""
    found: list[tuple[tuple[str, ...], str]] = []
    _walk(tree, (), found, 0)
    refusals = []
    for path, text in found:
        field = ".".join(path) or None
        refusals.append(SupplierRefusal(code=_field_issue(path, text), message=text, field=field))
    if not refusals:
        refusals.append(SupplierRefusal(code=codes.SUPPLIER_REJECTED, message=message or "invalid"))
    return refusals


def _walk(node: Any, path: tuple[str, ...], out: list[tuple[tuple[str, ...], str]], depth: int) -> None:
    if depth > _MAX_DEPTH or len(out) >= 50 or not isinstance(node, Mapping):
        return
    errors = node.get("errors")
    if isinstance(errors, list):
        for error in errors[:20]:
            text = error.get("message") if isinstance(error, Mapping) else error
            if text is not None and text != "":
                out.append((path, short(text)))
    elif isinstance(errors, Mapping):
        _walk(errors, path, out, depth + 1)
    children = node.get("children")
    if isinstance(children, Mapping):
        for name, child in list(children.items())[:100]:
            _walk(child, (*path, str(name)), out, depth + 1)
    elif isinstance(children, list):
        for index, child in enumerate(children[:100]):
            _walk(child, (*path, str(index)), out, depth + 1)


def _field_issue(path: tuple[str, ...], text: str) -> str:
    names = [p.lower() for p in path if not p.isdigit()]
    leaf = names[-1] if names else ""
    low = text.lower()
    blank = any(w in low for w in ("blank", "null", "empty", "required", "missing"))
    if leaf == "address":
        if "too long" in low or "or less" in low:
            return codes.ADDRESS_TOO_LONG
        return codes.MISSING_ADDRESS if blank else codes.SUPPLIER_REJECTED
    if leaf in ("postcode", "zipcode", "zip", "postalcode"):
        return codes.INVALID_POSTCODE
    if leaf == "phone":
        return codes.MISSING_PHONE
    if leaf == "lastname":
        return codes.MISSING_SURNAME
    if leaf == "firstname":
        return codes.MISSING_FIRST_NAME
    if leaf == "reference" and "products" in names:
        return codes.MISSING_SKU if blank else codes.UNKNOWN_SKU
    return codes.SUPPLIER_REJECTED


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
        value = data.get("order_id", data.get("id"))
        if isinstance(value, (str, int)) and not isinstance(value, bool) and str(value).strip():
            return str(value).strip()
    location = header(headers, "location")
    if location:
        match = re.search(r"/order/([A-Za-z0-9_-]+?)(?:\.json)?/?(?:[?#].*)?$", location.strip())
        if match:
            return match.group(1)
    return None


def _json(raw: bytes) -> tuple[Any, bool]:
    if not raw:
        return None, False
    try:
        return json.loads(raw), True
    except (ValueError, RecursionError):
        return None, False


def _kind_of_text(raw: bytes) -> str:
    head = raw[:200].lower()
    if b"<html" in head or b"<!doctype" in head:
        title = re.search(rb"<title>(.*?)</title>", raw[:2000], re.IGNORECASE | re.DOTALL)
        return "HTML page" + (f" '{short(title.group(1).decode('utf-8', 'replace'))}'" if title else "")
    return short(raw[:120].decode("utf-8", "replace")) if raw else "empty body"


def short(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        text = value
    else:
        try:
            text = json.dumps(value, default=str)
        except (ValueError, TypeError, RecursionError):
            text = repr(value)
    text = " ".join(text.split())
    return text if len(text) <= _MAX_TEXT else text[: _MAX_TEXT - 1] + "…"


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


def strings(value: Any) -> list[str]:
    if isinstance(value, (str, int)) and not isinstance(value, bool):
        return [str(value)]
    if not isinstance(value, list):
        return []
    return [str(v) for v in value[:200] if isinstance(v, (str, int)) and not isinstance(v, bool)]
