"""What the store cannot hold: in JSON (PostgreSQL ``jsonb``), NUL characters, NaN/Infinity and
lone UTF-16 surrogates (half a character: ``"\\ud83d"`` is valid JSON, and Python's JSON reader
keeps it as a code point no UTF-8 text can hold), all of which Python's JSON reader lets through;
in its columns, text or numbers past their size."""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from decimal import Decimal
from functools import cache, cached_property
from typing import Any, get_args

import orjson
from pydantic import BaseModel

_ENCODE = json.JSONEncoder(allow_nan=False).encode  # what json.dumps(allow_nan=False) makes, built once
#: a surrogate code point in a str (Python's JSON reader keeps a lone ``\\udXXX`` escape as one)
SURROGATE = re.compile("[\ud800-\udfff]")
#: a surrogate's escape in the standard encoder's ASCII text: paired ones (a character past U+FFFF)
#: match too, and only send the body to the exact walk
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def storable_text(body: Any) -> str | None:
    """The body as JSON text when it surely fits a JSON store (no NaN, no NUL, no surrogate), else
    None. orjson refuses surrogates, so they always reach the standard encoder, which escapes them."""
    text = _plain_text(body)
    if text is None:  # not plain JSON data: the standard encoder decides, as it always did
        try:
            text = _ENCODE(body)
        except (ValueError, TypeError, RecursionError):
            return None
        if _SURROGATE_ESCAPE.search(text):
            return None
    return None if "\\u0000" in text else text


def _plain_text(body: Any) -> str | None:
    """orjson's text of the body when reading it back gives the body again, else None.

    orjson is several times faster than the standard encoder but writes NaN and infinities as
    ``null`` (and dates, dataclasses and the like as strings): reading its text back and comparing
    catches each of these, since the value read back then differs from the body.
    """
    try:
        data = orjson.dumps(body)
        same = orjson.loads(data) == body
    except (TypeError, ValueError, RecursionError):  # orjson's errors are TypeError / ValueError
        return None
    return data.decode() if same else None


def surely_storable(body: Any) -> bool:
    """A quick yes for the common case, in C: the body serialises without NaN and shows no NUL.

    A no only means "look closer": a connector then walks the body to name the bad field.
    """
    return storable_text(body) is not None


def unstorable(body: Any) -> tuple[str, str] | None:
    """``(path, problem)`` of the first value a JSON store cannot hold, or None when all fit.

    The path names the field (``line_items[2].title``), never its value, so it can go into an
    error message; it is empty for the body itself.
    """
    if surely_storable(body):
        return None
    stack: list[tuple[Any, str]] = [(body, "")]
    while stack:
        value, path = stack.pop()
        if isinstance(value, str):
            if "\x00" in value:
                return path, "holds a NUL character"
            if not value.isascii() and SURROGATE.search(value):
                return path, "holds half a character (a lone UTF-16 surrogate)"
        elif isinstance(value, float):
            if not math.isfinite(value):
                return path, "is not a finite number"
        elif isinstance(value, dict):
            for key, child in value.items():
                if isinstance(key, str) and "\x00" in key:
                    return path, "has a key holding a NUL character"
                if isinstance(key, str) and not key.isascii() and SURROGATE.search(key):
                    return path, "has a key holding half a character (a lone UTF-16 surrogate)"
                stack.append((child, f"{path}.{key}"[:120] if path else str(key)[:120]))
        elif isinstance(value, list):
            stack.extend((child, f"{path}[{i}]"[:120]) for i, child in enumerate(value))
    return None


# What the store's columns hold ------------------------------------------------------------------


