"""The BigBuy connector against mocked answers: the shapes of bigbuy-api.md and payloads/bigbuy,
every ER code, every quirk, and a fuzzed classifier."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import httpx
import pytest
import respx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import SecretStr

from connectors import codes, errors
from connectors.base import ConnectorConfig
from connectors.bigbuy import (
    BigBuyAuthError,
    BigBuyConnector,
    BigBuyError,
    BigBuyOutcomeUnknown,
    BigBuyRateLimited,
    BigBuyRequestFailed,
    BigBuyUnavailable,
    Call,
    classify,
)
from connectors.bigbuy.answers import OUTCOMES
from connectors.records import SupplierAddress, SupplierLine, SupplierOrderRequest

import support
from support.pacing import RecordingPacer

BASE = "https://api.bigbuy.eu"
KEY = "bb_live_SECRET_4242"
PAYLOADS = support.PAYLOADS / "bigbuy"
CREATE = "/rest/order/create/multishipping.json"
REFERENCE = "/rest/order/reference/OH-1.json"


def payload(name: str) -> Any:
    return json.loads((PAYLOADS / name).read_text())


def connector(pacer: RecordingPacer | None = None, **settings: Any) -> BigBuyConnector:
    config = ConnectorConfig(name="bb", kind="bigbuy", url=BASE, credentials={"api_key": SecretStr(KEY)},
                             settings=settings)
    made = BigBuyConnector(config, pacer=pacer)
    made.read_attempts = 1  # a failing read is raised at once, not retried with sleeps
    return made


def request(reference: str = "OH-1", **changes: Any) -> SupplierOrderRequest:
    address = SupplierAddress(first_name="John", last_name="Doe", country_code="ES", postcode="46005",
                              city="Valencia", address="C/ Altea", phone="664869570", email="john@email.com",
                              comment="")
    made = SupplierOrderRequest(internal_reference=reference, address=address,
                                lines=[SupplierLine(supplier_sku="F1505138", quantity=4)])
    return made.model_copy(update=changes)


def er(code: str, info: str = "Error", data: Any = None, status: int = 409) -> httpx.Response:
    return httpx.Response(status, json={"code": code, "message": json.dumps({"info": info, "data": data})})


@pytest.fixture
def api() -> Any:
    with respx.mock(base_url=BASE, assert_all_called=False) as router:
        yield router


# Payloads and request shape -----------------------------------------------------------------


def test_the_order_body_has_the_documented_shape(api: Any) -> None:
    expected = payload("order-check-request.json")
    route = api.post(CREATE).mock(return_value=httpx.Response(200, json=payload(
        "order-create-multishipping-response.json")))
    connector(carriers=["correos", "chrono"], language="es").create(request("123456"))
    sent = json.loads(route.calls.last.request.content)
    assert sent == expected
    assert route.calls.last.request.headers["Authorization"] == f"Bearer {KEY}"


def test_multishipping_create_gives_one_supplier_order_per_warehouse(api: Any) -> None:
    api.post(CREATE).mock(return_value=httpx.Response(200, json=payload("order-create-multishipping-response.json")))
    made = connector().create(request())
    assert [(o.supplier_order_id, o.warehouse, o.skus) for o in made.orders] == [
        ("123", "1", ["S1"]), ("124", "3", ["S2", "S3"])]
    assert not made.refusals and not made.already_existed


def test_quote_reads_floats_as_decimals_through_str(api: Any) -> None:
    api.post("/rest/order/check/multishipping.json").mock(
        return_value=httpx.Response(200, json=payload("order-check-multishipping-response.json")))
    quote = connector().quote(request())
    assert [o.total for o in quote.orders] == [Decimal("9.81"), Decimal("132.13")]
    assert quote.total == Decimal("141.94") and [o.warehouse for o in quote.orders] == ["1", "3"]


def test_quote_keeps_a_coded_refusal(api: Any) -> None:
    api.post("/rest/order/check/multishipping.json").mock(return_value=er("ER003", "No stock", {"skus": ["S9"]}))
    quote = connector().quote(request())
    assert quote.total == 0 and quote.refusals[0].code == codes.OUT_OF_STOCK


# Coded refusals ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("code", "data", "issue"), [
    ("ER001", {"skus": ["S1"]}, codes.UNKNOWN_SKU),
    ("ER002", {"skus": ["S1"]}, codes.UNKNOWN_SKU),
    ("ER003", {"skus": ["S1"]}, codes.OUT_OF_STOCK),
    ("ER004", {"zipExample": "46005"}, codes.INVALID_POSTCODE),
    ("ER005", {"moneyBoxAmount": 1.5, "totalOrder": 30.85}, codes.INSUFFICIENT_WALLET),
    ("ER006", None, codes.SUPPLIER_REJECTED),
    ("ER007", {"minimunPurchase": 50.0, "totalOrder": 9.5}, codes.ORDER_BELOW_MINIMUM),
    ("ER010", None, codes.NO_CARRIER),
    ("ER011", None, codes.SUPPLIER_REJECTED),
    ("ER012", {"minBankwire": 100.0}, codes.SUPPLIER_REJECTED),
    ("ER013", None, codes.SUPPLIER_REJECTED),
    ("ER014", None, codes.SUPPLIER_REJECTED),
])
def test_every_error_code_is_a_coded_refusal(api: Any, code: str, data: Any, issue: str) -> None:
    api.post(CREATE).mock(return_value=er(code, "Refused", data))
    made = connector().create(request())
    assert not made.orders and len(made.refusals) == 1
    refusal = made.refusals[0]
    assert (refusal.code, refusal.supplier_code) == (issue, code)
    if data and "skus" in data:
        assert refusal.skus == ["S1"]
    if code == "ER004":
        assert refusal.field == "shippingAddress.postcode" and "46005" in refusal.message
    if code == "ER005":
        assert "30.85" in refusal.message


def test_an_error_code_is_read_whatever_the_status(api: Any) -> None:
    api.post(CREATE).mock(return_value=er("ER003", data={"skus": ["S1"]}, status=200))
    assert connector().create(request()).refusals[0].code == codes.OUT_OF_STOCK


def test_er008_means_already_created_with_its_id(api: Any) -> None:
    api.post(CREATE).mock(return_value=er("ER008", "Duplicated reference", {"orderId": 123}))
    made = connector().create(request())
    assert made.already_existed and [o.supplier_order_id for o in made.orders] == ["123"]
    assert not made.refusals


def test_er008_without_its_id_looks_the_reference_up(api: Any) -> None:
    api.post(CREATE).mock(return_value=er("ER008", "Duplicated reference"))
    api.get(REFERENCE).mock(return_value=httpx.Response(200, json={"id": "77", "totalPaidTaxIncl": "30.85"}))
    made = connector().create(request())
    assert made.already_existed and made.orders[0].supplier_order_id == "77"


def test_er009_is_temporary(api: Any) -> None:
    api.post(CREATE).mock(return_value=er("ER009", "Temporary error"))
    with pytest.raises(BigBuyUnavailable) as caught:
        connector().create(request())
    assert isinstance(caught.value, errors.RetryLater) and not isinstance(caught.value, errors.OutcomeUnknown)


@pytest.mark.parametrize(("child", "message", "issue"), [
    ("address", "This value is too long. It should have 70 characters or less.", codes.ADDRESS_TOO_LONG),
    ("address", "This value should not be blank.", codes.MISSING_ADDRESS),
    ("postcode", "This value is not valid.", codes.INVALID_POSTCODE),
    ("phone", "This value should not be blank.", codes.MISSING_PHONE),
    ("lastName", "This value should not be blank.", codes.MISSING_SURNAME),
    ("firstName", "This value should not be blank.", codes.MISSING_FIRST_NAME),
    ("vatNumber", "This value is not valid.", codes.SUPPLIER_REJECTED),
])
def test_form_validation_maps_the_field(api: Any, child: str, message: str, issue: str) -> None:
    body = {"code": 400, "message": "Validation Failed", "errors": {"errors": [], "children": {
        "shippingAddress": {"children": {child: {"errors": [message]}, "town": {}}}, "products": {}}}}
    api.post(CREATE).mock(return_value=httpx.Response(400, json=body))
    refusal, = connector().create(request()).refusals
    assert (refusal.code, refusal.field, refusal.message) == (issue, f"shippingAddress.{child}", message)


def test_form_validation_without_field_errors_keeps_the_message(api: Any) -> None:
    body = {"code": 400, "message": "Validation Failed", "errors": {"errors": ["Extra fields"], "children": {}}}
    api.post(CREATE).mock(return_value=httpx.Response(400, json=body))
    refusal, = connector().create(request()).refusals
    assert (refusal.code, refusal.message) == (codes.SUPPLIER_REJECTED, "Extra fields")


@pytest.mark.parametrize(("message", "issue"), [
    ("Inactive product.", codes.DISCONTINUED),
    ("No stock for this product.", codes.OUT_OF_STOCK),
    ("Product not found.", codes.UNKNOWN_SKU),
])
def test_the_products_error_maps_each_sku(api: Any, message: str, issue: str) -> None:
    inner = {"info": "Products error.", "data": [{"sku": "S5001344", "message": message}]}
    api.post(CREATE).mock(return_value=httpx.Response(409, json={"code": 409, "message": json.dumps(inner)}))
    refusal, = connector().create(request()).refusals
    assert (refusal.code, refusal.skus) == (issue, ["S5001344"])


def test_a_partial_create_keeps_orders_and_refusals(api: Any) -> None:
    body = {"orders": [{"productReferences": ["S1"], "id": "123", "warehouse": 1, "url": "/rest/order/123"}],
            "errors": [{"code": "ER003", "message": json.dumps({"info": "No stock", "data": {"skus": ["S2"]}})}]}
    api.post(CREATE).mock(return_value=httpx.Response(200, json=body))
    made = connector().create(request())
    assert [o.supplier_order_id for o in made.orders] == ["123"]
    assert [(r.code, r.skus) for r in made.refusals] == [(codes.OUT_OF_STOCK, ["S2"])]


def test_swapped_fields_are_a_refusal_on_create_and_loud_on_a_read(api: Any) -> None:
    api.post(CREATE).mock(return_value=httpx.Response(400, json={"code": "Bad request", "message": 400}))
    api.get("/rest/user/purse.json").mock(return_value=httpx.Response(400, json={"code": "Bad request",
                                                                                 "message": 400}))
    refusal, = connector().create(request()).refusals
    assert refusal.code == codes.SUPPLIER_REJECTED and "Bad request" in refusal.message
    with pytest.raises(BigBuyRequestFailed):
        connector().wallet_balance()


# Quirks: never a success, never a plain retry of a create ---------------------------------------

RAW_500 = b"HTTP/1.1 500 Internal Server Error\r\nContent-Type: text/html\r\n\r\n<h1>Oops</h1>"
QUIRKS = {
    "error inside a 200": httpx.Response(200, json={"code": 409, "message": "Something went wrong"}),
    "raw 500 inside a 200": httpx.Response(200, content=RAW_500),
    "swapped fields inside a 200": httpx.Response(200, json={"code": "Bad request", "message": 500}),
    "empty 200": httpx.Response(200, content=b""),
    **{f"HTML {s}": httpx.Response(s, html=f"<html><title>{s}</title></html>") for s in (500, 502, 503, 504)},
    "Cloudflare 524": httpx.Response(524, text="error code: 524"),
    "JSON 500": httpx.Response(500, json={"code": 500, "message": "Internal Server Error"}),
}


@pytest.mark.parametrize("name", list(QUIRKS))
def test_a_create_answered_by_a_quirk_has_an_unknown_outcome(api: Any, name: str) -> None:
    api.post(CREATE).mock(return_value=QUIRKS[name])
    with pytest.raises(BigBuyOutcomeUnknown):
        connector().create(request())


@pytest.mark.parametrize("name", [n for n in QUIRKS if n != "empty 200"])
def test_a_read_answered_by_a_quirk_is_retried_later(api: Any, name: str) -> None:
    api.get("/rest/user/purse.json").mock(return_value=QUIRKS[name])
    with pytest.raises(BigBuyUnavailable) as caught:
        connector().wallet_balance()
    assert not isinstance(caught.value, errors.OutcomeUnknown)


def test_reads_are_retried_a_bounded_number_of_times(api: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("time.sleep", lambda seconds: None)
    route = api.get("/rest/user/purse.json").mock(side_effect=[QUIRKS["HTML 502"], httpx.Response(200, json="5.00")])
    made = connector()
    made.read_attempts = 3
    assert made.wallet_balance() == Decimal("5.00") and route.call_count == 2


@pytest.mark.parametrize("failure", [httpx.RemoteProtocolError("Server disconnected"), httpx.ReadTimeout("slow"),
                                     httpx.ReadError("connection reset")])
def test_a_create_whose_connection_dropped_has_an_unknown_outcome(api: Any, failure: Exception) -> None:
    api.post(CREATE).mock(side_effect=failure)
    with pytest.raises(BigBuyOutcomeUnknown):
        connector().create(request())


def test_a_create_that_never_connected_may_simply_go_again(api: Any) -> None:
    api.post(CREATE).mock(side_effect=httpx.ConnectError("refused"))
    with pytest.raises(BigBuyUnavailable) as caught:
        connector().create(request())
    assert not isinstance(caught.value, errors.OutcomeUnknown)


# Single create, lookups, tracking, wallet -------------------------------------------------------


def test_single_create_reads_the_location_header(api: Any) -> None:
    api.post("/rest/order/create.json").mock(return_value=httpx.Response(201, headers={
        "Location": "/rest/order/987654"}))
    made = connector().create_single(request())
    assert [o.supplier_order_id for o in made.orders] == ["987654"]


def test_single_create_reads_an_order_id_body(api: Any) -> None:
    api.post("/rest/order/create.json").mock(return_value=httpx.Response(201, json={"order_id": 55}))
    assert connector().create_single(request()).orders[0].supplier_order_id == "55"


def test_single_create_without_an_id_is_unknown(api: Any) -> None:
    api.post("/rest/order/create.json").mock(return_value=httpx.Response(201))
    with pytest.raises(BigBuyOutcomeUnknown):
        connector().create_single(request())


def test_find_by_reference_reads_one_order(api: Any) -> None:
    api.get(REFERENCE).mock(return_value=httpx.Response(200, json={"id": "123", "totalPaidTaxIncl": "30.85"}))
    found = connector().find_by_reference("OH-1")
    assert found is not None and found.orders[0].supplier_order_id == "123"
    assert found.orders[0].total == Decimal("30.85")


@pytest.mark.parametrize("answer", [
    httpx.Response(404, json={"code": 404, "message": "No order found with refOrder: OH-1"}),
    httpx.Response(500, json={"code": 500, "message": "No order found with refOrder: OH-1"}),
    httpx.Response(200, content=b""),
], ids=["404", "500 saying so", "empty 200"])
def test_an_unknown_reference_is_none(api: Any, answer: httpx.Response) -> None:
    api.get(REFERENCE).mock(return_value=answer)
    assert connector().find_by_reference("OH-1") is None


def test_a_reference_is_quoted_into_the_path(api: Any) -> None:
    route = api.get("/rest/order/reference/a%2Fb%3Fc.json").mock(return_value=httpx.Response(200, content=b""))
    assert connector().find_by_reference("a/b?c") is None and route.called


def test_tracking_asks_in_one_batch_and_names_carriers_once(api: Any) -> None:
    answer = [{"id": "66666", "reference": "OH-1", "trackings": [{
        "trackingNumber": "PK123", "statusDescription": "Delivered", "statusDate": "2026-10-12 10:00:00",
        "carrier": {"id": 3}, "descriptionTranslated": "Entregado"}]}]
    tracking_route = api.post("/rest/tracking/orders.json").mock(return_value=httpx.Response(200, json=answer))
    carriers = api.get("/rest/tracking/carriers.json").mock(
        return_value=httpx.Response(200, json=[{"id": "3", "name": "GLS"}]))
    made = connector()
    first = made.tracking(["66666", "66667"])
    made.tracking(["66666"])
    assert json.loads(tracking_route.calls[0].request.content) == {
        "track": {"orders": [{"id": "66666"}, {"id": "66667"}]}}
    assert [(t.supplier_order_id, t.number, t.carrier, t.status) for t in first] == [
        ("66666", "PK123", "GLS", "Delivered")]
    assert first[0].at is not None and first[0].at.tzinfo is not None
    assert carriers.call_count == 1


def test_tracking_refuses_more_than_a_batch() -> None:
    with pytest.raises(ValueError):
        connector().tracking([str(i) for i in range(BigBuyConnector.tracking_batch_size + 1)])


def test_tracking_of_nothing_costs_no_call() -> None:
    pacer = RecordingPacer()
    assert connector(pacer).tracking([]) == [] and pacer.waits == 0


@pytest.mark.parametrize("answer", ["10000.00", 10000.0, 10000])
def test_the_purse_is_a_bare_value(api: Any, answer: Any) -> None:
    api.get("/rest/user/purse.json").mock(return_value=httpx.Response(200, json=answer))
    assert connector().wallet_balance() == Decimal("10000.00")


def test_order_status_names_a_status_id(api: Any) -> None:
    api.get("/rest/order/123.json").mock(return_value=httpx.Response(200, json={"id": 123, "status": 4}))
    api.get("/rest/order/124.json").mock(return_value=httpx.Response(200, json={"id": 124, "status": "Shipped"}))
    api.get("/rest/order/125.json").mock(return_value=httpx.Response(404, json={"code": 404, "message": "Nope"}))
    api.get("/rest/order/orderstatuses.json").mock(return_value=httpx.Response(200, json=[
        {"id": 4, "name": "Sent"}]))
    made = connector()
    assert (made.order_status("123"), made.order_status("124"), made.order_status("125")) == ("Sent", "Shipped", None)


# Rate limit and credentials ------------------------------------------------------------------


@pytest.mark.parametrize("header", ["X-Ratelimit-Reset", "X-RateLimit-Reset", "x-ratelimit-reset"])
def test_429_holds_the_shared_pacer_until_the_reset(api: Any, header: str) -> None:
    reset = 4_102_444_800  # 2100-01-01: far enough to read retry_after reliably
    api.post(CREATE).mock(return_value=httpx.Response(429, text="You exceeded the rate limit",
                                                      headers={header: str(reset)}))
    pacer = RecordingPacer()
    with pytest.raises(BigBuyRateLimited) as caught:
        connector(pacer).create(request())
    assert pacer.holds == [reset] and pacer.waits == 1
    assert isinstance(caught.value, errors.RateLimited) and (caught.value.retry_after or 0) > 1000


def test_every_call_waits_for_the_pacer(api: Any) -> None:
    api.get("/rest/user/purse.json").mock(return_value=httpx.Response(200, json="1.00"))
    api.get(REFERENCE).mock(return_value=httpx.Response(200, content=b""))
    pacer = RecordingPacer()
    made = connector(pacer)
    made.wallet_balance()
    made.find_by_reference("OH-1")
    assert pacer.waits == 2


def test_a_refused_key_fails_loudly_without_the_key(api: Any) -> None:
    api.post(CREATE).mock(return_value=httpx.Response(401, json={"message": "Invalid Token"}))
    with pytest.raises(BigBuyAuthError) as caught:
        connector().create(request())
    assert isinstance(caught.value, errors.AuthenticationFailed)
    assert KEY not in str(caught.value) and KEY not in repr(caught.value)


def test_an_echoed_key_is_redacted(api: Any) -> None:
    api.get("/rest/user/purse.json").mock(return_value=httpx.Response(403, text=f"key {KEY} is blocked"))
    with pytest.raises(BigBuyAuthError) as caught:
        connector().wallet_balance()
    assert KEY not in str(caught.value)


def test_the_entry_point_finds_the_connector() -> None:
    from connectors.registry import supplier_class

    assert supplier_class("bigbuy") is BigBuyConnector


# Fuzzing: only the defined outcomes, only BigBuyError -----------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20)
    | st.sampled_from(["ER003", "ER008", "ER009", "No order found", "Invalid Token", "HTTP/1.1 500"]),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
        st.sampled_from(["code", "message", "errors", "children", "orders", "id", "data", "info", "sku",
                         "skus", "orderId", "warehouse", "productReferences", "trackings", "trackingNumber",
                         "carrier", "totalPaidTaxIncl", "total", "status", "order_id"]) | st.text(max_size=5),
        inner, max_size=5),
    max_leaves=20,
)
bodies = st.one_of(
    st.binary(max_size=200),
    json_values.map(lambda v: json.dumps(v).encode()),
    st.builds(lambda inner: json.dumps({"code": "ER003", "message": json.dumps(inner)}).encode(), json_values),
    st.builds(lambda inner: json.dumps({"code": 409, "message": json.dumps(inner)}).encode(), json_values),
    st.sampled_from([RAW_500, b"<html><title>502</title></html>", b"", b'"10000.00"']),
)
statuses = st.integers(min_value=0, max_value=999) | st.sampled_from([200, 201, 400, 401, 404, 409, 429, 500, 524])
headers = st.dictionaries(st.sampled_from(["X-Ratelimit-Reset", "location", "Retry-After", "x"]),
                          st.text(max_size=12), max_size=3)


@settings(max_examples=400, deadline=None)
@given(call=st.sampled_from(list(Call)), status=statuses, head=headers, body=bodies)
def test_the_classifier_only_answers_defined_outcomes(call: Call, status: int, head: dict[str, str],
                                                      body: bytes) -> None:
    outcome = classify(call, status, head, body)
    assert isinstance(outcome, OUTCOMES)
    assert "unreadable answer" not in getattr(outcome, "message", ""), "the classifier's last guard fired"
    if call.writes and status >= 500 and type(outcome).__name__ == "Ok":
        raise AssertionError("a 5xx create was read as a success")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(status=st.integers(min_value=100, max_value=599), body=bodies, head=headers)
def test_the_connector_raises_only_bigbuy_errors(status: int, body: bytes, head: dict[str, str]) -> None:
    safe = {k: v for k, v in head.items() if v.isprintable() and v.isascii()}
    transport = httpx.MockTransport(lambda r: httpx.Response(status, content=body, headers=safe))
    config = ConnectorConfig(name="bb", kind="bigbuy", url=BASE, credentials={"api_key": SecretStr(KEY)})
    made = BigBuyConnector(config, transport=transport, pacer=RecordingPacer())
    made.read_attempts = 1
    calls = [lambda: made.create(request()), lambda: made.find_by_reference("OH-1"), made.wallet_balance,
             lambda: made.tracking(["1", "2"]), lambda: made.quote(request()), lambda: made.order_status("1")]
    for call in calls:
        try:
            result = call()
        except BigBuyError:
            continue
        if call is calls[0] and result.orders and not result.already_existed:  # type: ignore[union-attr]
            assert 200 <= status < 300, "a create was read as done from an error status"
