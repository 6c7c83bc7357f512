"""A payment confirmed in OrderHub told to the shop, when its settings ask for it: WooCommerce's
order moves from on-hold to processing, once, and only while the shop still waits for it."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest
import respx
from pydantic import SecretStr

from connectors.base import ConnectorConfig
from connectors.errors import AuthenticationFailed
from connectors.woocommerce import WooCommerceConnector
from sync import payment_confirmation as pc
from sync.payment_writeback import tell_channel

from support.payments import add_shop, ingest, order_id_of, shop_id, standing, woo_body

BASE = "https://shop.example"
ORDER = "/wp-json/wc/v3/orders/727"


def _connector(_row: object) -> WooCommerceConnector:
    woo = WooCommerceConnector(ConnectorConfig(
        name="woo shop", kind="woocommerce", url=BASE,
        credentials={"consumer_key": SecretStr("ck_1"), "consumer_secret": SecretStr("cs_1")}))
    woo.retry_sleep = lambda seconds: None
    return woo


@pytest.fixture
def shop() -> Iterator[respx.MockRouter]:
    with respx.mock(base_url=BASE, assert_all_called=False) as router:
        router.get(path__regex=r"^/wp-json/wc/v3/products").mock(return_value=httpx.Response(200, json=[]))
        yield router


def _confirmed(db, **settings) -> int:  # type: ignore[no-untyped-def]
    ingest(db, add_shop(db, settings=settings), woo_body())
    order_id = order_id_of(db)
    with db.session() as s:
        pc.confirm(s, order_id, actor="user:seller")
    return order_id


def test_the_shop_is_marked_paid_once(db, shop: respx.MockRouter) -> None:  # type: ignore[no-untyped-def]
    order_id = _confirmed(db, mark_paid_on_channel=True)
    read = shop.get(ORDER).mock(side_effect=[httpx.Response(200, json=woo_body(status="on-hold")),
                                             httpx.Response(200, json=woo_body(status="processing", paid=True))])
    written = shop.put(ORDER).mock(return_value=httpx.Response(200, json=woo_body(status="processing", paid=True)))
    assert tell_channel(db, order_id, _connector) == "marked paid"
    assert json.loads(written.calls[0].request.content) == {"status": "processing"}
    assert tell_channel(db, order_id, _connector) == "nothing to write"  # a repeat writes nothing
    assert read.call_count == 2 and written.call_count == 1
    # the shop's processing, read back, changes nothing: the seller confirmed it
    ingest(db, shop_id(db), woo_body(status="processing", minutes=5, paid=True))
    assert standing(db, order_id) == ("ready", "confirmed", "user:seller")


def test_an_order_the_shop_moved_on_meanwhile_is_left_alone(db, shop: respx.MockRouter) -> None:  # type: ignore[no-untyped-def]
    order_id = _confirmed(db, mark_paid_on_channel=True)
    shop.get(ORDER).mock(return_value=httpx.Response(200, json=woo_body(status="cancelled")))
    written = shop.put(ORDER).mock(return_value=httpx.Response(200, json={}))
    assert tell_channel(db, order_id, _connector) == "nothing to write"
    assert written.call_count == 0


def test_nothing_is_told_unless_the_shop_asks_or_when_the_shop_said_it(db, shop: respx.MockRouter) -> None:  # type: ignore[no-untyped-def]
    order_id = _confirmed(db)  # mark_paid_on_channel unset
    assert tell_channel(db, order_id, _connector) == "not asked"
    ingest(db, shop_id(db), woo_body(order_id=728))
    pending = order_id_of(db, "728")
    assert tell_channel(db, pending, _connector) == "nothing to tell"
    ingest(db, shop_id(db), woo_body(order_id=728, status="processing", minutes=5, paid=True))
    assert standing(db, pending) == ("ready", "confirmed", "channel")
    assert tell_channel(db, pending, _connector) == "nothing to tell"
    assert not any(route.called for route in shop.routes)


def test_a_shop_that_fails_is_raised_for_the_workers_retries(db, shop: respx.MockRouter) -> None:  # type: ignore[no-untyped-def]
    order_id = _confirmed(db, mark_paid_on_channel=True)
    shop.get(ORDER).mock(return_value=httpx.Response(401, json={"code": "woocommerce_rest_cannot_view"}))
    with pytest.raises(AuthenticationFailed):  # the worker's error tree decides: here, stop and alert
        tell_channel(db, order_id, _connector)
    assert standing(db, order_id) == ("ready", "confirmed", "user:seller")  # the confirmation stands