@dataclass(frozen=True)
class Stored:
    """Field metadata on a canonical record: the column a value is kept in and how much of it fits.

    Declared once, on the records (``Annotated[str, Stored("orders.number", length=100)]``); the
    parsers and ingest check records with ``too_large``, and a test holds these numbers to the
    tables' own column sizes.
    """

    column: str  # "table.column"
    length: int | None = None  # characters
    digits: int | None = None  # NUMERIC(digits, places)
    places: int = 2
    maximum: int | None = None  # an integer column's largest value
    key_prefix: str = ""  # kept lower-cased behind this prefix (a guest customer keyed by e-mail)

    @cached_property  # asked for every amount checked
    def max_amount(self) -> Decimal | None:
        """The first amount too large for the column (its integer digits), or None for text."""
        return None if self.digits is None else Decimal(10) ** (self.digits - self.places)


def stored(record: type[BaseModel], field: str) -> Stored:
    """The declaration on one field of a record."""
    found = [m for m in record.model_fields[field].metadata if isinstance(m, Stored)]
    if not found:
        raise LookupError(f"{record.__name__}.{field} declares no storage limit")
    return found[0]


def max_length(record: type[BaseModel], field: str) -> int:
    length = stored(record, field).length
    if length is None:
        raise LookupError(f"{record.__name__}.{field} is not text")
    return length


def max_amount(record: type[BaseModel], field: str) -> Decimal:
    top = stored(record, field).max_amount
    if top is None:
        raise LookupError(f"{record.__name__}.{field} is not an amount")
    return top


@cache
def _plan(record: type[BaseModel]) -> tuple[list[tuple[str, Stored]], list[str]]:
    """(declared fields, fields that may hold nested records) of a record class."""
    declared, nested = [], []
    for name, info in record.model_fields.items():
        limit = next((m for m in info.metadata if isinstance(m, Stored)), None)
        if limit is not None:
            declared.append((name, limit))
        elif name != "raw" and _may_hold_records(info.annotation):
            nested.append(name)
    return declared, nested


def _may_hold_records(annotation: Any) -> bool:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return True
    return any(_may_hold_records(a) for a in get_args(annotation))


def too_large(record: BaseModel, *, lengths: bool = True, path: str = "") -> tuple[str, str] | None:
    """``(path, problem)`` of the first value past its column (``lines[2].sku``), or None.

    ``lengths=False`` checks numbers only, for a store that cuts text to its column instead.
    """
    found = _first_past(record, lengths)
    if found is None:
        return None
    where, problem = found
    return (f"{path}.{where}" if path else where), problem


def _first_past(record: BaseModel, lengths: bool) -> tuple[str, str] | None:
    """What ``too_large`` finds, its path relative to ``record``: a path is only made for the
    value found (this runs for every order, on every field that has a column)."""
    declared, nested = _plan(type(record))
    values = record.__dict__
    for name, limit in declared:
        value = values[name]
        if value is None:
            continue
        if value.__class__ is str and not limit.key_prefix:  # most fields: a plain length check
            if lengths and limit.length is not None and len(value) > limit.length:
                return name, "is too long"
        elif problem := _past(limit, value, lengths):
            return name, problem
    for name in nested:
        value = values[name]
        if isinstance(value, BaseModel):
            found = _first_past(value, lengths)
            if found:
                return f"{name}.{found[0]}", found[1]
        elif isinstance(value, list):
            for index, item in enumerate(value):
                if isinstance(item, BaseModel) and (found := _first_past(item, lengths)):
                    return f"{name}[{index}].{found[0]}", found[1]
    return None


@cache
def _quantum(places: int) -> Decimal:
    return Decimal(1).scaleb(-places)


def _past(limit: Stored, value: Any, lengths: bool) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        if not lengths or limit.length is None:
            return None
        size = len(limit.key_prefix + value.lower()) if limit.key_prefix else len(value)
        return "is too long" if size > limit.length else None
    if isinstance(value, Decimal):
        top = limit.max_amount
        if top is None:
            return None
        # the column rounds to its places, so 999999999999.995 no longer fits in 12 digits
        fits = abs(value) < top and abs(value.quantize(_quantum(limit.places))) < top
        return None if fits else "is too large"
    if isinstance(value, int) and limit.maximum is not None and value > limit.maximum:
        return "is too large"
    return None
