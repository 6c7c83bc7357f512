"""The buyer's details as the admin's search looks them up: columns of their own on the order,
derived from its delivery address whenever the address is written, each with an index.

Names and e-mails are folded (lower case, accents and extra spaces gone) so that ``garcia``
finds ``García``; a phone keeps its digits, last first, so that a number typed with or without
its country code is a prefix of what is stored. Every value is compared by code point (the
PostgreSQL columns use the ``C`` collation), so a prefix is an index range on either database.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache
from typing import Any

#: the order columns this module fills, and their lengths
COLUMNS = {"search_name": 200, "search_surname": 200, "search_email": 320, "search_phone": 50}
#: a phone typed is matched on its last digits: enough to tell numbers apart, few enough to
#: leave out any country code or trunk prefix
PHONE_DIGITS = 9


def fold(text: str | None) -> str:
    """Lower case, no accents, single spaces: what names are compared as."""
    return _folded(text) if text else ""


@lru_cache(maxsize=8192)  # buyers' names repeat from order to order
def _folded(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(plain.casefold().split())


def phone_key(text: str | None) -> str:
    """The digits of a phone number, last first."""
    return "".join(c for c in (text or "") if c.isdigit())[::-1]


def search_columns(address: dict[str, Any] | None) -> dict[str, str | None]:
    """The search columns of an order whose delivery address is ``address``."""
    a = address or {}
    first, last = fold(a.get("first_name")), fold(a.get("last_name"))
    values = {
        "search_name": " ".join(p for p in (first, last) if p),
        "search_surname": " ".join(p for p in (last, first) if p),
        "search_email": (a.get("email") or "").strip().lower(),
        "search_phone": phone_key(a.get("phone")),
    }
    return {k: (v[: COLUMNS[k]] or None) for k, v in values.items()}


def prefix_range(prefix: str) -> tuple[str, str | None]:
    """The values that start with ``prefix`` are those ``>= low`` and ``< high`` (by code point;
    ``high`` is None when nothing sorts after them)."""
    chars = list(prefix)
    while chars:
        following = ord(chars[-1]) + 1
        if 0xD800 <= following <= 0xDFFF:  # surrogates are no characters: skip them
            following = 0xE000
        if following <= 0x10FFFF:
            return prefix, "".join(chars[:-1]) + chr(following)
        chars.pop()  # the last code point has no successor: carry to the one before
    return prefix, None
