"""Output helpers shared by the commands."""

from __future__ import annotations

import json
from typing import Any


def emit(data: Any) -> None:
    print(json.dumps(data, default=str, ensure_ascii=False), flush=True)
