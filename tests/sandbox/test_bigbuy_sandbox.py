"""The BigBuy sandbox over real HTTP, driven by the real connector."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from connectors import codes, errors
from connectors.base import ConnectorConfig
from connectors.bigbuy import BigBuyAuthError, BigBuyConnector, BigBuyOutcomeUnknown, BigBuyRateLimited
from connectors.ratelimit import Pacer, TokenBucket
from connectors.records import SupplierAddress, SupplierLine, SupplierOrderRequest
from sandbox import catalogue, seeding
from sandbox.bigbuy import BigBuyFaults, BigBuySandbox
from sandbox.server import Running

W1, W3 = catalogue.ACCESSORIES_W1[0].sku, catalogue.ACCESSORIES_W3[0].sku
STANDARD = catalogue.STANDARD[0].sku


def order(reference: str, *skus: str, **address: Any) -> SupplierOrderRequest:
    fields = {"first_name": "Lucia", "last_name": "Garcia", "country_code": "ES", "postcode": "46005",
              "city": "Valencia", "address": "Calle Mayor 12", "phone": "+34 600000000",
              "email": "lucia@example.com", **address}
    return SupplierOrderRequest(internal_reference=reference, address=SupplierAddress(**fields),
                                lines=[SupplierLine(supplier_sku=s, quantity=1) for s in skus or (STANDARD,)],
                                carriers=["gls", "correos"])


class Sandbox:
    def __init__(self, app: BigBuySandbox, running: Running) -> None:
        self.app, self.running = app, running

    def connector(self, pacer: Pacer | None = None, key: str = "bb_sandbox_key") -> BigBuyConnector:
        config = ConnectorConfig(name="bb", kind="bigbuy", url=self.running.url,
                                 credentials={"api_key": SecretStr(key)})
        made = BigBuyConnector(config, pacer=pacer)
        made.read_attempts = 1
        return made


@pytest.fixture
def make() -> Iterator[Any]:
    started: list[Running] = []

    def start(**kwargs: Any) -> Sandbox:
        kwargs.setdefault("rate_per_second", 0)
        app = BigBuySandbox(**kwargs)
        running = Running(app).start()
        started.append(running)
        return Sandbox(app, running)

    yield start
    for running in started:
        running.stop()


def test_a_create_is_split_by_warehouse(make: Any) -> None:
    bb = make()
    made = bb.connector().create(order("OH-1", W1, W3))
    assert [(o.supplier_order_id, o.warehouse, o.skus) for o in made.orders] == [
        ("100000", "1", [W1]), ("100001", "3", [W3])]
    assert bb.app.orders_by_reference == {"OH-1": ["100000", "100001"]}
    expected = catalogue.supplier_total([(W1, 1)]) + catalogue.supplier_total([(W3, 1)])
    assert bb.connector().wallet_balance() == Decimal("10000.00") - expected
    assert bb.connector().order_status("100001") == "Processing"


def test_a_quote_prices_without_creating(make: Any) -> None:
    bb = make()
    quote = bb.connector().quote(order("OH-1", W1, W3))
    assert quote.total == catalogue.supplier_total([(W1, 1)]) * 2 and len(quote.orders) == 2
    assert bb.app.state()["orders"] == 0


def test_a_duplicate_reference_answers_already_existed(make: Any) -> None:
    bb = make()
    connector = bb.connector()
    first = connector.create(order("OH-1", W1, W3))
    again = connector.create(order("OH-1", W1, W3))
    assert again.already_existed and again.orders[0].supplier_order_id == first.orders[0].supplier_order_id
    assert bb.app.state() == {"orders": 2, "references": 1, "duplicates": 0, "wallet": bb.app.state()["wallet"]}


def test_a_single_create_answers_201_with_location(make: Any) -> None:
    bb = make()
    made = bb.connector().create_single(order("OH-1", W1, W3))
    assert [o.supplier_order_id for o in made.orders] == ["100000"] and bb.app.state()["orders"] == 1


def test_an_empty_wallet_refuses_with_insufficient_wallet(make: Any) -> None:
    bb = make(wallet=seeding.wallet_for(1))
    connector = bb.connector()
    assert connector.create(order("OH-1")).orders
    dry = connector.create(order("OH-2", STANDARD, address="Another street 5"))
    assert not dry.orders and [(r.code, r.supplier_code) for r in dry.refusals] == [
        (codes.INSUFFICIENT_WALLET, "ER005")]
    bb.app.set_wallet(Decimal("100.00"))
    assert connector.create(order("OH-2", STANDARD, address="Another street 5")).orders


@pytest.mark.parametrize(("skus", "out_of_stock", "issue"), [
    ((catalogue.OUT_OF_STOCK.sku,), set(), codes.OUT_OF_STOCK),
    ((STANDARD,), {STANDARD}, codes.OUT_OF_STOCK),
    ((catalogue.DISCONTINUED.sku,), set(), codes.DISCONTINUED),
    (("NOPE-1",), set(), codes.UNKNOWN_SKU),
])
def test_products_that_cannot_ship_are_refused(make: Any, skus: tuple[str, ...], out_of_stock: set[str],
                                               issue: str) -> None:
    bb = make(out_of_stock=out_of_stock)
    made = bb.connector().create(order("OH-1", *skus))
    assert not made.orders and [(r.code, r.skus) for r in made.refusals] == [(issue, list(skus))]


def test_a_partial_create_keeps_the_part_that_could_ship(make: Any) -> None:
    bb = make()
    made = bb.connector().create(order("OH-1", W1, catalogue.DISCONTINUED.sku))
    assert [o.skus for o in made.orders] == [[W1]]
    assert [r.code for r in made.refusals] == [codes.DISCONTINUED]


@pytest.mark.parametrize(("address", "issue", "field"), [
    ({"address": "x" * 71}, codes.ADDRESS_TOO_LONG, "shippingAddress.address"),
    ({"last_name": " "}, codes.MISSING_SURNAME, "shippingAddress.lastName"),
    ({"postcode": "ABC-12"}, codes.INVALID_POSTCODE, "shippingAddress.postcode"),
    ({"country_code": "NL", "postcode": "3511LX"}, None, None),
])
def test_addresses_are_checked(make: Any, address: dict[str, str], issue: str | None, field: str | None) -> None:
    bb = make()
    made = bb.connector().create(order("OH-1", **address))
    assert [(r.code, r.field) for r in made.refusals] == ([(issue, field)] if issue else [])


def test_a_wrong_key_is_refused(make: Any) -> None:
    bb = make()
    with pytest.raises(BigBuyAuthError) as caught:
        bb.connector(key="wrong-key-123").wallet_balance()
    assert "wrong-key-123" not in str(caught.value)


def test_the_rate_limit_is_enforced_and_advertised(make: Any) -> None:
    bb = make(rate_per_second=1.0)
    answer = httpx.get(f"{bb.running.url}/rest/user/purse.json", headers={"Authorization": "Bearer bb_sandbox_key"})
    assert answer.json() == "10000.00" and answer.headers["X-RateLimit-Remaining"] == "0"

    class Recording:
        def __init__(self) -> None:
            self.holds: list[float] = []

        def wait(self, cost: int = 1) -> float:
            return 0.0

        def hold_until(self, epoch_seconds: float) -> None:
            self.holds.append(epoch_seconds)

    pacer = Recording()
    with pytest.raises(BigBuyRateLimited):
        bb.connector(pacer).create(order("OH-1"))
    assert pacer.holds and pacer.holds[0] >= time.time() - 1
    assert bb.app.state()["orders"] == 0


def test_a_paced_connector_stays_inside_the_limit(make: Any) -> None:
    bb = make(rate_per_second=1.0)
    connector = bb.connector(TokenBucket(f"bb-test-{time.time()}", rate=1.0))
    assert connector.create(order("OH-1")).orders and connector.find_by_reference("OH-1") is not None


def test_a_dropped_answer_is_unknown_and_the_reference_finds_the_order(make: Any) -> None:
    bb = make(faults=BigBuyFaults(drop_after_store_rate=1.0))
    connector = bb.connector()
    with pytest.raises(BigBuyOutcomeUnknown):
        connector.create(order("OH-1", W1, W3))
    found = connector.find_by_reference("OH-1")
    assert found is not None and found.orders[0].supplier_order_id == "100000"
    assert bb.app.state()["orders"] == 2


def test_a_5xx_before_storing_is_unknown_and_nothing_is_stored(make: Any) -> None:
    bb = make(faults=BigBuyFaults(error_before_store_rate=1.0))
    connector = bb.connector()
    with pytest.raises(BigBuyOutcomeUnknown):
        connector.create(order("OH-1"))
    assert connector.find_by_reference("OH-1") is None and bb.app.state()["orders"] == 0


def test_quirks_are_never_read_as_success(make: Any) -> None:
    bb = make(faults=BigBuyFaults(quirk_rate=1.0, seed=3))
    connector = bb.connector()
    for n in range(8):
        with pytest.raises(BigBuyOutcomeUnknown):
            connector.create(order(f"OH-{n}", address=f"Calle Mayor {n}"))
        with contextlib.suppress(errors.RetryLater):  # or the empty-200 quirk, which lies: None
            assert connector.find_by_reference(f"OH-{n}") is None
    assert bb.app.state()["duplicates"] == 0


def test_a_burst_of_429_is_rate_limited(make: Any) -> None:
    bb = make(faults=BigBuyFaults(burst_429=2, burst_every=1))
    with pytest.raises(BigBuyRateLimited):
        bb.connector().wallet_balance()


def test_advance_ships_and_tracking_comes_back_in_one_batch(make: Any) -> None:
    bb = make()
    connector = bb.connector()
    ids = [o.supplier_order_id for o in connector.create(order("OH-1", W1, W3)).orders]
    assert connector.tracking(ids) == []
    assert bb.app.advance() == 2 and bb.app.advance() == 0
    tracked = connector.tracking([*ids, "999999"])
    assert [(t.supplier_order_id, t.carrier) for t in tracked] == [(ids[0], "Correos"), (ids[1], "GLS")]
    assert all(t.number and t.status == "Shipped" and t.at for t in tracked)
    assert connector.tracking_of(ids[0])[0].number == tracked[0].number
    assert connector.order_status(ids[0]) == "Shipped"


def test_duplicates_count_the_same_content_under_two_references(make: Any) -> None:
    bb = make()
    connector = bb.connector()
    connector.create(order("OH-1", W1, W3))
    connector.create(order("OH-2", STANDARD))
    connector.create(order("OH-3", STANDARD, address="Somewhere else 1"))
    assert bb.app.state()["duplicates"] == 0
    connector.create(order("OH-4", STANDARD))
    assert bb.app.state() | {"wallet": ""} == {"orders": 5, "references": 4, "duplicates": 1, "wallet": ""}


def test_the_control_endpoints(make: Any) -> None:
    bb = make(rate_per_second=1.0)
    bb.connector().create(order("OH-1"))
    with httpx.Client(base_url=bb.running.url) as client:
        assert client.post("/_sandbox/wallet", json={"amount": "12.50"}).json()["wallet"] == "12.50"
        assert client.post("/_sandbox/advance").json() == {"shipped": 1}
        assert client.get("/_sandbox/state").json() == {"orders": 1, "references": 1, "duplicates": 0,
                                                        "wallet": "12.50"}


def test_an_unknown_reference_is_answered_as_bigbuys_sandbox_does(make: Any) -> None:
    bb = make()
    answer = httpx.get(f"{bb.running.url}/rest/order/reference/OH-404.json",
                       headers={"Authorization": "Bearer bb_sandbox_key"})
    assert answer.status_code == 500 and answer.json()["message"] == "An error has occurred"
    assert bb.connector().find_by_reference("OH-404") is None


def test_tracking_dates_come_in_madrid_time_and_are_read_back_to_the_instant(make: Any) -> None:
    bb = make()
    connector = bb.connector()
    [made] = connector.create(order("OH-1")).orders
    bb.app.advance()
    shipped = bb.app.orders[made.supplier_order_id].shipped_at
    raw = httpx.get(f"{bb.running.url}/rest/tracking/order/{made.supplier_order_id}.json",
                    headers={"Authorization": "Bearer bb_sandbox_key"}).json()
    assert "+" not in raw["trackings"][0]["statusDate"] and "Z" not in raw["trackings"][0]["statusDate"]
    [tracked] = connector.tracking([made.supplier_order_id])
    assert tracked.at == shipped.replace(microsecond=0)


def test_every_warehouse_refused_keeps_each_ones_code(make: Any) -> None:
    bb = make(out_of_stock={W1})
    made = bb.connector().create(order("OH-1", W1, catalogue.DISCONTINUED.sku))
    assert not made.orders
    assert sorted((r.code, tuple(r.skus)) for r in made.refusals) == sorted(
        [(codes.OUT_OF_STOCK, (W1,)), (codes.DISCONTINUED, (catalogue.DISCONTINUED.sku,))])


def test_shipping_options_check_an_operators_carrier(make: Any) -> None:
    bb = make()
    connector = bb.connector()
    assert {o.carrier for o in connector.shipping_options(order("OH-1", W1))} == {"correos", "chrono", "gls", "dhl"}
    abroad = order("OH-1", W1, country_code="FR", postcode="69002")
    assert connector.find_carrier(abroad, "Chrono") is None  # delivers to Spain and Portugal only
    chosen = connector.find_carrier(order("OH-1", W1, W3), "GLS")
    assert chosen is not None and chosen.carrier == "gls"
    assert connector.find_carrier(order("OH-1", W1), "UPS") is None
    assert bb.app.state()["orders"] == 0
