"""What the commands share: the one-line input error and JSON output."""

from __future__ import annotations

import json
from typing import Any


class InputError(Exception):
    """The command was given something it cannot use: exit 2, one line."""


def emit(data: Any) -> None:
    print(json.dumps(data, default=str, ensure_ascii=False), flush=True)
