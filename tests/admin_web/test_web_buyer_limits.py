"""The buyer pages' rate limit: per address, answered with 429 and Retry-After; kept in the
process without Redis, and shared by every admin instance through Redis when one is configured."""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import pytest
import redis
from fastapi import FastAPI
from fastapi.testclient import TestClient

from admin.web import address_limits
from admin.web.app import create_app
from sync.db import Database
from sync.settings import Settings

from support import REDIS_URL
from support.admin import Seeded
from support.s3 import free_port

#: the address every TestClient request comes from
ADDRESS = "testclient"
STORES = ["memory", pytest.param("redis", marks=pytest.mark.redis)]


@pytest.fixture(params=STORES)
def settings(request: pytest.FixtureRequest) -> Iterator[Settings]:
    if request.param == "memory":
        yield Settings(ratelimit_url="", broker_url="")
        return
    if not REDIS_URL:
        pytest.skip("ORDERHUB_TEST_REDIS_URL is not set")
    client = redis.Redis.from_url(REDIS_URL)
    key = f"orderhub:buyer-page:{ADDRESS}"
    client.delete(key)  # a budget left by an earlier run lives on for two minutes
    yield Settings(ratelimit_url=REDIS_URL)
    client.delete(key)
    client.close()


def _app(db: Database, seeded: Seeded, settings: Settings) -> FastAPI:
    return create_app(db, forward=seeded.forwarder(db), secret="test-secret", settings=settings)


def test_one_address_gets_its_budget_then_429_with_retry_after(db: Database, seeded: Seeded,
                                                                settings: Settings) -> None:
    client = TestClient(_app(db, seeded, settings), follow_redirects=False)
    answers = [client.get("/m/nothing") for _ in range(address_limits.RATE + 1)]
    assert [a.status_code for a in answers[:-1]] == [404] * address_limits.RATE
    refused = answers[-1]
    assert refused.status_code == 429 and "Too many requests" in refused.text
    assert 1 <= int(refused.headers["Retry-After"]) <= int(address_limits.WINDOW_SECONDS)
    assert client.post("/m/nothing", data={}).status_code == 429  # posts spend from the same budget


def test_instances_share_one_budget_per_address_when_redis_is_configured(db: Database, seeded: Seeded,
                                                                          settings: Settings) -> None:
    first = TestClient(_app(db, seeded, settings), follow_redirects=False)
    second = TestClient(_app(db, seeded, settings), follow_redirects=False)
    half = address_limits.RATE // 2
    assert {first.get("/m/nothing").status_code for _ in range(half)} == {404}
    assert {second.get("/m/nothing").status_code for _ in range(address_limits.RATE - half)} == {404}
    shared = settings.ratelimit_storage().startswith("redis")
    assert isinstance(first.app.state.buyer_limiter,  # type: ignore[attr-defined]
                      address_limits.SharedAddressLimiter if shared else address_limits.AddressLimiter)
    # through Redis the budget is spent; in memory each instance still has half of its own
    assert first.get("/m/nothing").status_code == (429 if shared else 404)
    assert second.get("/m/nothing").status_code == (429 if shared else 404)


def test_another_address_has_its_own_budget(settings: Settings) -> None:
    limiter = address_limits.address_limiter(settings)
    if isinstance(limiter, address_limits.SharedAddressLimiter):
        limiter.prefix = f"orderhub:buyer-page-test:{secrets.token_hex(6)}:"  # expires on its own
    assert all(limiter.wait_for("203.0.113.1") == 0 for _ in range(address_limits.RATE))
    assert limiter.wait_for("203.0.113.1") > 0
    assert limiter.wait_for("203.0.113.2") == 0


def test_the_pages_stay_open_when_redis_does_not_answer() -> None:
    limiter = address_limits.SharedAddressLimiter(f"redis://127.0.0.1:{free_port()}/0")
    assert limiter.wait_for("203.0.113.9") == 0
