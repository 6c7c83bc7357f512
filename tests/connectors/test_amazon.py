"""Amazon connector against respx-mocked HTTP built from Amazon's published examples: the search
query, paging, Login with Amazon, usage-plan pacing, 429 and 5xx, shipment confirmation."""

from __future__ import annotations

import copy
import json
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest
import respx
from pydantic import SecretStr

from connectors import errors
from connectors.amazon import (
    AmazonConfigError,
    AmazonConnector,
    AmazonGrantRevoked,
    AmazonOutcomeUnknown,
    AmazonRateLimited,
)
from connectors.amazon.lwa import LocalTokens, LoginWithAmazon, RedisTokens, TokenStore
from connectors.amazon.pacing import OperationBucket, UsagePlan
from connectors.base import ConnectorConfig
from connectors.records import OrderLine, Shipment, Tracking

import support
from support import REDIS_URL
from support.pacing import RecordingPacer

API = "https://sellingpartnerapi-eu.amazon.com"
TOKEN_URL = "https://api.amazon.com/auth/o2/token"
SEARCH = f"{API}/orders/2026-01-01/orders"
REFRESH = "Atzr|refresh-token-secret-0123456789"
CLIENT_SECRET = "amzn-client-secret-abcdef"


def payload(name: str) -> Any:
    return json.loads((support.PAYLOADS / "amazon" / name).read_text())


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def make(pacer: RecordingPacer | None = None, **settings: Any) -> AmazonConnector:
    config = ConnectorConfig(
        name="amz", kind="amazon", url=API,
        credentials={"refresh_token": SecretStr(REFRESH), "client_id": SecretStr("amzn1.application-oa2-client.x"),
                     "client_secret": SecretStr(CLIENT_SECRET)},
        settings={"lock_url": "memory://", **settings})
    connector = AmazonConnector(config, pacer=pacer)
    connector.sleep = lambda seconds: None
    return connector


def token_route(router: respx.MockRouter, *, expires_in: int = 3600) -> respx.Route:
    counter = iter(range(1, 1000))
    return router.post(TOKEN_URL).mock(side_effect=lambda request: httpx.Response(200, json={
        "access_token": f"Atza|token-{next(counter)}", "refresh_token": REFRESH, "token_type": "bearer",
        "expires_in": expires_in}))


def test_search_asks_for_orders_updated_in_a_window_ending_two_minutes_ago() -> None:
    since = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)
    with respx.mock(assert_all_called=True) as router:
        tokens = token_route(router)
        search = router.get(SEARCH).mock(return_value=httpx.Response(
            200, json=payload("v2026.searchOrders.200.example.json"), headers={"x-amzn-RateLimit-Limit": "0.0056"}))
        connector = make(marketplace_ids="A1RKKUPIHCS9HS,A1PA6795UKMFR9")
        started = datetime.now(UTC)
        page = connector.fetch_orders(since)
    query = {k: v[0] for k, v in parse_qs(search.calls.last.request.url.query.decode()).items()}
    assert query["lastUpdatedAfter"] == "2026-11-01T08:00:00Z"
    before = datetime.fromisoformat(query["lastUpdatedBefore"])
    assert before <= started - timedelta(minutes=2)
    assert query["maxResultsPerPage"] == "100"
    assert query["includedData"] == "RECIPIENT,BUYER,FULFILLMENT,PROCEEDS"
    assert query["marketplaceIds"] == "A1RKKUPIHCS9HS,A1PA6795UKMFR9"
    assert "paginationToken" not in query
    # Login with Amazon: a refresh-token grant, the access token in x-amz-access-token, no signing
    form = parse_qs(tokens.calls.last.request.content.decode())
    assert form["grant_type"] == ["refresh_token"] and form["refresh_token"] == [REFRESH]
    assert search.calls.last.request.headers["x-amz-access-token"] == "Atza|token-1"
    assert "authorization" not in search.calls.last.request.headers
    assert [o.external_id for o in page.orders] == ["123-4567890-1234567"]
    assert page.next_page is not None


def test_the_next_page_repeats_the_first_pages_parameters_with_its_token() -> None:
    since = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)
    last = copy.deepcopy(payload("v2026.searchOrders.200.example.json"))
    del last["pagination"]
    with respx.mock(assert_all_called=False) as router:
        token_route(router)
        search = router.get(SEARCH).mock(side_effect=[
            httpx.Response(200, json=payload("v2026.searchOrders.200.example.json")), httpx.Response(200, json=last)])
        connector = make()
        first = connector.fetch_orders(since)
        assert first.next_page
        time.sleep(1.1)  # a later request: the upper bound must still be the first page's
        second = connector.fetch_orders(since, first.next_page)
    one, two = ({k: v[0] for k, v in parse_qs(c.request.url.query.decode()).items()} for c in search.calls)
    assert two["paginationToken"] == "2YgYW55IGNhcm5hbCBwbGVhc3VyZS4"
    assert two["lastUpdatedBefore"] == one["lastUpdatedBefore"]
    assert two["lastUpdatedAfter"] == one["lastUpdatedAfter"]
    assert second.next_page is None


