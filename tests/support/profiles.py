"""The conformance profile of every registered channel connector. A connector is registered only
when it has one here and passes the suite (``tests/conformance``); the registry test fails for a
kind without a profile."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import respx

from connectors.amazon import AmazonConnector
from connectors.amazon.pacing import Buckets
from connectors.base import ChannelConnector
from sandbox import seeding, server
from sandbox.amazon import AmazonSandbox
from sandbox.amazon_wire import order_id as amazon_order_id
from sandbox.shopee import ShopeeSandbox, order_sn
from sandbox.shopify import ShopifySandbox
from sandbox.woocommerce import WooCommerceSandbox
from sandbox.woocommerce_auth import Credentials

from support.conformance import Profile, Shop
from support.payload_shops import AmazonPayloadShop, ShopifyPayloadShop, WooCommercePayloadShop


class ShopifyRest(Profile):
    name = "shopify-rest"
    kind = "shopify"
    retry_after = 1.0
    payloads = ("shopify/orders.json", "shopify/order.json")

    def sandbox(self, specs: list[seeding.OrderSpec]) -> server.App:
        return ShopifySandbox(specs)

    def respx_shop(self, specs: list[seeding.OrderSpec]) -> server.App:
        return ShopifyPayloadShop(specs)

    def settings(self, url: str, redis_url: str) -> dict[str, Any]:
        return {"page_size": self.page_size}

    def revoke(self, app: server.App) -> None:
        assert isinstance(app, ShopifySandbox)
        app.access_token = "shpat_revoked_by_the_shop"

    def reauthorise(self, app: server.App) -> dict[str, str]:
        assert isinstance(app, ShopifySandbox)
        app.access_token = "shpat_sandbox"
        return {}

    def malform(self, app: server.App, spec: seeding.OrderSpec) -> None:
        assert isinstance(app, ShopifySandbox)
        with app.lock:
            del app._specs[spec.order_id]
        body = app._render_spec(spec)
        body["line_items"] = "unreadable"
        app.add_raw(body)

    def tracking_count(self, app: server.App, spec: seeding.OrderSpec, number: str) -> int:
        assert isinstance(app, ShopifySandbox)
        return sum(1 for f in app.fulfillments
                   if f["order_id"] == spec.order_id and number in (f.get("tracking_numbers") or []))

    def serve_payload(self, router: respx.MockRouter, url: str, bodies: list[Any]) -> None:
        router.get(f"{url}/admin/api/2024-10/orders.json").mock(
            return_value=httpx.Response(200, json={"orders": bodies}))


class ShopifyGraphQL(ShopifyRest):
    name = "shopify-graphql"
    payloads = ()  # Shopify publishes no GraphQL order answer the fixtures could hold

    def settings(self, url: str, redis_url: str) -> dict[str, Any]:
        return {"api": "graphql", "page_size": self.page_size}

    def malform(self, app: server.App, spec: seeding.OrderSpec) -> None:
        assert isinstance(app, ShopifySandbox)
        with app.lock:
            del app._specs[spec.order_id]
        node = app.graphql.order_node(spec, 10)
        node["lineItems"] = "unreadable"
        app.graphql.raw_nodes.append(node)


class WooCommerce(Profile):
    name = "woocommerce"
    kind = "woocommerce"
    retry_after = 1.0
    payloads = tuple(f"woocommerce/orders__{name}.response.json" for name in (
        "list-all-orders", "retrieve-an-order", "create-an-order", "update-an-order", "delete-an-order",
        "batch-update-orders"))

    def sandbox(self, specs: list[seeding.OrderSpec]) -> server.App:
        return WooCommerceSandbox(specs)

    def respx_shop(self, specs: list[seeding.OrderSpec]) -> server.App:
        return WooCommercePayloadShop(specs)

    def tune(self, connector: ChannelConnector, shop: Shop) -> None:
        connector.retry_sleep = shop.waits.sleep  # type: ignore[attr-defined]
        connector.page_size = self.page_size  # type: ignore[misc]

    def revoke(self, app: server.App) -> None:
        assert isinstance(app, WooCommerceSandbox)
        app.auth = Credentials(app.consumer_key, "cs_revoked_by_the_shop")

    def reauthorise(self, app: server.App) -> dict[str, str]:
        assert isinstance(app, WooCommerceSandbox)
        app.auth = Credentials(app.consumer_key, app.consumer_secret)
        return {}

    def malform(self, app: server.App, spec: seeding.OrderSpec) -> None:
        assert isinstance(app, WooCommerceSandbox)
        with app.lock:
            app.specs.remove(spec)
            del app._by_id[spec.order_id]
        body = app.render(spec)
        body["line_items"] = "unreadable"
        app.add_raw(body)

    def tracking_count(self, app: server.App, spec: seeding.OrderSpec, number: str) -> int:
        assert isinstance(app, WooCommerceSandbox)
        return sum(1 for note in app.notes.get(spec.order_id, []) if number in note["note"])

    def serve_payload(self, router: respx.MockRouter, url: str, bodies: list[Any]) -> None:
        router.get(f"{url}/wp-json/wc/v3/orders").mock(return_value=httpx.Response(
            200, json=bodies, headers={"X-WP-Total": str(len(bodies)), "X-WP-TotalPages": "1"}))
        router.get(url__regex=rf"{url}/wp-json/wc/v3/orders/\d+/refunds").mock(
            return_value=httpx.Response(200, json=[]))
        router.get(url__regex=rf"{url}/wp-json/wc/v3/products.*").mock(return_value=httpx.Response(
            200, json=[], headers={"X-WP-Total": "0", "X-WP-TotalPages": "1"}))


#: generous usage plans for the sandbox: the suite tests paging, not Amazon's patience
_PLANS = {"searchOrders": (100.0, 1000), "getOrder": (100.0, 1000), "confirmShipment": (100.0, 1000)}


class Amazon(Profile):
    name = "amazon"
    kind = "amazon"
    expiring_credentials = True
    payloads = ("amazon/v2026.searchOrders.200.example.json", "amazon/v2026.getOrder.200.example.json")

    def sandbox(self, specs: list[seeding.OrderSpec]) -> server.App:
        # a grant of its own: buckets and tokens shared through Redis never cross tests
        return AmazonSandbox(specs, usage_plans=_PLANS, refresh_token=f"Atzr|conformance-{uuid.uuid4()}")

    def respx_shop(self, specs: list[seeding.OrderSpec]) -> server.App:
        return AmazonPayloadShop(specs, usage_plans=_PLANS, refresh_token=f"Atzr|conformance-{uuid.uuid4()}")

    def external_id(self, spec: seeding.OrderSpec) -> str:
        return amazon_order_id(spec)

    def settings(self, url: str, redis_url: str) -> dict[str, Any]:
        return {"token_url": f"{url}/auth/o2/token", "lock_url": redis_url or "memory://"}

    def tune(self, connector: ChannelConnector, shop: Shop) -> None:
        assert isinstance(connector, AmazonConnector)
        connector.sleep = shop.waits.sleep
        connector.page_size = self.page_size  # type: ignore[misc]
        if getattr(connector, "_conformance_tuned", False):
            return
        if shop.redis_url:
            assert connector.buckets.shared  # the engine handed it the shared storage
        connector.buckets = Buckets(shop.redis_url or "memory://", connector.account_key(), clock=shop.waits,
                                    sleep=shop.waits.sleep)
        connector._conformance_tuned = True  # type: ignore[attr-defined]

    def revoke(self, app: server.App) -> None:
        assert isinstance(app, AmazonSandbox)
        app.revoke()

    def reauthorise(self, app: server.App) -> dict[str, str]:
        assert isinstance(app, AmazonSandbox)
        app.restore()
        return {}

    def expire(self, app: server.App) -> None:
        assert isinstance(app, AmazonSandbox)
        app.expire_tokens()

    def refreshes(self, app: server.App) -> int:
        assert isinstance(app, AmazonSandbox)
        return app.token_requests

    def malform(self, app: server.App, spec: seeding.OrderSpec) -> None:
        assert isinstance(app, AmazonSandbox)
        app.malformed.add(amazon_order_id(spec))

    def tracking_count(self, app: server.App, spec: seeding.OrderSpec, number: str) -> int:
        assert isinstance(app, AmazonSandbox)
        return sum(1 for c in app.confirmations
                   if c["orderId"] == amazon_order_id(spec) and c.get("trackingNumber") == number)

    def serve_payload(self, router: respx.MockRouter, url: str, bodies: list[Any]) -> None:
        router.post(f"{url}/auth/o2/token").mock(return_value=httpx.Response(200, json={
            "access_token": "Atza|conformance", "refresh_token": "r", "token_type": "bearer", "expires_in": 3600}))
        router.get(f"{url}/orders/2026-01-01/orders").mock(return_value=httpx.Response(200, json={"orders": bodies}))


class Shopee(Profile):
    name = "shopee"
    kind = "shopee"
    expiring_credentials = True
    masks_buyers = True
    second_parcel = False  # Shopee keeps one tracking number per package and refuses a second
    payloads = ("shopee/v2.order.get_order_detail.200.example.json",)

    def sandbox(self, specs: list[seeding.OrderSpec]) -> server.App:
        return ShopeeSandbox(specs, masked_every=0)

    def external_id(self, spec: seeding.OrderSpec) -> str:
        return order_sn(spec)

    def settings(self, url: str, redis_url: str) -> dict[str, Any]:
        return {"page_size": self.page_size, **({"token_storage": redis_url} if redis_url else {})}

    def revoke(self, app: server.App) -> None:
        """The shop withdrew the authorisation: its tokens die and the refresh token with them."""
        assert isinstance(app, ShopeeSandbox)
        app.expire_access_tokens()
        app.use_refresh_token()

    def reauthorise(self, app: server.App) -> dict[str, str]:
        assert isinstance(app, ShopeeSandbox)
        with app.lock:
            app.access_token, app.refresh_token = app._issue()
        return {"access_token": app.access_token, "refresh_token": app.refresh_token}

    def expire(self, app: server.App) -> None:
        assert isinstance(app, ShopeeSandbox)
        app.expire_access_tokens()

    def refreshes(self, app: server.App) -> int:
        assert isinstance(app, ShopeeSandbox)
        return app.refreshes

    def malform(self, app: server.App, spec: seeding.OrderSpec) -> None:
        assert isinstance(app, ShopeeSandbox)
        app.malformed.add(order_sn(spec))

    def tracking_count(self, app: server.App, spec: seeding.OrderSpec, number: str) -> int:
        assert isinstance(app, ShopeeSandbox)
        return 1 if app.shipped.get(order_sn(spec)) == number else 0

    def serve_payload(self, router: respx.MockRouter, url: str, bodies: list[Any]) -> None:
        """``get_order_list`` names the orders updated inside the asked window (as Shopee does: its
        windows are at most 15 days), ``get_order_detail`` answers with the published bodies."""

        def order_list(request: httpx.Request) -> httpx.Response:
            start, end = int(request.url.params["time_from"]), int(request.url.params["time_to"])
            inside = [{"order_sn": b["order_sn"]} for b in bodies if start <= b["update_time"] <= end]
            return httpx.Response(200, json={"error": "", "message": "", "response": {
                "more": False, "next_cursor": "", "order_list": inside}})

        def order_detail(request: httpx.Request) -> httpx.Response:
            wanted = set(request.url.params["order_sn_list"].split(","))
            return httpx.Response(200, json={"error": "", "message": "", "response": {
                "order_list": [b for b in bodies if b["order_sn"] in wanted]}})

        router.get(f"{url}/api/v2/order/get_order_list").mock(side_effect=order_list)
        router.get(f"{url}/api/v2/order/get_order_detail").mock(side_effect=order_detail)


PROFILES: list[Profile] = [ShopifyRest(), ShopifyGraphQL(), WooCommerce(), Amazon(), Shopee()]


def declaring(capability: str) -> list[Profile]:
    return [p for p in PROFILES if getattr(p, capability)]
