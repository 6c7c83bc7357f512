"""Amazon's usage plans shared through Redis: two connectors of one account, each with its own
bucket objects (as two processes would have), together stay inside the plan's burst and rate, and
a rate announced by ``x-amzn-RateLimit-Limit`` to one is followed by the other."""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx
import pytest
import respx
from pydantic import SecretStr

from connectors.amazon import AmazonConnector
from connectors.amazon.pacing import USAGE_PLANS, Buckets, SharedOperationBucket
from connectors.base import ConnectorConfig

import support
from support import REDIS_URL

API = "https://sellingpartnerapi-eu.amazon.com"
TOKEN_URL = "https://api.amazon.com/auth/o2/token"
ORDER_ID = "123-4567890-1234567"

pytestmark = pytest.mark.redis


class Clock:
    """One wall clock for both "processes"; a wait moves it on instead of sleeping."""

    def __init__(self) -> None:
        self.now = 1_900_000_000.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def redis_url() -> str:
    if not REDIS_URL:
        pytest.skip("ORDERHUB_TEST_REDIS_URL is not set")
    return REDIS_URL


def _connector(refresh_token: str, redis_url: str, clock: Clock) -> AmazonConnector:
    config = ConnectorConfig(name="amz", kind="amazon", url=API, settings={"lock_url": "memory://"}, credentials={
        "refresh_token": SecretStr(refresh_token), "client_id": SecretStr("amzn1.application-oa2-client.x"),
        "client_secret": SecretStr("client-secret")})
    connector = AmazonConnector(config)
    connector.sleep = lambda seconds: None
    connector.share_pacing(redis_url)
    assert connector.buckets.shared
    connector.buckets = Buckets(redis_url, connector.account_key(), clock=clock, sleep=clock.sleep)
    return connector


def _routes(router: respx.MockRouter, rate: str = "0.5") -> respx.Route:
    router.post(TOKEN_URL).mock(return_value=httpx.Response(200, json={
        "access_token": "Atza|t", "refresh_token": "r", "token_type": "bearer", "expires_in": 3600}))
    body: Any = json.loads(support.payload("amazon", "v2026.getOrder.200.example.json").read_text())
    return router.get(f"{API}/orders/2026-01-01/orders/{ORDER_ID}").mock(
        return_value=httpx.Response(200, json=body, headers={"x-amzn-RateLimit-Limit": rate}))


def test_two_processes_together_stay_inside_the_operations_burst_and_rate(redis_url: str) -> None:
    grant = f"Atzr|{uuid.uuid4()}"
    clock = Clock()
    plan = USAGE_PLANS["getOrder"]
    with respx.mock(assert_all_called=False) as router:
        calls = _routes(router, rate=str(plan.rate))
        one, other = _connector(grant, redis_url, clock), _connector(grant, redis_url, clock)
        assert one.buckets["getOrder"] is not other.buckets["getOrder"]
        started = clock.now
        for n in range(plan.burst + 10):
            (one if n % 2 else other).get_order(ORDER_ID)
    assert calls.call_count == plan.burst + 10
    # the burst went at once; the ten after it waited one token each, whoever made them: two
    # buckets of their own would have let 2 x burst through without a wait
    assert clock.now - started == pytest.approx(10 / plan.rate, rel=0.01)


def test_a_rate_announced_to_one_process_paces_the_other(redis_url: str) -> None:
    grant = f"Atzr|{uuid.uuid4()}"
    clock = Clock()
    with respx.mock(assert_all_called=False) as router:
        _routes(router, rate="0.25")
        one, other = _connector(grant, redis_url, clock), _connector(grant, redis_url, clock)
        one.get_order(ORDER_ID)
    assert other.buckets["getOrder"].rate == pytest.approx(0.25)
    bucket = other.buckets["getOrder"]
    assert isinstance(bucket, SharedOperationBucket)
    bucket.empty()
    assert one.buckets["getOrder"].due() == pytest.approx(1 / 0.25)


def test_other_accounts_have_buckets_of_their_own(redis_url: str) -> None:
    clock = Clock()
    one = _connector(f"Atzr|{uuid.uuid4()}", redis_url, clock)
    other = _connector(f"Atzr|{uuid.uuid4()}", redis_url, clock)
    assert one.account_key() != other.account_key()
    one.buckets["getOrder"].empty()
    assert one.buckets["getOrder"].due() > 0 and other.buckets["getOrder"].due() == 0
    assert "Atzr" not in one.account_key()
