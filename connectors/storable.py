"""What a JSON store (PostgreSQL ``jsonb``) cannot hold: NUL characters and NaN/Infinity, both of
which Python's JSON reader lets through."""

from __future__ import annotations

import json
import math
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
        elif isinstance(value, float):
            if not math.isfinite(value):
                return path, "is not a finite number"
        elif isinstance(value, dict):
            for key, child in value.items():
                if isinstance(key, str) and "\x00" in key:
                    return path, "has a key holding a NUL character"
                stack.append((child, f"{path}.{key}"[:120] if path else str(key)[:120]))
        elif isinstance(value, list):
            stack.extend((child, f"{path}[{i}]"[:120]) for i, child in enumerate(value))
    return None
