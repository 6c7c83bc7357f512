"""BigBuy's refusals -> the design's issue codes: ER00x errors, the 409 products error, and the
400 form-validation tree (where the field path tells which issue it is)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from connectors import codes
from connectors.bigbuy.outcomes import (
    AlreadyExists,
    Outcome,
    Refused,
    Retry,
    loads,
    short,
    strings,
)
from connectors.records import SupplierOrder, SupplierRefusal
from connectors.storable import max_length

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
_MAX_DEPTH = 12
#: supplier order ids (and product references, as long) are kept as the records declare
MAX_ID = max_length(SupplierOrder, "supplier_order_id")
MAX_FIELD = max_length(SupplierRefusal, "field")


def plain_id(value: Any, limit: int = MAX_ID) -> str | None:
    """An id as BigBuy gives it (a string or an integer), stripped; None when there is none: blank,
    of another type, longer than ``limit`` (its column), or holding a NUL (the store could keep
    neither)."""
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        return None
    if isinstance(value, int) and abs(value) >= 10**limit:
        return None
    text = str(value).strip()
    if not text or len(text) > limit or "\x00" in text:
        return None
    return text


def coded(code: str, message: Any, entry: Mapping[Any, Any] | None = None) -> Outcome:
    """One ER00x error, from a whole body or from one entry of a multishipping ``errors`` list."""
    info, data = _info_data(message)
    data_map: Mapping[Any, Any] = data if isinstance(data, Mapping) else {}
    if code == "ER008":
        return AlreadyExists(plain_id(data_map.get("orderId")))  # without it, the id is looked up
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
        parsed, is_json = loads(message.strip().encode("utf-8", "replace"))
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
        field = ".".join(path).replace("\x00", "")[:MAX_FIELD] or None
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
            text = short(error.get("message") if isinstance(error, Mapping) else error)
            if text:  # a blank complaint says nothing: the tree's message stands in when none is left
                out.append((path, text))
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