def test_a_cursor_younger_than_two_minutes_asks_nothing() -> None:
    with respx.mock(assert_all_called=False) as router:
        token_route(router)
        search = router.get(SEARCH).mock(return_value=httpx.Response(200, json={"orders": []}))
        page = make().fetch_orders(datetime.now(UTC) - timedelta(seconds=30))
    assert page.orders == [] and page.next_page is None and not search.called


def test_an_unreadable_order_is_quarantined_and_the_rest_of_the_page_goes_on() -> None:
    body = copy.deepcopy(payload("v2026.searchOrders.200.example.json"))
    body["orders"].append({"orderId": "999-0000000-0000000", "lastUpdatedTime": "not a date"})
    del body["pagination"]
    with respx.mock(assert_all_called=False) as router:
        token_route(router)
        router.get(SEARCH).mock(return_value=httpx.Response(200, json=body))
        page = make().fetch_orders(datetime(2026, 11, 1, tzinfo=UTC))
    assert [o.external_id for o in page.orders] == ["123-4567890-1234567"]
    [rejected] = page.rejected
    assert "lastUpdatedTime" in rejected.error


def test_the_access_token_is_refreshed_before_it_expires() -> None:
    clock = Clock()
    with respx.mock(assert_all_called=False) as router:
        tokens = token_route(router, expires_in=3600)
        search = router.get(SEARCH).mock(return_value=httpx.Response(200, json={"orders": []}))
        connector = make()
        connector.login._clock = clock
        since = datetime(2026, 11, 1, tzinfo=UTC)
        connector.fetch_orders(since)
        clock.now += 3000  # still ten minutes left: kept
        connector.fetch_orders(since)
        clock.now += 590  # ten seconds left, less than the margin: refreshed before it dies
        connector.fetch_orders(since)
    assert tokens.call_count == 2
    assert [c.request.headers["x-amz-access-token"] for c in search.calls] == [
        "Atza|token-1", "Atza|token-1", "Atza|token-2"]


def test_an_access_token_amazon_calls_expired_is_refreshed_once_and_the_call_made_again() -> None:
    expired = {"errors": [{"code": "Unauthorized", "message": "The access token you provided has expired."}]}
    with respx.mock(assert_all_called=False) as router:
        tokens = token_route(router)
        search = router.get(SEARCH).mock(side_effect=[httpx.Response(403, json=expired),
                                                      httpx.Response(200, json={"orders": []})])
        make().fetch_orders(datetime(2026, 11, 1, tzinfo=UTC))
    assert tokens.call_count == 2
    assert [c.request.headers["x-amz-access-token"] for c in search.calls] == ["Atza|token-1", "Atza|token-2"]


def test_a_token_refused_twice_is_an_authentication_failure() -> None:
    denied = {"errors": [{"code": "Unauthorized", "message": "Access to requested resource is denied."}]}
    with respx.mock(assert_all_called=False) as router:
        token_route(router)
        router.get(SEARCH).mock(return_value=httpx.Response(403, json=denied))
        with pytest.raises(errors.AuthenticationFailed) as caught:
            make().fetch_orders(datetime(2026, 11, 1, tzinfo=UTC))
    assert "Atza|" not in str(caught.value)


def test_a_revoked_grant_is_reported_as_auth_broken_without_the_secrets() -> None:
    with respx.mock(assert_all_called=False) as router:
        router.post(TOKEN_URL).mock(return_value=httpx.Response(400, json={
            "error": "invalid_grant", "error_description": f"The request has an invalid grant parameter : {REFRESH}"}))
        search = router.get(SEARCH)
        with pytest.raises(AmazonGrantRevoked) as caught:
            make().fetch_orders(datetime(2026, 11, 1, tzinfo=UTC))
    assert isinstance(caught.value, errors.AuthenticationFailed) and isinstance(caught.value, errors.FailLoudly)
    assert caught.value.state == "auth_broken"
    assert REFRESH not in str(caught.value) and CLIENT_SECRET not in str(caught.value)
    assert "invalid_grant" in str(caught.value)
    assert not search.called


