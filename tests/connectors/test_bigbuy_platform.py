"""BigBuy read as it is: ER codes inside a 4xx multishipping body, dates in Madrid time, its
sandbox's 500 for an unknown reference, the account's language, carriers by code, and the
shipping options an operator's carrier is checked against."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
import respx
from pydantic import SecretStr

from connectors import codes, errors
from connectors.base import ConnectorConfig
from connectors.bigbuy import BigBuyConnector
from connectors.records import SupplierAddress, SupplierLine, SupplierOrderRequest

BASE = "https://api.bigbuy.test"
CREATE = "/rest/order/create/multishipping.json"
CHECK = "/rest/order/check/multishipping.json"
SHIPPING = "/rest/shipping/orders.json"


def connector(**settings: Any) -> BigBuyConnector:
    config = ConnectorConfig(name="bb", kind="bigbuy", url=BASE, credentials={"api_key": SecretStr("k")},
                             settings=settings)
    made = BigBuyConnector(config)
    made.read_attempts = 1
    return made


def request(*skus: str, **changes: Any) -> SupplierOrderRequest:
    address = SupplierAddress(first_name="Ana", last_name="Ruiz", country_code="ES", postcode="46005",
                              city="Valencia", address="C/ Altea 1", phone="664869570")
    made = SupplierOrderRequest(internal_reference="OH-1", address=address,
                                lines=[SupplierLine(supplier_sku=s, quantity=1) for s in skus or ("S1",)])
    return made.model_copy(update=changes)


def entry(code: str, info: str, skus: list[str], warehouse: int) -> dict[str, Any]:
    message = json.dumps({"info": info, "data": {"skus": skus}})
    return {"code": code, "message": message, "productReferences": skus, "warehouse": warehouse}


@pytest.fixture
def api() -> Any:
    with respx.mock(base_url=BASE, assert_all_called=False) as router:
        yield router


LISTED = [entry("ER003", "No stock.", ["S1"], 1), entry("ER001", "Product not found.", ["S2"], 3)]


@pytest.mark.parametrize("body", [{"orders": [], "errors": LISTED},
                                  {"code": 409, "message": "Order errors", "errors": LISTED}],
                         ids=["orders-and-errors", "code-and-errors"])
def test_an_error_list_in_a_4xx_multishipping_body_keeps_its_er_codes(api: Any, body: dict[str, Any]) -> None:
    api.post(CREATE).mock(return_value=httpx.Response(409, json=body))
    api.post(CHECK).mock(return_value=httpx.Response(409, json=body))
    made = connector().create(request("S1", "S2"))
    expected = [(codes.OUT_OF_STOCK, "ER003", ["S1"]), (codes.UNKNOWN_SKU, "ER001", ["S2"])]
    assert [(r.code, r.supplier_code, r.skus) for r in made.refusals] == expected
    assert not made.orders
    quote = connector().quote(request("S1", "S2"))
    assert [(r.code, r.supplier_code, r.skus) for r in quote.refusals] == expected


def test_a_4xx_create_that_also_names_orders_is_looked_up(api: Any) -> None:
    body = {"orders": [{"id": "77", "warehouse": 1, "productReferences": ["S1"]}], "errors": LISTED[1:]}
    api.post(CREATE).mock(return_value=httpx.Response(409, json=body))
    with pytest.raises(errors.OutcomeUnknown):
        connector().create(request("S1", "S2"))


@pytest.mark.parametrize(("status_date", "utc"), [
    ("2026-07-01 12:00:00", datetime(2026, 7, 1, 10, 0, tzinfo=UTC)),  # summer: UTC+2
    ("2026-01-15 12:00:00", datetime(2026, 1, 15, 11, 0, tzinfo=UTC)),  # winter: UTC+1
    ("2026-01-15T12:00:00+00:00", datetime(2026, 1, 15, 12, 0, tzinfo=UTC)),  # a zone given is kept
])
def test_a_status_date_without_zone_is_madrid_time(api: Any, status_date: str, utc: datetime) -> None:
    tracking = [{"id": "5", "trackings": [{"trackingNumber": "T5", "statusDate": status_date,
                                           "carrier": {"id": 1}}]}]
    api.post("/rest/tracking/orders.json").mock(return_value=httpx.Response(200, json=tracking))
    api.get("/rest/tracking/carriers.json").mock(return_value=httpx.Response(200, json=[{"id": 1, "name": "GLS"}]))
    [found] = connector().tracking(["5"])
    assert found.at == utc


def test_the_sandboxes_500_for_an_unknown_reference_is_not_found(api: Any) -> None:
    route = api.get("/rest/order/reference/OH-1.json")
    route.mock(return_value=httpx.Response(500, json={"code": 500, "message": "An error has occurred"}))
    assert connector().find_by_reference("OH-1") is None
    route.mock(return_value=httpx.Response(500, text="<html><title>Internal Server Error</title></html>"))
    with pytest.raises(errors.RetryLater):  # any other 500 is still a failure
        connector().find_by_reference("OH-1")


def test_the_accounts_language_and_carrier_codes_are_sent(api: Any) -> None:
    route = api.post(CREATE).mock(return_value=httpx.Response(200, json={"orders": [{"id": "1"}]}))
    connector(language="es", carriers=["GLS", "Correos Express"]).create(request())
    sent = json.loads(route.calls.last.request.content)["order"]
    assert sent["language"] == "es"
    assert sent["carriers"] == [{"name": "gls"}, {"name": "correosexpress"}]
    connector(language="fr").create(request(carriers=[" Chrono "]))
    sent = json.loads(route.calls.last.request.content)["order"]
    assert sent["language"] == "fr" and sent["carriers"] == [{"name": "chrono"}]


def option(name: str, code: str | None = None, cost: float = 4.5) -> dict[str, Any]:
    service = {"id": 1, "name": name, "delay": "24-48h", "transportMethod": "van"}
    if code is not None:
        service["serviceName"] = code
    return {"shippingService": service, "cost": cost, "weight": 0.5}


def test_shipping_options_name_carriers_by_code(api: Any) -> None:
    route = api.post(SHIPPING).mock(return_value=httpx.Response(200, json={
        "shippingOptions": [option("GLS", "gls"), option("Correos Express")]}))
    bigbuy = connector()
    options = bigbuy.shipping_options(request("S1"))
    assert [(o.carrier, o.name) for o in options] == [("gls", "GLS"), ("correosexpress", "Correos Express")]
    sent = json.loads(route.calls.last.request.content)
    assert sent == {"order": {"delivery": {"isoCountry": "ES", "postcode": "46005"},
                              "products": [{"reference": "S1", "quantity": 1}]}}
    chosen = bigbuy.find_carrier(request("S1"), "correos express")
    assert chosen is not None and chosen.carrier == "correosexpress"
    assert bigbuy.find_carrier(request("S1"), "ups") is None


def test_a_cart_over_two_warehouses_keeps_the_carriers_both_offer(api: Any) -> None:
    mixed = {"code": 409, "message": "Products from different warehouses",
             "error_detail": {"warehouses": [{"id": 1, "references": ["S1"]}, {"id": 3, "references": ["S2"]}]}}
    route = api.post(SHIPPING).mock(side_effect=[
        httpx.Response(409, json=mixed),
        httpx.Response(200, json={"shippingOptions": [option("GLS", "gls"), option("DHL", "dhl")]}),
        httpx.Response(200, json={"shippingOptions": [option("DHL", "dhl"), option("Correos", "correos")]}),
    ])
    options = connector().shipping_options(request("S1", "S2"))
    assert [o.carrier for o in options] == ["dhl"]
    asked = [json.loads(c.request.content)["order"]["products"] for c in route.calls]
    assert [[p["reference"] for p in products] for products in asked] == [["S1", "S2"], ["S1"], ["S2"]]
