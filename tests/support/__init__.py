"""What the tests share: where the fixtures are, which real services to use, builders of orders
and accounts (``orders``), the one fake supplier (``supplier``), a recording pacer (``pacing``)
and the fuzzers' strategies."""

from __future__ import annotations

import os
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "fixtures"
#: the platforms' published bodies, copied into the repository with their sources (README there)
PAYLOADS = FIXTURES / "payloads"

PG_URL = os.environ.get("ORDERHUB_TEST_DATABASE_URL", "")
REDIS_URL = os.environ.get("ORDERHUB_TEST_REDIS_URL", "")


def payload(*parts: str) -> Path:
    return PAYLOADS.joinpath(*parts)
