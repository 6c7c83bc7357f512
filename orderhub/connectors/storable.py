"""What a JSON store (PostgreSQL ``jsonb``) cannot hold: NUL characters and NaN/Infinity, both of
which Python's JSON reader lets through."""

from __future__ import annotations

import json
from typing import Any


def surely_storable(body: Any) -> bool:
    """A quick yes for the common case, in C: the body serialises without NaN and shows no NUL.

    A no only means "look closer": a connector then walks the body to name the bad field.
    """
    try:
        text = json.dumps(body, allow_nan=False)
    except (ValueError, TypeError, RecursionError):
        return False
    return "\\u0000" not in text
