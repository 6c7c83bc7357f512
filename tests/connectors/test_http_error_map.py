"""Every connector reads HTTP failures through the same table (``connectors.http``): the same
transport errors and statuses give the same intents, in each connector's own classes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from connectors import errors, http
from connectors.base import ConnectorConfig
from connectors.bigbuy import BigBuyConnector, BigBuyError
from connectors.records import (
    Shipment,
    SupplierAddress,
    SupplierLine,
    SupplierOrderRequest,
    Tracking,
)
from connectors.shopify import ShopifyConnector, ShopifyError
from connectors.woocommerce import WooCommerceConnector, WooError

SECRET = "s3cr3t-key-0123456789"

Failure = Callable[[httpx.Request], httpx.Response]


def raising(kind: type[httpx.TransportError]) -> Failure:
    def fail(request: httpx.Request) -> httpx.Response:
        raise kind("boom " + str(request.url), request=request)

    return fail


def answering(status: int, headers: dict[str, str] | None = None, body: bytes = b"") -> Failure:
    return lambda request: httpx.Response(status, headers=headers, content=body)


@dataclass
class Driver:
    """How to make one read and one write through a connector, the failure landing on the call
    under test (the write's preparatory reads succeed)."""

    name: str
    root: type[errors.ConnectorError]
    build: Callable[[httpx.MockTransport], Any]
    read: Callable[[Any], Any]
    write: Callable[[Any], Any]
    ok: Callable[[httpx.Request], httpx.Response]


def _shopify(transport: httpx.MockTransport) -> ShopifyConnector:
    config = ConnectorConfig(name="shop", kind="shopify", url="https://shop.example",
                             credentials={"access_token": SecretStr(SECRET)})
    made = ShopifyConnector(config, transport=transport)
    made.sleep = lambda seconds: None
    return made


def _shopify_ok(request: httpx.Request) -> httpx.Response:
    open_order = {"id": 1, "status": "open", "assigned_location_id": 5,
                  "line_items": [{"id": 11, "line_item_id": 21, "fulfillable_quantity": 1}]}
    return httpx.Response(200, json={"fulfillment_orders": [open_order]})


def _woo(transport: httpx.MockTransport) -> WooCommerceConnector:
    config = ConnectorConfig(name="woo", kind="woocommerce", url="https://woo.example",
                             credentials={"consumer_key": SecretStr("ck_" + SECRET),
                                          "consumer_secret": SecretStr("cs_" + SECRET)})
    made = WooCommerceConnector(config, transport=transport)
    made.retry_sleep = lambda seconds: None
    return made


def _bigbuy(transport: httpx.MockTransport) -> BigBuyConnector:
    config = ConnectorConfig(name="bb", kind="bigbuy", url="https://api.bigbuy.example",
                             credentials={"api_key": SecretStr(SECRET)})
    made = BigBuyConnector(config, transport=transport)
    made.read_attempts = 1
    return made


REQUEST = SupplierOrderRequest(
    internal_reference="OH1-1",
    address=SupplierAddress(first_name="Ana", last_name="Ruiz", country_code="ES", postcode="46005",
                            city="Valencia", address="C/ Altea 1", phone="+34600000000"),
    lines=[SupplierLine(supplier_sku="S1", quantity=1)],
)
SHIPMENT = Shipment(order_external_id="1001", tracking=Tracking(supplier_order_id="9", number="T1"))

DRIVERS = [
    Driver("shopify", ShopifyError, _shopify, lambda c: c.fetch_orders(None),
           lambda c: c.push_tracking(SHIPMENT), _shopify_ok),
    Driver("woocommerce", WooError, _woo, lambda c: c.fetch_orders(None),
           lambda c: c.api.send("POST", "/orders/1001/notes", json={"note": "x"}),
           lambda request: httpx.Response(200, json=[])),
    Driver("bigbuy", BigBuyError, _bigbuy, lambda c: c.wallet_balance(), lambda c: c.create(REQUEST),
           lambda request: httpx.Response(200, json="1.00")),
]

RETRY, UNKNOWN, RATE, AUTH, LOUD = "retry", "unknown", "rate", "auth", "loud"
#: (case, failure, intent of a read, intent of a write)
CASES: list[tuple[str, Failure, str, str]] = [
    ("connect error", raising(httpx.ConnectError), RETRY, RETRY),
    ("connect timeout", raising(httpx.ConnectTimeout), RETRY, RETRY),
    ("pool timeout", raising(httpx.PoolTimeout), RETRY, RETRY),
    ("read timeout", raising(httpx.ReadTimeout), RETRY, UNKNOWN),
    ("write timeout", raising(httpx.WriteTimeout), RETRY, UNKNOWN),
    ("read error", raising(httpx.ReadError), RETRY, UNKNOWN),
    ("protocol error", raising(httpx.RemoteProtocolError), RETRY, UNKNOWN),
    ("429 in seconds", answering(429, {"Retry-After": "7"}), RATE, RATE),
    ("408", answering(408), RETRY, RETRY),
    ("500", answering(500), RETRY, UNKNOWN),
    ("503 page", answering(503, body=b"<html><title>down</title></html>"), RETRY, UNKNOWN),
    ("401", answering(401), AUTH, AUTH),
    ("403", answering(403, body=f"key {SECRET} is blocked".encode()), AUTH, AUTH),
    ("301", answering(301, {"Location": "https://elsewhere.example/"}), LOUD, LOUD),
    ("404 text", answering(404, body=b"no such page"), LOUD, LOUD),
    ("400 text", answering(400, body=b"bad request"), LOUD, LOUD),
]


def assert_intent(error: BaseException, intent: str) -> None:
    if intent == RETRY:
        assert isinstance(error, errors.RetryLater)
        assert not isinstance(error, errors.OutcomeUnknown | errors.RateLimited)
    elif intent == UNKNOWN:
        assert isinstance(error, errors.OutcomeUnknown)
    elif intent == RATE:
        assert isinstance(error, errors.RateLimited)
    elif intent == AUTH:
        assert isinstance(error, errors.AuthenticationFailed)
    else:
        assert isinstance(error, errors.FailLoudly)
        assert not isinstance(error, errors.AuthenticationFailed | errors.RetryLater)


def run(driver: Driver, failure: Failure, *, write: bool) -> BaseException:
    def handle(request: httpx.Request) -> httpx.Response:
        failing = request.method != "GET" if write else True
        return failure(request) if failing else driver.ok(request)

    connector = driver.build(httpx.MockTransport(handle))
    with pytest.raises(errors.ConnectorError) as caught:
        (driver.write if write else driver.read)(connector)
    return caught.value


@pytest.mark.parametrize("driver", DRIVERS, ids=lambda d: d.name)
@pytest.mark.parametrize(("case", "failure", "on_read", "on_write"), CASES, ids=[c[0] for c in CASES])
def test_every_connector_maps_a_failure_the_same_way(
    driver: Driver, case: str, failure: Failure, on_read: str, on_write: str
) -> None:
    for write, intent in ((False, on_read), (True, on_write)):
        error = run(driver, failure, write=write)
        assert_intent(error, intent)
        assert isinstance(error, driver.root), f"{driver.name} raised another platform's error"
        assert SECRET not in str(error)
        assert "boom" not in str(error)  # httpx's text names the URL, which can hold a secret
        if case == "429 in seconds":
            assert isinstance(error, errors.RateLimited) and error.retry_after == pytest.approx(7.0)


@pytest.mark.parametrize("driver", DRIVERS, ids=lambda d: d.name)
def test_retry_after_as_an_http_date_is_read_by_every_connector(driver: Driver) -> None:
    later = format_datetime(datetime.now(UTC) + timedelta(minutes=10), usegmt=True)
    error = run(driver, answering(429, {"Retry-After": later}), write=False)
    assert isinstance(error, errors.RateLimited)
    assert error.retry_after is not None and 0 < error.retry_after <= 600


@pytest.mark.parametrize(("value", "seconds"), [
    ("120", 120.0), ("1.5", 1.5), ("-3", 0.0), ("nan", None), ("inf", None), ("soon", None), ("", None),
    ("Wed, 21 Oct 2015 07:28:00 GMT", 60.0), ("Wed, 21 Oct 2015 07:26:00 GMT", 0.0),
])
def test_retry_after_reads_seconds_and_dates(value: str, seconds: float | None) -> None:
    now = datetime(2015, 10, 21, 7, 27, tzinfo=UTC).timestamp()
    assert http.retry_after({"Retry-After": value}, now=now) == seconds


def test_every_transport_error_has_an_intent() -> None:
    kinds = [k for k in vars(httpx).values() if isinstance(k, type) and issubclass(k, httpx.TransportError)]
    for kind in kinds:
        assert http.transport_intent(kind("x")) in http.Intent
