"""The Shopee connector against respx-mocked HTTP: signing, windows and cursors, detail batches,
errors inside a 200, token refresh ahead of time and under a lock, and the tracking push."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import respx
from pydantic import SecretStr

from connectors import errors
from connectors.base import ConnectorConfig
from connectors.records import Shipment, Tracking
from connectors.shopee import (
    ShopeeAuthError,
    ShopeeConfigError,
    ShopeeConnector,
    ShopeeOutcomeUnknown,
    ShopeeRateLimited,
    ShopeeRefreshRejected,
    ShopeeRequestFailed,
    ShopeeUnavailable,
)
from connectors.shopee.signing import sign
from connectors.shopee.tokens import LocalTokenStore, RedisTokenStore, TokenKeeper, Tokens

import support

HOST = "https://partner.shopeemobile.com"
KEY = "partner-key-0123456789-secret"
NOW = 1_793_700_000
DAY = 86400
LIST = f"{HOST}/api/v2/order/get_order_list"
DETAIL = f"{HOST}/api/v2/order/get_order_detail"
REFRESH = f"{HOST}/api/v2/auth/access_token/get"
SHIP = f"{HOST}/api/v2/logistics/ship_order"
TRACKING = f"{HOST}/api/v2/logistics/get_tracking_number"
_counter = iter(range(10**6))


def make(**settings: Any) -> ShopeeConnector:
    # each connector its own account, so the process-wide token state of one test never leaks
    shop = str(1000 + next(_counter))
    config = ConnectorConfig(name="shopee-test", kind="shopee", url=HOST, settings=settings, credentials={
        "partner_id": SecretStr("2001887"), "partner_key": SecretStr(KEY), "shop_id": SecretStr(shop),
        "access_token": SecretStr("access-1"), "refresh_token": SecretStr("refresh-1")})
    connector = ShopeeConnector(config)
    connector.clock = lambda: float(NOW)
    connector.sleep = lambda s: None
    return connector


def ok(response: dict[str, Any] | None = None, **top: Any) -> httpx.Response:
    return httpx.Response(200, json={"error": "", "message": "", "request_id": "r1", "response": response or {},
                                     **top})


def refused(code: str, status: int = 200) -> httpx.Response:
    return httpx.Response(status, json={"error": code, "message": "refused", "request_id": "r9"})


def query(request: httpx.Request) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(str(request.url)).query).items()}


def order(sn: str, status: str = "READY_TO_SHIP") -> dict[str, Any]:
    return {"order_sn": sn, "order_status": status, "currency": "EUR", "region": "ES", "update_time": NOW - 60,
            "create_time": NOW - 600, "total_amount": 10.5,
            "recipient_address": {"name": "Ana Lopez", "phone": "+34 600000000", "city": "Madrid", "state": "M",
                                  "region": "ES", "zipcode": "28013", "full_address": "Calle 1"},
            "item_list": [{"item_sku": "SKU-1", "model_sku": "", "model_quantity_purchased": 1,
                           "model_discounted_price": 10.5, "order_item_id": 1, "item_name": "x"}]}


def test_sign_is_hex_hmac_sha256_over_partner_path_timestamp_token_shop() -> None:
    expected = hmac.new(b"k", b"1/api/v2/order/get_order_list1700000000tok9", hashlib.sha256).hexdigest()
    assert sign("k", "1", "/api/v2/order/get_order_list", 1700000000, "tok", "9") == expected


@respx.mock
def test_requests_carry_the_common_signed_parameters() -> None:
    connector = make()
    route = respx.get(LIST).mock(return_value=ok({"more": False, "next_cursor": "", "order_list": []}))
    connector.fetch_orders(datetime.fromtimestamp(NOW - 3600, UTC))
    q = query(route.calls.last.request)
    shop = connector._secrets["shop_id"]
    assert q["sign"] == sign(KEY, "2001887", "/api/v2/order/get_order_list", NOW, "access-1", shop)
    assert (q["partner_id"], q["timestamp"], q["access_token"], q["shop_id"]) == ("2001887", str(NOW), "access-1",
                                                                                shop)
    assert (q["time_range_field"], q["time_from"], q["time_to"]) == ("update_time", str(NOW - 3600), str(NOW))


@respx.mock
def test_a_pull_reads_windows_of_at_most_15_days_and_pages_by_cursor() -> None:
    connector = make()
    since = datetime.fromtimestamp(NOW - 20 * DAY, UTC)
    lists = respx.get(LIST).mock(side_effect=[
        ok({"more": True, "next_cursor": "c2", "order_list": [{"order_sn": "A"}]}),
        ok({"more": False, "next_cursor": "", "order_list": [{"order_sn": "B"}]}),
        ok({"more": False, "next_cursor": "", "order_list": []}),
    ])
    respx.get(DETAIL).mock(side_effect=lambda r: ok({"order_list": [order(query(r)["order_sn_list"])]}))
    first = connector.fetch_orders(since)
    second = connector.fetch_orders(since, first.next_page)
    third = connector.fetch_orders(since, second.next_page)
    assert [o.external_id for o in first.orders + second.orders] == ["A", "B"]
    assert third.orders == [] and third.next_page is None
    windows = [query(c.request) for c in lists.calls]
    for q in windows:
        assert 0 < int(q["time_to"]) - int(q["time_from"]) <= 15 * DAY
    assert windows[1].get("cursor") == "c2" and windows[1]["time_from"] == windows[0]["time_from"]
    assert windows[2]["time_from"] == windows[0]["time_to"] and windows[2]["time_to"] == str(NOW)
    assert "cursor" not in windows[2]


@respx.mock
def test_details_are_asked_50_at_a_time_with_the_fields_a_fulfilment_needs() -> None:
    connector = make()
    numbers = [f"SN{i:03d}" for i in range(100)]
    respx.get(LIST).mock(return_value=ok({"more": False, "order_list": [{"order_sn": n} for n in numbers]}))
    details = respx.get(DETAIL).mock(side_effect=lambda r: ok(
        {"order_list": [order(n) for n in query(r)["order_sn_list"].split(",")]}))
    page = connector.fetch_orders(datetime.fromtimestamp(NOW - 3600, UTC))
    assert len(page.orders) == 100 and details.call_count == 2
    for call in details.calls:
        q = query(call.request)
        assert len(q["order_sn_list"].split(",")) == 50
        assert {"recipient_address", "item_list", "total_amount"} <= set(q["response_optional_fields"].split(","))


@respx.mock
def test_a_bad_order_is_quarantined_and_the_rest_of_the_batch_kept() -> None:
    connector = make()
    respx.get(LIST).mock(return_value=ok({"more": False, "order_list": [{"order_sn": "A"}, {"order_sn": "B"}]}))
    respx.get(DETAIL).mock(return_value=ok({"order_list": [order("A"), {**order("B"), "currency": 7.5}]}))
    page = connector.fetch_orders(None)
    assert [o.external_id for o in page.orders] == ["A"]
    assert [r.external_id for r in page.rejected] == ["B"]


@respx.mock
@pytest.mark.parametrize(("answer", "raised"), [
    (refused("error_param"), ShopeeRequestFailed),
    (refused("error_sign", 403), ShopeeAuthError),
    (refused("error_auth"), ShopeeAuthError),
    (refused("error_server"), ShopeeUnavailable),
    (refused("error_too_many_request", 429), ShopeeRateLimited),
    (refused("error_too_many_request"), ShopeeRateLimited),
])
def test_errors_inside_a_200_follow_the_error_tree(answer: httpx.Response, raised: type[Exception]) -> None:
    connector = make()
    respx.get(LIST).mock(return_value=answer)
    with pytest.raises(raised) as caught:
        connector.check()
    assert KEY not in str(caught.value) and "access-1" not in str(caught.value)


@respx.mock
def test_a_refused_write_whose_outcome_is_unknown_says_so() -> None:
    connector = make()
    respx.get(TRACKING).mock(return_value=ok({"tracking_number": ""}))
    respx.post(SHIP).mock(return_value=refused("error_server"))
    with pytest.raises(ShopeeOutcomeUnknown):
        connector.push_tracking(Shipment(order_external_id="A", tracking=Tracking(supplier_order_id="1", number="T1")))


@respx.mock
def test_push_ships_with_the_tracking_number_once() -> None:
    connector = make()
    numbers = iter(["", "TRK-1"])
    respx.get(TRACKING).mock(side_effect=lambda r: ok({"tracking_number": next(numbers)}))
    ship = respx.post(SHIP).mock(return_value=ok())
    shipment = Shipment(order_external_id="A", tracking=Tracking(supplier_order_id="1", number="TRK-1"))
    connector.push_tracking(shipment)
    connector.push_tracking(shipment)  # again, e.g. after an unknown outcome: not shipped twice
    assert ship.call_count == 1
    assert json.loads(ship.calls.last.request.content) == {"order_sn": "A",
                                                           "non_integrated": {"tracking_number": "TRK-1"}}


@respx.mock
def test_a_refused_tracking_look_up_does_not_stop_the_first_shipment() -> None:
    connector = make()
    respx.get(TRACKING).mock(return_value=refused("logistics.tracking_number_not_exist"))
    ship = respx.post(SHIP).mock(return_value=ok())
    connector.push_tracking(Shipment(order_external_id="A", tracking=Tracking(supplier_order_id="1", number="T")))
    assert ship.call_count == 1


def tokens_answer(n: int) -> httpx.Response:
    return httpx.Response(200, json={"error": "", "message": "", "request_id": "r", "access_token": f"access-{n}",
                                     "refresh_token": f"refresh-{n}", "expire_in": 14400})


@respx.mock
def test_an_expired_access_token_is_refreshed_once_and_the_call_made_again() -> None:
    connector = make()
    lists = respx.get(LIST).mock(side_effect=[refused("invalid_acceess_token", 403), ok({"order_list": []})])
    refresh = respx.post(REFRESH).mock(return_value=tokens_answer(2))
    connector.check()
    assert refresh.call_count == 1
    q = query(refresh.calls.last.request)
    assert q["sign"] == sign(KEY, "2001887", "/api/v2/auth/access_token/get", NOW)
    assert json.loads(refresh.calls.last.request.content) == {
        "refresh_token": "refresh-1", "partner_id": 2001887, "shop_id": int(connector._secrets["shop_id"])}
    assert query(lists.calls.last.request)["access_token"] == "access-2"


@respx.mock
def test_tokens_are_refreshed_ahead_of_their_end() -> None:
    connector = make(access_expires_at=NOW + 300)  # inside the margin: refreshed before the call
    refresh = respx.post(REFRESH).mock(return_value=tokens_answer(2))
    lists = respx.get(LIST).mock(return_value=ok({"order_list": []}))
    connector.check()
    connector.check()
    assert refresh.call_count == 1
    assert [query(c.request)["access_token"] for c in lists.calls] == ["access-2", "access-2"]


@respx.mock
@pytest.mark.parametrize("answer", [refused("error_param"), refused("error_auth", 403)])
def test_a_used_or_expired_refresh_token_is_an_authentication_failure(answer: httpx.Response) -> None:
    connector = make()
    respx.get(LIST).mock(return_value=refused("invalid_acceess_token", 403))
    respx.post(REFRESH).mock(return_value=answer)
    with pytest.raises(ShopeeRefreshRejected, match="authorise the app again") as caught:
        connector.check()
    assert isinstance(caught.value, errors.AuthenticationFailed)
    assert "refresh-1" not in str(caught.value)


def test_concurrent_workers_refresh_once() -> None:
    calls: list[str] = []
    gate = threading.Event()

    def refresh(token: str) -> Tokens:
        calls.append(token)
        gate.wait(0.2)
        return Tokens(f"new-{len(calls)}", f"r-{len(calls)}", NOW + 14400.0, NOW + 30 * DAY)

    keeper = TokenKeeper(LocalTokenStore(f"lock-test-{next(_counter)}"), Tokens("old", "r0", NOW + 10.0, origin="r0"),
                         refresh, clock=lambda: float(NOW))
    got: list[str] = []
    threads = [threading.Thread(target=lambda: got.append(keeper.access_token())) for _ in range(5)]
    for t in threads:
        t.start()
    gate.set()
    for t in threads:
        t.join()
    assert calls == ["r0"] and got == ["new-1"] * 5


@pytest.mark.redis
@pytest.mark.skipif(not support.REDIS_URL, reason="ORDERHUB_TEST_REDIS_URL is not set")
def test_tokens_and_their_lock_are_shared_through_redis() -> None:
    import redis

    client = redis.Redis.from_url(support.REDIS_URL)
    key = f"redis-test-{next(_counter)}-{NOW}"
    first = RedisTokenStore(client, key)
    calls: list[str] = []

    def refresh(token: str) -> Tokens:
        calls.append(token)
        return Tokens("shared-access", "shared-refresh", NOW + 14400.0, NOW + 30 * DAY)

    try:
        one = TokenKeeper(first, Tokens("old", "r0", NOW + 10.0), refresh, clock=lambda: float(NOW))
        other = TokenKeeper(RedisTokenStore(client, key), Tokens("old", "r0", NOW + 10.0), refresh,
                            clock=lambda: float(NOW))
        assert one.access_token() == "shared-access"
        assert other.access_token() == "shared-access"  # another process: reads what the first stored
        assert calls == ["r0"]
    finally:
        client.delete(first.key)


@pytest.mark.parametrize(("credentials", "settings", "message"), [
    ({"partner_key": ""}, {}, "partner_key"),
    ({"shop_id": "shop-9"}, {}, "shop_id"),
    ({}, {"create_customers": "nope"}, "create_customers"),
    ({}, {"page_size": "many"}, "page_size"),
])
def test_bad_credentials_and_settings_are_refused_before_any_call(credentials: dict[str, str],
                                                                  settings: dict[str, Any], message: str) -> None:
    base = {"partner_id": "2001887", "partner_key": KEY, "shop_id": "1", "access_token": "a", "refresh_token": "r"}
    base.update(credentials)
    config = ConnectorConfig(name="s", kind="shopee", url=HOST, settings=settings,
                             credentials={k: SecretStr(v) for k, v in base.items()})
    with pytest.raises(ShopeeConfigError, match=message):
        ShopeeConnector(config)


def test_new_credentials_replace_tokens_refreshed_from_the_old_ones() -> None:
    store = LocalTokenStore(f"reauth-test-{next(_counter)}")
    refreshed = Tokens("from-old", "r-old-2", NOW + 14400.0, NOW + 30 * DAY)
    old = TokenKeeper(store, Tokens("a-old", "r-old", NOW + 10.0, origin="r-old"), lambda t: refreshed,
                      clock=lambda: float(NOW))
    assert old.access_token() == "from-old"
    # the shop was authorised again and the channel's credentials updated
    new = TokenKeeper(store, Tokens("a-new", "r-new", origin="r-new"), lambda t: refreshed,
                      clock=lambda: float(NOW))
    assert new.access_token() == "a-new"
    # while a connector on the same credentials keeps what was refreshed
    same = TokenKeeper(store, Tokens("a-old", "r-old", NOW + 10.0, origin="r-old"), lambda t: refreshed,
                       clock=lambda: float(NOW))
    assert same.current().access_token == "from-old"