def _one_refresh_at_a_time(store_for: Any) -> int:
    calls = []

    def slow_token(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        time.sleep(0.2)
        return httpx.Response(200, json={"access_token": f"Atza|{len(calls)}", "expires_in": 3600})

    with respx.mock(assert_all_called=False) as router:
        router.post(TOKEN_URL).mock(side_effect=slow_token)
        clients = [httpx.Client() for _ in range(6)]
        # six workers, each with its own client and login, sharing one store
        logins = [LoginWithAmazon(client, token_url=TOKEN_URL, client_id="c", client_secret="s",
                                  refresh_token=REFRESH, store=store_for()) for client in clients]
        seen: list[str] = []
        threads = [threading.Thread(target=lambda login=login: seen.append(login.access_token())) for login in logins]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        for client in clients:
            client.close()
    assert len(set(seen)) == 1 and len(seen) == 6
    return len(calls)


def test_workers_in_one_process_refresh_once_between_them() -> None:
    shared = LocalTokens()
    assert _one_refresh_at_a_time(lambda: shared) == 1


@pytest.mark.redis
def test_workers_sharing_redis_refresh_once_between_them() -> None:
    if not REDIS_URL:
        pytest.skip("ORDERHUB_TEST_REDIS_URL is not set")
    grant = f"grant-{uuid.uuid4()}"
    stores: list[TokenStore] = []

    def store() -> TokenStore:
        stores.append(RedisTokens(REDIS_URL, grant))
        return stores[-1]

    assert _one_refresh_at_a_time(store) == 1


def test_searches_are_paced_by_their_usage_plan_burst_then_rate() -> None:
    clock = Clock()
    bucket = OperationBucket(UsagePlan(0.0056, 20), clock=clock, sleep=clock.sleep)
    waits = [bucket.take() for _ in range(21)]
    assert waits[:20] == [0.0] * 20
    assert waits[20] == pytest.approx(1 / 0.0056)
    # Amazon's header says this seller's rate is higher: the next wait follows it
    bucket.resync("0.0167")
    assert bucket.take() == pytest.approx(1 / 0.0167)
    bucket.empty()
    assert bucket.take() == pytest.approx(1 / 0.0167)


def test_the_rate_limit_header_resynchronises_the_operations_bucket() -> None:
    with respx.mock(assert_all_called=False) as router:
        token_route(router)
        router.get(SEARCH).mock(return_value=httpx.Response(200, json={"orders": []},
                                                            headers={"x-amzn-RateLimit-Limit": "0.0167"}))
        connector = make()
        connector.fetch_orders(datetime(2026, 11, 1, tzinfo=UTC))
    assert connector.buckets["searchOrders"].rate == pytest.approx(0.0167)
    assert connector.buckets["getOrder"].rate == pytest.approx(0.5)


def test_a_429_empties_the_bucket_and_the_wait_for_a_token_is_left_to_a_later_message() -> None:
    throttled = {"errors": [{"code": "QuotaExceeded", "message": "You exceeded your quota."}]}
    clock = Clock()
    pacer = RecordingPacer()
    with respx.mock(assert_all_called=False) as router:
        token_route(router)
        search = router.get(SEARCH).mock(return_value=httpx.Response(429, json=throttled, headers={"Retry-After": "3"}))
        connector = make(pacer)
        connector.buckets["searchOrders"] = OperationBucket(UsagePlan(0.0056, 20), clock=clock, sleep=clock.sleep)
        with pytest.raises(AmazonRateLimited) as caught:
            connector.fetch_orders(datetime(2026, 11, 1, tzinfo=UTC))
    # Amazon's bucket is empty: the next search could go in three minutes, which no thread sleeps
    assert search.call_count == 1
    assert caught.value.retry_after == pytest.approx(1 / 0.0056)
    assert clock.now == 1_000_000.0
    assert len(pacer.holds) == 1


def test_a_429_on_a_quick_operation_is_retried_after_its_token_comes_back() -> None:
    throttled = {"errors": [{"code": "QuotaExceeded", "message": "You exceeded your quota."}]}
    clock = Clock()
    with respx.mock(assert_all_called=False) as router:
        token_route(router)
        get = router.get(f"{SEARCH}/202-1234567-8901234").mock(side_effect=[
            httpx.Response(429, json=throttled),
            httpx.Response(200, json=payload("v2026.getOrder.200.example.json"))])
        connector = make()
        connector.buckets["getOrder"] = OperationBucket(UsagePlan(0.5, 30), clock=clock, sleep=clock.sleep)
        order = connector.get_order("202-1234567-8901234")
    assert order.external_id == "202-1234567-8901234" and get.call_count == 2
    assert clock.now - 1_000_000.0 == pytest.approx(2.0)  # one getOrder token at 0.5 per second


def test_a_5xx_on_a_read_is_retried() -> None:
    with respx.mock(assert_all_called=False) as router:
        token_route(router)
        search = router.get(SEARCH).mock(side_effect=[httpx.Response(503), httpx.Response(200, json={"orders": []})])
        make().fetch_orders(datetime(2026, 11, 1, tzinfo=UTC))
    assert search.call_count == 2


def _shipment(**changes: Any) -> Shipment:
    tracking = Tracking(supplier_order_id="B1", number="RR123456789ES", carrier=changes.pop("carrier", "Correos"),
                        at=datetime(2026, 11, 3, 10, 0, tzinfo=UTC))
    return Shipment(order_external_id="202-1234567-8901234", tracking=tracking, **changes)


def _unshipped_order() -> dict[str, Any]:
    body = copy.deepcopy(payload("v2026.getOrder.200.example.json"))
    body["order"]["orderItems"][0]["fulfillment"].update({"quantityFulfilled": 1, "quantityUnfulfilled": 2})
    return body


def test_tracking_is_confirmed_with_a_package_of_the_items_still_unshipped() -> None:
    with respx.mock(assert_all_called=False) as router:
        token_route(router)
        get = router.get(f"{SEARCH}/202-1234567-8901234").mock(
            return_value=httpx.Response(200, json=_unshipped_order()))
        confirm = router.post(f"{API}/orders/v0/orders/202-1234567-8901234/shipmentConfirmation").mock(
            return_value=httpx.Response(204))
        make().push_tracking(_shipment())
    assert get.called
    sent = json.loads(confirm.calls.last.request.content)
    assert sent["marketplaceId"] == "A1F83G8C2ARO7P"
    package = sent["packageDetail"]
    assert package["carrierCode"] == "Correos" and "carrierName" not in package
    assert package["trackingNumber"] == "RR123456789ES"
    assert package["shipDate"] == "2026-11-03T10:00:00Z"
    assert package["orderItems"] == [{"orderItemId": "20212345678901", "quantity": 2}]
    assert package["packageReferenceId"].isdigit() and int(package["packageReferenceId"]) > 0


def test_a_carrier_amazon_has_no_code_for_goes_as_other_with_its_name_and_named_lines() -> None:
    line = OrderLine(sku="ECHO-DOT-4-UK-CHARCOAL-3PACK", quantity=1, unit_price=0, external_id="20212345678901")
    with respx.mock(assert_all_called=False) as router:
        token_route(router)
        router.get(f"{SEARCH}/202-1234567-8901234").mock(return_value=httpx.Response(200, json=_unshipped_order()))
        confirm = router.post(f"{API}/orders/v0/orders/202-1234567-8901234/shipmentConfirmation").mock(
            return_value=httpx.Response(204))
        make().push_tracking(_shipment(carrier="Paack", lines=[line]))
    package = json.loads(confirm.calls.last.request.content)["packageDetail"]
    assert (package["carrierCode"], package["carrierName"]) == ("Other", "Paack")
    assert package["orderItems"] == [{"orderItemId": "20212345678901", "quantity": 1}]


def test_an_order_amazon_shows_shipped_already_is_not_confirmed_again() -> None:
    with respx.mock(assert_all_called=False) as router:
        token_route(router)
        router.get(f"{SEARCH}/202-1234567-8901234").mock(
            return_value=httpx.Response(200, json=payload("v2026.getOrder.200.example.json")))
        confirm = router.post(f"{API}/orders/v0/orders/202-1234567-8901234/shipmentConfirmation")
        make().push_tracking(_shipment())
    assert not confirm.called


def test_a_confirmation_without_a_clear_answer_is_outcome_unknown_and_not_repeated() -> None:
    with respx.mock(assert_all_called=False) as router:
        token_route(router)
        router.get(f"{SEARCH}/202-1234567-8901234").mock(return_value=httpx.Response(200, json=_unshipped_order()))
        confirm = router.post(f"{API}/orders/v0/orders/202-1234567-8901234/shipmentConfirmation").mock(
            return_value=httpx.Response(500))
        with pytest.raises(AmazonOutcomeUnknown):
            make().push_tracking(_shipment())
    assert confirm.call_count == 1


def test_check_makes_one_search() -> None:
    with respx.mock(assert_all_called=False) as router:
        token_route(router)
        search = router.get(SEARCH).mock(return_value=httpx.Response(200, json={"orders": []}))
        assert make().check() == "searchOrders answered"
    assert search.call_count == 1
    assert "maxResultsPerPage=1" in str(search.calls.last.request.url)


@pytest.mark.parametrize("missing", ["refresh_token", "client_id", "client_secret"])
def test_a_missing_credential_is_refused_before_any_call(missing: str) -> None:
    credentials = {k: SecretStr("x") for k in ("refresh_token", "client_id", "client_secret") if k != missing}
    with pytest.raises(AmazonConfigError, match=missing):
        AmazonConnector(ConnectorConfig(name="a", kind="amazon", url=API, credentials=credentials))
