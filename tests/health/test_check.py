"""Each connector's ``check()``: one cheap call, made once, classed by the error tree; health asks
``check()`` and nothing else, so a new kind of channel needs no change outside its package."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any, ClassVar

import httpx
import pytest
from pydantic import SecretStr

from connectors import errors, registry
from connectors.base import ChannelConnector, Connector, ConnectorConfig
from connectors.bigbuy import BigBuyConnector
from connectors.records import ChannelOrder, OrderPage, Shipment
from connectors.shopify import ShopifyConnector
from connectors.woocommerce import WooCommerceConnector
from workers import health

SECRET = "s3cr3t-0123456789"
CONFIGS: dict[str, tuple[type[Connector], dict[str, str], str, str]] = {
    # kind: (class, credentials, the path it asks, what a success answers)
    "shopify": (ShopifyConnector, {"access_token": SECRET}, "/admin/api/2024-10/orders.json", '{"orders": []}'),
    "woocommerce": (WooCommerceConnector, {"consumer_key": "ck_" + SECRET, "consumer_secret": "cs_" + SECRET},
                    "/wp-json/wc/v3/orders", "[]"),
    "bigbuy": (BigBuyConnector, {"api_key": SECRET}, "/rest/user/purse.json", '"12.50"'),
}


def build(kind: str, answer: Callable[[httpx.Request], httpx.Response]) -> tuple[Connector, list[httpx.Request]]:
    cls, credentials, _, _ = CONFIGS[kind]
    seen: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return answer(request)

    config = ConnectorConfig(name=kind, kind=kind, url=f"https://{kind}.example",
                             credentials={k: SecretStr(v) for k, v in credentials.items()})
    return cls(config, transport=httpx.MockTransport(handle)), seen


@pytest.mark.parametrize("kind", CONFIGS)
def test_check_is_one_small_call(kind: str) -> None:
    _, _, path, body = CONFIGS[kind]
    connector, seen = build(kind, lambda r: httpx.Response(200, content=body.encode(),
                                                          headers={"Content-Type": "application/json"}))
    assert "answered" in connector.check()
    assert [r.url.path for r in seen] == [path]
    assert seen[0].url.params.get("limit", seen[0].url.params.get("per_page", "1")) == "1"


@pytest.mark.parametrize("kind", CONFIGS)
def test_check_classes_a_refused_credential(kind: str) -> None:
    connector, _ = build(kind, lambda r: httpx.Response(401, text=f"bad key {SECRET}"))
    with pytest.raises(errors.AuthenticationFailed) as caught:
        connector.check()
    assert SECRET not in str(caught.value)


@pytest.mark.parametrize("kind", CONFIGS)
def test_check_is_not_retried(kind: str) -> None:
    connector, seen = build(kind, lambda r: httpx.Response(503))
    with pytest.raises(errors.RetryLater):
        connector.check()
    assert len(seen) == 1


class PingChannel(ChannelConnector):
    """A channel the health module has never heard of."""

    kind: ClassVar[str] = "ping"
    answer: ClassVar[Exception | None] = None

    def make_client(self, transport: httpx.BaseTransport | None) -> httpx.Client:
        return httpx.Client(transport=transport)

    def check(self) -> str:
        if self.answer is not None:
            raise self.answer
        return "ping answered"

    def fetch_orders(self, since: datetime | None, page: str | None = None) -> OrderPage:
        raise AssertionError("a health check reads no orders")

    @classmethod
    def order_bodies(cls, body: Any) -> list[Any]:
        raise AssertionError("a health check never calls this")

    @classmethod
    def parse_order(cls, body: Any) -> ChannelOrder:
        raise AssertionError("a health check never calls this")

    def push_tracking(self, shipment: Shipment) -> None:
        raise AssertionError("a health check never calls this")


@pytest.fixture
def ping(monkeypatch: pytest.MonkeyPatch) -> Iterator[ConnectorConfig]:
    monkeypatch.setattr(registry, "available", lambda: {"ping": PingChannel})
    yield ConnectorConfig(name="p", kind="ping", url="https://ping.example", credentials={"token": SecretStr(SECRET)})
    PingChannel.answer = None


def test_health_asks_a_new_kind_of_channel_its_check(ping: ConnectorConfig) -> None:
    assert health.account(ping, "channel") == health.Check(True, "ping answered")


def test_health_reports_a_refused_credential_without_it(ping: ConnectorConfig) -> None:
    PingChannel.answer = errors.AuthenticationFailed(f"token {SECRET} refused")
    result = health.account(ping, "channel")
    assert not result.ok and result.detail.startswith("credentials refused") and SECRET not in result.detail


def test_an_entry_point_must_name_its_connector_by_kind(monkeypatch: pytest.MonkeyPatch) -> None:
    class Entry:
        name = "pong"

        @staticmethod
        def load() -> type[Connector]:
            return PingChannel

    registry.available.cache_clear()
    monkeypatch.setattr(registry, "entry_points", lambda group: [Entry()])
    try:
        with pytest.raises(TypeError, match="pong"):
            registry.available()
    finally:
        monkeypatch.undo()
        registry.available.cache_clear()
