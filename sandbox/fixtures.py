"""Where the sandbox's seed data lives: ``fixtures/sandbox/`` of a checkout, or the copy an
installed wheel puts in ``<prefix>/share/orderhub/sandbox`` (pyproject's shared-data).
``ORDERHUB_SANDBOX_FIXTURES`` points elsewhere when set."""

from __future__ import annotations

import json
import os
import sysconfig
from functools import cache
from pathlib import Path
from typing import Any

_PACKAGE = Path(__file__).resolve().parent


def folder() -> Path:
    given = os.environ.get("ORDERHUB_SANDBOX_FIXTURES")
    installed = Path(sysconfig.get_path("data")) / "share" / "orderhub" / "sandbox"
    candidates = [Path(given)] if given else [_PACKAGE.parent / "fixtures" / "sandbox", installed]
    for candidate in candidates:
        if (candidate / "catalogue.json").is_file():
            return candidate
    looked = ", ".join(str(c) for c in candidates)
    raise FileNotFoundError(f"the sandbox's seed data is missing (looked in {looked})")


@cache
def load(name: str) -> Any:
    """One seed file, parsed (``catalogue.json``, ``people.json``)."""
    return json.loads((folder() / name).read_text(encoding="utf-8"))
