"""The conformance suite's fixtures: every case runs for each profile (or each declaring the
capability it needs), over both transports, on each database backend (PostgreSQL with Redis as the
engine's shared storage when the test services are set)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack

import pytest

from connectors.shopee import tokens
from sandbox import seeding
from sync import connect
from sync.db import Database
from sync.settings import get_settings

from support import REDIS_URL
from support.conformance import TRANSPORTS, OpenShop, Profile, Shop, reach
from support.profiles import PROFILES


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """``profile`` is every profile, or those declaring the capability a module names in
    ``CAPABILITY``; ``transport`` is the sandbox over loopback and respx in this process."""
    if "profile" in metafunc.fixturenames:
        needed = getattr(metafunc.module, "CAPABILITY", None)
        chosen = [p for p in PROFILES if needed is None or getattr(p, needed)]
        metafunc.parametrize("profile", chosen, ids=[p.name for p in chosen])
    if "transport" in metafunc.fixturenames:
        metafunc.parametrize("transport", TRANSPORTS)


@pytest.fixture
def redis_url(db: Database, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Redis as the engine's rate-limit storage beside PostgreSQL; none beside SQLite."""
    url = "" if db.is_sqlite else REDIS_URL
    if url:
        monkeypatch.setenv("ORDERHUB_RATELIMIT_URL", url)
    get_settings.cache_clear()
    yield url
    get_settings.cache_clear()


@pytest.fixture
def open_shop(profile: Profile, transport: str, redis_url: str) -> Iterator[OpenShop]:
    with ExitStack() as stack:

        def open_(specs: list[seeding.OrderSpec]) -> Shop:
            app = profile.sandbox(specs) if transport == "sandbox" else profile.respx_shop(specs)
            url = stack.enter_context(reach(profile, app, transport))
            return Shop(profile, app, url, list(specs), redis_url=redis_url)

        yield open_
    connect.forget()
    tokens._local_states.clear()
