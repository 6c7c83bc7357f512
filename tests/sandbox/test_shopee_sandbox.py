"""The real Shopee connector against the Shopee sandbox on loopback."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from connectors import codes, errors
from connectors.base import ConnectorConfig
from connectors.records import OrderPage, Shipment, Tracking
from connectors.shopee import ShopeeAuthError, ShopeeConnector, ShopeeRefreshRejected, ShopeeRequestFailed
from connectors.shopee.signing import shop_params
from sandbox import seeding, server
from sandbox.shopee import ShopeeSandbox, order_sn
from validation import Context, validate

from support import REPO


@pytest.fixture
def sandbox() -> ShopeeSandbox:
    return ShopeeSandbox(seeding.generate("shopee", seed=5, first_id=9001))


@pytest.fixture
def running(sandbox: ShopeeSandbox) -> Iterator[server.Running]:
    with server.Running(sandbox) as run:
        yield run


def connect(run: server.Running, **overrides: str) -> ShopeeConnector:
    app: ShopeeSandbox = run.app  # type: ignore[assignment]
    credentials = {**app.credentials(), **overrides}
    config = ConnectorConfig(name="shopee-sandbox", kind="shopee", url=run.url, settings={"page_size": 7},
                             credentials={k: SecretStr(v) for k, v in credentials.items()})
    connector = ShopeeConnector(config)
    connector.sleep = lambda s: None
    return connector


def pull_all(connector: ShopeeConnector, since: datetime) -> OrderPage:
    everything = OrderPage()
    page: str | None = None
    for _ in range(200):
        got = connector.fetch_orders(since, page)
        # each page starts a little before Shopee's cursor: the orders read again count once
        seen = {o.external_id for o in everything.orders}
        everything.orders.extend(o for o in got.orders if o.external_id not in seen)
        everything.rejected.extend(got.rejected)
        page = got.next_page
        if page is None:
            return everything
    raise AssertionError("the pull never ended")


SINCE = seeding.BASE_TIME - timedelta(hours=1)


def test_a_pull_reads_every_seeded_order_across_windows_and_pages(running: server.Running,
                                                                  sandbox: ShopeeSandbox) -> None:
    with connect(running) as connector:
        assert isinstance(connector, ShopeeConnector)
        result = pull_all(connector, SINCE)
    assert result.rejected == []
    assert sorted(o.external_id for o in result.orders) == sorted(order_sn(s) for s in sandbox._specs.values())


def test_a_change_made_right_after_another_is_listed_by_the_next_pull(running: server.Running,
                                                                     sandbox: ShopeeSandbox) -> None:
    # two steps of changes within one second: the second is still dated no later than Shopee's now,
    # so a pull that reads up to now lists it
    with connect(running) as connector:
        assert isinstance(connector, ShopeeConnector)
        sandbox.advance(1)
        edited = [s for s in sandbox.advance(2) if any(c.kind == "edit_address" for c in s.changes)]
        assert edited
        orders = {o.external_id: o for o in pull_all(connector, datetime.now(UTC) - timedelta(minutes=5)).orders}
    for spec in edited:
        order = orders[order_sn(spec)]
        assert order.updated_at == spec.updated_at
        if not sandbox.masked(spec):
            assert order.shipping_address is not None
            assert "changed by the buyer" in (order.shipping_address.address1 or "")


def test_masked_buyers_arrive_flagged_masked_data(running: server.Running, sandbox: ShopeeSandbox) -> None:
    with connect(running) as connector:
        assert isinstance(connector, ShopeeConnector)
        orders = {o.external_id: o for o in pull_all(connector, SINCE).orders}
    masked = [order_sn(s) for s in sandbox._specs.values() if sandbox.masked(s)]
    assert masked
    for number in masked:
        assert codes.MASKED_DATA in {i.code for i in validate(orders[number], Context())}
        assert orders[number].customer is None


def test_a_bad_sign_is_refused(running: server.Running) -> None:
    with connect(running, partner_key="not-the-partner-key") as connector, \
            pytest.raises(ShopeeAuthError, match="error_sign"):
        connector.check()


def test_a_stale_timestamp_is_refused(running: server.Running, sandbox: ShopeeSandbox) -> None:
    path = "/api/v2/order/get_order_list"
    stale = int(datetime.now(UTC).timestamp()) - 3600
    params: dict[str, Any] = shop_params(sandbox.partner_key, sandbox.partner_id, path, stale,
                                         sandbox.access_token, sandbox.shop_id)
    answer = httpx.get(running.url + path, params={**params, "time_range_field": "update_time",
                                                   "time_from": stale - 60, "time_to": stale, "page_size": 1})
    assert answer.json()["error"] == "error_auth"


def test_windows_over_15_days_and_large_batches_are_refused_as_shopee_does(running: server.Running,
                                                                          sandbox: ShopeeSandbox) -> None:
    now = int(datetime.now(UTC).timestamp())
    path = "/api/v2/order/get_order_list"
    params = shop_params(sandbox.partner_key, sandbox.partner_id, path, now, sandbox.access_token, sandbox.shop_id)
    too_wide = httpx.get(running.url + path, params={**params, "time_range_field": "update_time",
                                                     "time_from": now - 16 * 86400, "time_to": now, "page_size": 10})
    assert too_wide.json()["error"] == "error_param"
    path = "/api/v2/order/get_order_detail"
    params = shop_params(sandbox.partner_key, sandbox.partner_id, path, now, sandbox.access_token, sandbox.shop_id)
    too_many = httpx.get(running.url + path, params={**params, "order_sn_list": ",".join(["X"] * 51)})
    assert too_many.json()["error"] == "error_param"


def test_expired_access_tokens_are_refreshed_and_the_pull_goes_on(running: server.Running,
                                                                  sandbox: ShopeeSandbox) -> None:
    with connect(running) as connector:
        assert isinstance(connector, ShopeeConnector)
        connector.check()
        assert httpx.post(running.url + "/_sandbox/expire_access_tokens").status_code == 200
        result = pull_all(connector, SINCE)
    assert sandbox.refreshes == 1 and len(result.orders) == len(sandbox._specs)


def test_a_used_refresh_token_is_reported_as_broken_authorisation(running: server.Running,
                                                                  sandbox: ShopeeSandbox) -> None:
    sandbox.expire_access_tokens()
    assert httpx.post(running.url + "/_sandbox/use_refresh_token").status_code == 200
    with connect(running) as connector, pytest.raises(ShopeeRefreshRejected) as caught:
        connector.check()
    assert isinstance(caught.value, errors.AuthenticationFailed)


def test_429_and_5xx_faults_are_retried_to_the_end(sandbox: ShopeeSandbox) -> None:
    sandbox.faults = server.Faults(http_429_rate=0.2, http_5xx_rate=0.1, seed=3)
    with server.Running(sandbox) as run, connect(run) as connector:
        assert isinstance(connector, ShopeeConnector)
        result = pull_all(connector, SINCE)
    assert len(result.orders) == len(sandbox._specs)


def test_tracking_is_shipped_once_and_the_order_then_reads_as_fulfilled(running: server.Running,
                                                                        sandbox: ShopeeSandbox) -> None:
    spec = next(s for s in sandbox._specs.values() if s.paid and not s.cancelled)
    number = order_sn(spec)
    shipment = Shipment(order_external_id=number, tracking=Tracking(supplier_order_id="B1", number="TRK-9"))
    with connect(running) as connector:
        assert isinstance(connector, ShopeeConnector)
        connector.push_tracking(shipment)
        connector.push_tracking(shipment)
        assert sandbox.shipped == {number: "TRK-9"}
        again = connector.read_orders([number]).orders[0]
    assert again.status == "SHIPPED" and again.fulfilled_on_channel


def test_a_second_parcel_is_refused_for_an_operator_with_the_reason(running: server.Running,
                                                                    sandbox: ShopeeSandbox) -> None:
    """An order split between two warehouses has two tracking numbers; Shopee holds one."""
    spec = next(s for s in sandbox._specs.values() if s.paid and not s.cancelled)
    number = order_sn(spec)
    first = Shipment(order_external_id=number, tracking=Tracking(supplier_order_id="B1", number="TRK-1"))
    second = Shipment(order_external_id=number, tracking=Tracking(supplier_order_id="B2", number="TRK-2"))
    with connect(running) as connector:
        connector.push_tracking(first)
        with pytest.raises(ShopeeRequestFailed, match="one tracking number per order") as refused:
            connector.push_tracking(second)
        # both parcels pushed at once: the look-up found none, then Shopee refused the one shipped second
        looked_up = iter([None, "TRK-1"])
        connector.tracking_number = lambda sn: next(looked_up)  # type: ignore[method-assign]
        with pytest.raises(ShopeeRequestFailed, match="carries TRK-1 already: give TRK-2"):
            connector.push_tracking(second)
    assert isinstance(refused.value, errors.FailLoudly)  # an operator's issue (tracking_not_pushed), not a retry
    assert "TRK-1" in str(refused.value) and "TRK-2" in str(refused.value)
    assert sandbox.shipped == {number: "TRK-1"}


def test_the_sandbox_command_serves_shopee_to_the_real_connector() -> None:
    proc = subprocess.Popen([sys.executable, "-m", "admin.cli", "sandbox", "--rate-per-second", "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO)
    try:
        assert proc.stdout is not None
        shopee = json.loads(proc.stdout.readline())["shopee"]
        url = shopee.pop("url")
        config = ConnectorConfig(name="s", kind="shopee", url=url,
                                 credentials={k: SecretStr(v) for k, v in shopee.items()})
        with ShopeeConnector(config) as connector:
            assert isinstance(connector, ShopeeConnector)
            result = pull_all(connector, SINCE)
        assert len(result.orders) == seeding.Scenario().orders and result.rejected == []
    finally:
        proc.terminate()
        proc.wait(timeout=10)
