"""The BigBuy connector against drawn answers: any status, headers and body on every call.

Each call either returns a well-typed record or raises a ``BigBuyError``, and an error is never
read as a success: a create is done only on a 2xx that names its orders (or an ER008 "already
exists"), a create answered by a 5xx, an HTML page or a raw HTTP response is ``OutcomeUnknown``,
and the wallet is a finite amount only from a 2xx with a numeric body.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, event, given, note, settings
from hypothesis import strategies as st

from connectors import codes, errors
from connectors.base import ConnectorConfig
from connectors.bigbuy import BigBuyConnector
from connectors.bigbuy.errors import BigBuyAuthError, BigBuyError, BigBuyOutcomeUnknown
from connectors.ratelimit import Unpaced
from connectors.records import (
    Quote,
    SupplierAddress,
    SupplierLine,
    SupplierOrderRequest,
    SupplierRefusal,
    SupplierSubmission,
    Tracking,
)
from sync.models import CatalogueItem, OrderIssue, SupplierOrderRow
from sync.models import Shipment as ShipmentRow

from support.strategies import PAYLOADS, examples, json_values, mutated

BASE = "https://api.bigbuy.test"
CREATE = "/rest/order/create/multishipping.json"
CREATE_SINGLE = "/rest/order/create.json"
CHECK = "/rest/order/check/multishipping.json"
REFERENCE = "/rest/order/reference/OH1-42.json"
TRACKING = "/rest/tracking/orders.json"
CARRIERS = "/rest/tracking/carriers.json"
PURSE = "/rest/user/purse.json"
#: the path each call asks first, whose answer decides it
MAIN = {"create": CREATE, "create_single": CREATE_SINGLE, "quote": CHECK, "find_by_reference": REFERENCE,
        "tracking": TRACKING, "wallet_balance": PURSE}
STATUSES = st.one_of(st.sampled_from([200, 201]), st.integers(100, 599),
                     st.sampled_from([200, 201, 204, 400, 401, 404, 408, 409, 429, 500, 502, 503, 504, 524]))
RAW_500 = b"HTTP/1.1 500 Internal Server Error\r\nContent-Type: text/html\r\n\r\n<h1>Internal Server Error</h1>"
BIGBUY_KEYS = ["code", "message", "errors", "children", "orders", "id", "data", "info", "sku", "skus", "orderId",
               "warehouse", "productReferences", "trackings", "trackingNumber", "carrier", "name", "statusDate",
               "statusDescription", "totalPaidTaxIncl", "total", "status", "order_id", "purse", "amount", "url",
               "zipExample", "moneyBoxAmount", "totalOrder", "error"]


# Answers ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)
    kind: str = "bytes"

    def json(self) -> Any:
        try:
            return json.loads(self.body)
        except (ValueError, RecursionError):
            return None

    @property
    def is_json(self) -> bool:
        try:
            json.loads(self.body)
        except (ValueError, RecursionError):
            return False
        return True

    @property
    def success(self) -> bool:
        return 200 <= self.status < 300

    def coded(self, code: str) -> bool:
        data = self.json()
        value = data.get("code") if isinstance(data, dict) else None
        return isinstance(value, str) and value.strip().upper() == code


def dumps(value: Any) -> bytes:
    return json.dumps(value).encode()


def er(code: str, info: Any, data: Any) -> dict[str, Any]:
    return {"code": code, "message": json.dumps({"info": info, "data": data})}


ER_CODES = [f"ER{n:03d}" for n in range(1, 15)] + ["er003", " ER008 ", "ER999"]
ascii_text = st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=30)
small_json = json_values(BIGBUY_KEYS, max_leaves=8)
ids = st.one_of(st.integers(-5, 10**12), st.sampled_from(["123", "", " ", "ab-9", "9" * 150, "0"]), st.none(),
                st.booleans(), st.floats(allow_nan=True), st.lists(st.integers(), max_size=2))


def _payload(name: str) -> Any:
    path = PAYLOADS / "bigbuy" / name
    return json.loads(path.read_text()) if path.exists() else None


SHAPES: dict[str, list[Any]] = {
    "create": [_payload("order-create-multishipping-response.json"),
               {"orders": [{"productReferences": ["S1"], "id": "123", "warehouse": 1, "url": "/rest/order/123"}],
                "errors": [er("ER003", "No stock", {"skus": ["S2"]}), "text error", {"message": "x"}]},
               {"orders": [], "errors": [er("ER008", "Duplicated", {"orderId": 77})]}],
    "create_single": [{"order_id": 55}, {"id": "56"}, ""],
    "quote": [_payload("order-check-multishipping-response.json"), _payload("order-check-response.json"),
              {"orders": [{"productReferences": ["S1"], "total": "9.81", "warehouse": 1}],
               "errors": [er("ER010", "No carrier", None)]}],
    "find_by_reference": [{"id": "77", "totalPaidTaxIncl": "30.85"}, [{"id": 78, "totalPaidTaxIncl": 12.5}]],
    "tracking": [[{"id": "1", "reference": "OH1-42", "trackings": [
        {"trackingNumber": "TN1", "statusDescription": "In transit", "statusDate": "2026-11-02 10:00:00",
         "carrier": {"id": 3}, "descriptionTranslated": "En camino"}]}],
        [{"id": 2, "trackings": [{"trackingNumber": "TN2", "statusDate": "2026-11-02T10:00:00+02:00",
                                  "carrier": {"name": "GLS"}}]}, {"id": "3", "trackings": []}]],
    "wallet_balance": ["10000.00", 12.5, {"purse": "5.10"}, {"amount": 3}],
    "carriers": [[{"id": 3, "name": "Correos"}, {"id": "4", "name": "GLS"}]],
}
SHAPES = {call: [s for s in shapes if s is not None] for call, shapes in SHAPES.items()}

QUIRKS = [
    Answer(200, dumps({"code": 409, "message": "Something went wrong"}), kind="error in a 200"),
    Answer(200, RAW_500, kind="raw 500 in a 200"),
    Answer(200, dumps({"code": "Bad request", "message": 400}), kind="swapped in a 200"),
    Answer(400, dumps({"code": "Bad request", "message": 400}), kind="swapped"),
    Answer(200, b"", kind="empty 200"),
    Answer(524, b"error code: 524", {"Content-Type": "text/plain"}, kind="cloudflare"),
    Answer(429, b"You exceeded the rate limit", {"X-Ratelimit-Reset": "1893456000"}, kind="throttled"),
    Answer(401, dumps({"message": "Invalid Token"}), kind="invalid token"),
    Answer(500, dumps({"code": 404, "message": "No order found with refOrder: OH1-42"}), kind="no order found"),
    Answer(404, dumps({"code": 404, "message": "No route found for GET /rest/x"}), kind="no route"),
]


def html(title: str) -> bytes:
    return f"<!DOCTYPE html><html><head><title>{title}</title></head><body><h1>{title}</h1></body></html>".encode()


@st.composite
def bodies(draw: st.DrawFn, call: str) -> tuple[bytes, str]:
    """A body and what kind of body it is."""
    how = draw(st.sampled_from(["bytes", "json", "json string", "number", "coded", "form", "products", "truncated",
                                "html", "raw http", "empty"]) | st.sampled_from(["shape", "mutated shape"]))
    if how == "bytes":
        return draw(st.binary(max_size=300)), how
    if how == "json":
        return json.dumps(draw(json_values(BIGBUY_KEYS, max_leaves=15))).encode(), how
    if how == "json string":
        text = draw(st.sampled_from(["10000.00", " 12.5 ", "-5", "abc", "NaN", "Infinity", "1e999", "1E+2", "",
                                     "1_000", "０.５", "9" * 40, "0.005"]) | st.text(max_size=12))
        return json.dumps(text).encode(), how
    if how == "number":
        return json.dumps(draw(st.integers() | st.floats() | st.sampled_from([0, -1, 10**30, 1e308]))).encode(), how
    if how == "coded":
        code = draw(st.sampled_from(ER_CODES))
        data = draw(st.fixed_dictionaries({}, optional={"orderId": ids, "skus": st.lists(ids, max_size=3),
                                                        "zipExample": ascii_text, "moneyBoxAmount": small_json,
                                                        "totalOrder": small_json}) | small_json)
        message = draw(st.sampled_from(["json", "text", "dict"]))
        if message == "json":
            return dumps(er(code, draw(ascii_text), data)), f"coded {code}"
        if message == "text":
            return dumps({"code": code, "message": draw(ascii_text)}), f"coded {code}"
        return dumps({"code": code, "message": {"info": draw(ascii_text), "data": data}}), f"coded {code}"
    if how == "form":
        leaf = draw(st.sampled_from(["address", "postcode", "phone", "lastName", "firstName", "reference", "x", "0"]))
        errors_ = draw(st.lists(ascii_text | small_json, max_size=3))
        tree = {"errors": draw(st.lists(ascii_text, max_size=2)), "children": {"shippingAddress": {"children": {
            leaf: {"errors": errors_}}}, "products": {"children": [{"children": {"reference": {"errors": errors_}}}]}}}
        return dumps({"code": draw(st.sampled_from([400, "400", None])), "message": "Validation Failed",
                      "errors": draw(st.just(tree) | small_json)}), how
    if how == "products":
        items = draw(st.lists(st.fixed_dictionaries({"sku": ids, "message": ascii_text | small_json}), max_size=4))
        inner = {"info": "Products error.", "data": items}
        return dumps({"code": draw(st.sampled_from([409, "409", 200])), "message": json.dumps(inner)}), how
    if how in ("shape", "mutated shape"):
        shapes = SHAPES[call] + (SHAPES["carriers"] if call == "tracking" else [])
        shape = draw(st.sampled_from(shapes) if how == "shape" else mutated(shapes, keys=BIGBUY_KEYS))
        return dumps(shape), how
    if how == "truncated":
        full = dumps(draw(st.sampled_from([s for shapes in SHAPES.values() for s in shapes])))
        return full[: draw(st.integers(1, max(1, len(full) - 1)))], how
    if how == "html":
        return html(draw(st.sampled_from(["502 Bad Gateway", "503 Service Unavailable", "Maintenance", "Just a moment",
                                          "500", "<script>"]))), how
    if how == "raw http":
        return draw(st.sampled_from([RAW_500, b"  http/1.0 200 OK\r\n\r\n{}", b"HTTP/2 502\r\n\r\n"])), how
    return b"", how


header_values = ascii_text | st.sampled_from(["", " ", "-1", "nan", "inf", "1e400", "0", "5", "1893456000",
                                              "99999999999999999999"])
locations = ascii_text | st.sampled_from([
    "/rest/order/987654", "/rest/order/", "https://api.bigbuy.eu/rest/order/ab_c-9.json?x=1#f", "/rest/order/..",
    "order/5", "/rest/orders/123", "/rest/order/%00", "/rest/order/" + "9" * 300, "   ", "/rest/order/12/"])
content_types = st.sampled_from(["application/json", "text/html; charset=utf-8", "text/plain", "garbage", "",
                                 "application/json; charset=latin-1", "application/problem+json"])


@st.composite
def answers(draw: st.DrawFn, call: str) -> Answer:
    if draw(st.integers(0, 9)) == 0:
        return draw(st.sampled_from(QUIRKS))
    body, kind = draw(bodies(call))
    headers = draw(st.fixed_dictionaries({}, optional={
        "X-Ratelimit-Reset": header_values, "Location": locations, "Content-Type": content_types,
        "Retry-After": header_values}))
    return Answer(draw(STATUSES), body, headers, kind)


# The connector, on a transport that serves the drawn answers -----------------------------------


class Served:
    """Serves the drawn answers in turn (the last one again once they run out) and keeps what went."""

    def __init__(self, queue: list[Answer]) -> None:
        self.queue = list(queue)
        self.log: list[tuple[str, Answer]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        answer = self.queue.pop(0) if len(self.queue) > 1 else self.queue[0]
        self.log.append((request.url.path, answer))
        return httpx.Response(answer.status, headers=answer.headers, content=answer.body)

    def last(self, path: str) -> Answer | None:
        found = [a for p, a in self.log if p == path]
        return found[-1] if found else None

    def count(self, path: str) -> int:
        return sum(p == path for p, _ in self.log)


def connector(served: Served, attempts: int) -> BigBuyConnector:
    config = ConnectorConfig(name="bb", kind="bigbuy", url=BASE, credentials={"api_key": "k"})  # type: ignore[dict-item]
    made = BigBuyConnector(config, transport=httpx.MockTransport(served), pacer=Unpaced())
    made.read_attempts = attempts
    return made


def request() -> SupplierOrderRequest:
    address = SupplierAddress(first_name="Lucia", last_name="Garcia", country_code="ES", postcode="46005",
                              city="Valencia", address="Calle Mayor 1", phone="+34600000000", email="l@example.com")
    return SupplierOrderRequest(internal_reference="OH1-42", address=address,
                                lines=[SupplierLine(supplier_sku="S1", quantity=2)])


CALLS: dict[str, Callable[[BigBuyConnector], Any]] = {
    "create": lambda c: c.create(request()),
    "create_single": lambda c: c.create_single(request()),
    "quote": lambda c: c.quote(request()),
    "find_by_reference": lambda c: c.find_by_reference("OH1-42"),
    "tracking": lambda c: c.tracking(["1", "2", "3"]),
    "wallet_balance": lambda c: c.wallet_balance(),
}


# What a result may be -------------------------------------------------------------------------------


def finite(value: Any, what: str) -> None:
    assert isinstance(value, Decimal) and value.is_finite(), f"{what} is not a finite Decimal"


def fits(value: str | None, column: Any, what: str) -> None:
    """What the store keeps must fit its column (PostgreSQL enforces sizes and refuses NULs)."""
    if value is not None:
        assert isinstance(value, str)
        assert column.type.length is None or len(value) <= column.type.length, f"{what} does not fit its column"
        assert "\x00" not in value, f"{what} holds a NUL"


def fits_money(value: Decimal | None, what: str) -> None:
    if value is not None:
        finite(value, what)
        assert abs(value) < Decimal(10) ** 12, f"{what} does not fit NUMERIC(14, 2)"


def check_submission(made: Any) -> None:
    assert isinstance(made, SupplierSubmission)
    assert made.internal_reference == "OH1-42"
    table = SupplierOrderRow.__table__.c
    for order in made.orders:
        assert order.supplier_order_id.strip(), "a supplier order without an id"
        fits(order.supplier_order_id, table.supplier_order_id, "a supplier order id")
        fits(order.warehouse, table.warehouse, "a warehouse")
        for sku in order.skus:
            fits(sku, CatalogueItem.__table__.c.supplier_sku, "a product reference")
        fits_money(order.total, "an order total")
    for refusal in made.refusals:
        check_refusal(refusal)


def check_refusal(refusal: SupplierRefusal) -> None:
    """A refusal becomes an issue an operator reads: a known code, a message, a field that fits."""
    assert refusal.code in codes.ALL, f"refusal code {refusal.code!r} is not an issue code"
    assert refusal.message.strip(), "a refusal without a message"
    fits(refusal.field, OrderIssue.__table__.c.field, "a refusal's field")


def numeric(answer: Answer) -> Decimal | None:
    """What the purse says, read independently: a JSON number, or a numeric string."""
    value = answer.json()
    if isinstance(value, dict):
        value = value.get("purse", value.get("amount"))
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        amount = Decimal(str(value).strip())
        return amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP) if amount.is_finite() else None
    except (InvalidOperation, ValueError):
        return None


def retry_is_safe(answer: Answer) -> bool:
    """A create may simply go again only when BigBuy said it was not taken: throttled, request not
    read (408), or the ER009 temporary error."""
    return answer.status in (408, 429) or answer.coded("ER009")


def check_create(result: Any, exc: BaseException | None, served: Served, path: str) -> None:
    assert served.count(path) == 1, "a create was sent more than once"
    first = served.last(path)
    assert first is not None
    raw = first.body.strip()
    lookup = served.last(REFERENCE)
    # answers that cannot say what happened to the order: only OutcomeUnknown fits them
    unknown = ((raw[:5].upper() == b"HTTP/" and first.status not in (401, 429))
               or (first.status >= 500 and not first.is_json)
               or (first.success and not first.is_json and (bool(raw) or path == CREATE)))
    if exc is None:
        check_submission(result)
        if result.already_existed:
            assert b"er008" in first.body.lower(), "already_existed without an ER008"
        if result.orders and not first.success:
            assert result.already_existed and (first.coded("ER008") or lookup is not None), (
                f"a create answered {first.status} ({first.kind}) was read as done")
        assert not unknown or (path == CREATE_SINGLE and first.success and not raw), (
            f"a create answered {first.status} ({first.kind}) returned {result!r}")
        return
    if unknown:
        assert isinstance(exc, BigBuyOutcomeUnknown), f"{first.kind} {first.status} on a create: {exc!r}"
    if isinstance(exc, errors.RetryLater) and not isinstance(exc, errors.OutcomeUnknown):
        assert retry_is_safe(first) or lookup is not None, (
            f"a create answered {first.status} ({first.kind}) is to be sent again blindly: {exc!r}")


def check_read(call: str, result: Any, served: Served) -> None:
    answer = served.last(MAIN[call])
    assert answer is not None
    if call == "quote":
        assert isinstance(result, Quote)
        finite(result.total, "the quote total")
        for order in result.orders:
            assert order.total is None or order.total.is_finite()
            fits(order.warehouse, SupplierOrderRow.__table__.c.warehouse, "a warehouse")
        for refusal in result.refusals:
            check_refusal(refusal)
        if not answer.success:
            assert result.refusals and not result.orders, f"a {answer.status} check was read as a quote"
    elif call == "find_by_reference":
        if result is None:
            assert answer.success or answer.status == 404 or b"no order found" in answer.body.lower(), (
                f"a {answer.status} ({answer.kind}) look-up was read as 'no such order'")
        else:
            check_submission(result)
            assert answer.success and result.orders, f"a {answer.status} look-up was read as found"
    elif call == "tracking":
        assert isinstance(result, list)
        table = ShipmentRow.__table__.c
        for item in result:
            assert isinstance(item, Tracking) and item.number.strip(), "a blank tracking number"
            assert item.supplier_order_id.strip(), "a tracking without its order id"
            assert item.at is None or (isinstance(item.at, datetime) and item.at.utcoffset() is not None)
            fits(item.supplier_order_id, SupplierOrderRow.__table__.c.supplier_order_id, "a supplier order id")
            fits(item.number, table.tracking_number, "a tracking number")
            fits(item.carrier, table.carrier, "a carrier")
            fits(item.status, table.status, "a tracking status")
            fits(item.url, table.url, "a tracking url")
        if result:
            assert answer.success, f"a {answer.status} tracking answer was read as tracking"
    elif call == "wallet_balance":
        fits_money(result, "the wallet")
        assert answer.success, f"a {answer.status} ({answer.kind}) was read as the wallet"
        assert result == numeric(answer), "the wallet is not the number the body held"


@pytest.mark.parametrize("call", list(CALLS))
@settings(deadline=None, derandomize=False, print_blob=True, max_examples=examples(200),
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=st.data())
def test_every_answer_is_a_typed_result_or_a_bigbuy_error_and_never_an_error_read_as_success(
    call: str, data: st.DataObject
) -> None:
    queue = data.draw(st.lists(answers(call), min_size=1, max_size=3), label="answers")
    attempts = data.draw(st.integers(1, 2), label="read attempts")
    served = Served(queue)
    made = connector(served, attempts)
    result: Any = None
    caught: BaseException | None = None
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("time.sleep", lambda seconds: None)  # the bounded read retries, without waiting
        try:
            result = CALLS[call](made)
        except BigBuyError as exc:
            caught = exc
        except Exception as exc:  # noqa: BLE001
            raise AssertionError(f"{call} raised {type(exc).__name__}, not a BigBuyError") from exc
        finally:
            made.close()
    note(f"served {[(p, a.status, a.kind) for p, a in served.log]}; result {result!r}; raised {caught!r}")
    event(f"{call}: {type(caught).__name__ if caught else type(result).__name__}")
    if isinstance(caught, BigBuyAuthError):
        assert any(a.status in (401, 403) or b"invalid token" in a.body.lower() for _, a in served.log)
    if call in ("create", "create_single"):
        check_create(result, caught, served, MAIN[call])
    elif caught is None:
        check_read(call, result, served)
    if call == "wallet_balance" and caught is None:
        assert math.isfinite(float(result))
