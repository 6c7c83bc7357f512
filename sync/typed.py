"""Numbers as an operator, a buyer or a form types them: only ASCII digits count.

``str.isdigit()`` also says yes to "²" (which ``int()`` refuses, so a check by it lets a crash
through) and to "٣" (which ``int()`` reads as 3); and a row id longer than a BIGINT names no row.
"""

from __future__ import annotations

from sync.models import MAX_ID

__all__ = ["MAX_ID", "digits", "row_id"]


def digits(text: str) -> bool:
    """Only 0-9, at least one."""
    return text.isascii() and text.isdigit()


def row_id(text: str) -> int | None:
    """The row id ``text`` names, or None when it can name none (not digits, 0, past BIGINT)."""
    text = text.strip()
    if not digits(text) or len(text) > len(str(MAX_ID)):
        return None
    found = int(text)
    return found if 1 <= found <= MAX_ID else None
