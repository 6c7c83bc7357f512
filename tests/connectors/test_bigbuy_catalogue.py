"""Reading BigBuy's catalogue lists: paging whichever way BigBuy counts pages, joining stock by id,
and the hourly limit of each list."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import respx
from pydantic import SecretStr

from connectors.base import ConnectorConfig
from connectors.bigbuy import BigBuyConnector, BigBuyRateLimited
from connectors.bigbuy.catalogue import BigBuyCatalogue

BASE = "https://api.bigbuy.eu"


class Recording:
    def __init__(self) -> None:
        self.waits = 0
        self.held: list[float] = []

    def wait(self, cost: int = 1) -> float:
        self.waits += 1
        return 0.0

    def hold_until(self, epoch_seconds: float) -> None:
        self.held.append(epoch_seconds)


def reader(pacers: dict[str, Recording] | None = None, page_size: int = 2) -> BigBuyCatalogue:
    config = ConnectorConfig(name="bb", kind="bigbuy", url=BASE, credentials={"api_key": SecretStr("k")})
    pacers = pacers if pacers is not None else {}
    return BigBuyCatalogue(BigBuyConnector(config), lambda name: pacers.setdefault(name, Recording()),
                           page_size=page_size)


def paged(rows: list[dict[str, Any]], first: int) -> Any:
    def answer(request: httpx.Request) -> httpx.Response:
        page, size = int(request.url.params["page"]), int(request.url.params["pageSize"])
        start = max(0, page - first) * size
        return httpx.Response(200, json=rows[start : start + size])

    return answer


ROWS = [{"id": n, "sku": f"S{n}", "active": 1, "wholesalePrice": 1.5} for n in range(1, 6)]


@pytest.mark.parametrize("first", [0, 1], ids=["pages from 0", "pages from 1 (page 0 read as 1)"])
@respx.mock
def test_every_page_is_read_once_whichever_way_pages_are_counted(first: int) -> None:
    route = respx.get(f"{BASE}/rest/catalog/products.json").mock(side_effect=paged(ROWS, first))
    got = list(reader().rows("products"))
    assert [r["id"] for r in got] == [1, 2, 3, 4, 5]
    assert route.call_count == 3 + first  # 2 + 2 + 1, and page 0 again as page 1


@respx.mock
def test_a_server_whose_pages_start_at_1_and_answer_nothing_for_page_0() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        page = int(request.url.params["page"])
        return httpx.Response(200, json=[] if page == 0 else ROWS[(page - 1) * 2 : page * 2])

    respx.get(f"{BASE}/rest/catalog/products.json").mock(side_effect=answer)
    assert [r["id"] for r in reader().rows("products")] == [1, 2, 3, 4, 5]


@respx.mock
def test_stock_is_joined_by_id_and_a_reference_missing_from_the_stock_list_has_none() -> None:
    respx.get(f"{BASE}/rest/catalog/products.json").mock(return_value=httpx.Response(200, json=[
        {"id": 10, "sku": "S10", "active": 1, "wholesalePrice": 3.2},
        {"id": 11, "sku": "S11", "active": 0, "wholesalePrice": "4.10"},
        {"id": 12, "sku": "S12", "active": 1}]))
    respx.get(f"{BASE}/rest/catalog/productsvariations.json").mock(return_value=httpx.Response(200, json=[
        {"id": 77, "product": 11, "sku": "V77", "wholesalePrice": 5}]))
    respx.get(f"{BASE}/rest/catalog/productsstockbyhandlingdays.json").mock(return_value=httpx.Response(200, json=[
        # the sku here is stale: the id is what joins
        {"id": 10, "sku": "OLD", "stocks": [
            {"quantity": 3, "minHandlingDays": 1, "maxHandlingDays": 2, "warehouse": 1},
            {"quantity": 4, "minHandlingDays": 3, "maxHandlingDays": 5, "warehouse": 3}]}]))
    respx.get(f"{BASE}/rest/catalog/productsvariationsstockbyhandlingdays.json").mock(
        return_value=httpx.Response(200, json=[{"id": 77, "sku": "V77", "stocks": [{"quantity": 9, "warehouse": 1}]}]))
    products = reader(page_size=50).products()
    got = {p.sku: (p.product_id, p.variation_id, p.active, p.stock, str(p.cost)) for p in products}
    assert got == {"S10": ("10", None, True, 7, "3.20"), "S11": ("11", None, False, 0, "4.10"),
                   "S12": ("12", None, True, 0, "None"), "V77": ("11", "77", False, 9, "5.00")}


@respx.mock
def test_a_429_holds_that_lists_bucket_until_bigbuys_reset_and_is_not_retried() -> None:
    route = respx.get(f"{BASE}/rest/catalog/productsstockbyhandlingdays.json").mock(return_value=httpx.Response(
        429, text="You exceeded the rate limit", headers={"X-Ratelimit-Reset": "4102444800"}))
    pacers: dict[str, Recording] = {}
    with pytest.raises(BigBuyRateLimited):
        list(reader(pacers).rows("productsstockbyhandlingdays"))
    assert route.call_count == 1
    assert pacers["productsstockbyhandlingdays"].held == [4102444800.0]
    assert "products" not in pacers  # other lists keep their own allowance


@respx.mock
def test_every_call_waits_for_its_lists_pacer() -> None:
    respx.get(f"{BASE}/rest/catalog/products.json").mock(side_effect=paged(ROWS, 0))
    pacers: dict[str, Recording] = {}
    list(reader(pacers).rows("products"))
    assert pacers["products"].waits == 3
