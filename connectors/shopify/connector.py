"""The Shopify REST Admin channel: orders in (``orders.json`` with ``Link`` paging), tracking back
(``fulfillment_orders.json`` then ``fulfillments.json``)."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, ClassVar, Literal

import httpx
from pydantic import BaseModel, ConfigDict, Field

from connectors import http
from connectors.base import ChannelConnector, ConnectorConfig, parse_bodies
from connectors.ratelimit import Pacer
from connectors.records import ChannelOrder, OrderPage, Shipment, as_utc
from connectors.shopify import client, fulfil, graphql_parse, parse, webhooks
from connectors.shopify.errors import (
    ShopifyConfigError,
    ShopifyParseError,
    ShopifyRateLimited,
    ShopifyRequestFailed,
    ShopifyUnavailable,
)
from connectors.webhooks import Delivery, Subscription

log = logging.getLogger(__name__)

API_VERSION_HEADER = "X-Shopify-API-Version"
_API_VERSION = re.compile(r"[0-9]{4}-[0-9]{2}|unstable")
_ORDER_ID = re.compile(r"[0-9]{1,20}")
APIS = ("rest", "graphql")


class ShopifySettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    api_version: str | None = Field(None, pattern=f"^(?:{_API_VERSION.pattern})$")
    page_size: int | None = Field(None, ge=1, le=250)
    #: "rest" (the default for stored channels) or "graphql" (the current Admin API)
    api: Literal["rest", "graphql"] | None = None
    #: GraphQL: line items asked per order in a page query (more are read before the order is parsed)
    lines_per_order: int | None = Field(None, ge=1, le=250)


class ShopifyConnector(ChannelConnector):
    kind: ClassVar[str] = "shopify"
    credential_keys: ClassVar[tuple[str, ...] | None] = ("access_token",)
    #: the app's client secret (API secret key): Shopify signs webhook deliveries with it
    optional_credential_keys: ClassVar[tuple[str, ...]] = ("webhook_secret",)
    webhook_topics: ClassVar[tuple[str, ...]] = webhooks.TOPICS
    settings_model: ClassVar[type[BaseModel] | None] = ShopifySettings
    page_size: ClassVar[int] = 250  # Shopify's maximum ``limit``
    #: a REST order is its body; pages follow the ``Link`` header
    orders_from_bodies_alone: ClassVar[bool] = True
    default_api_version: ClassVar[str] = "2024-10"
    read_attempts: ClassVar[int] = 4
    write_attempts: ClassVar[int] = 3
    #: the standard plan leaks 2 calls/s: a second's pause frees room before the bucket overflows
    near_limit_pause: ClassVar[float] = 1.0

    def __new__(cls, config: ConnectorConfig, **_: Any) -> ShopifyConnector:
        """The channel's ``api`` setting picks the API: ``"rest"`` (also when absent, so stored
        channels keep what they had) or ``"graphql"``."""
        api = config.settings.get("api", "rest")
        if api not in APIS:
            raise ShopifyConfigError('api must be "graphql" or "rest"')
        if cls is ShopifyConnector and api == "graphql":
            from connectors.shopify.graphql import ShopifyGraphQLConnector

            cls = ShopifyGraphQLConnector
        return super().__new__(cls)

    def __init__(
        self,
        config: ConnectorConfig,
        *,
        transport: httpx.BaseTransport | None = None,
        pacer: Pacer | None = None,
    ) -> None:
        version = str(config.settings.get("api_version", self.default_api_version))
        if not _API_VERSION.fullmatch(version):
            raise ShopifyConfigError("api_version must look like 2024-10")
        self.api_version = version
        try:
            limit = int(config.settings.get("page_size", self.page_size))
        except (TypeError, ValueError):
            raise ShopifyConfigError("page_size must be an integer") from None
        self.limit = max(1, min(limit, 250))
        #: the version Shopify said it served (X-Shopify-API-Version), once it has answered
        self.served_api_version: str | None = None
        #: (used, size) from the last X-Shopify-Shop-Api-Call-Limit seen
        self.last_call_limit: tuple[int, int] | None = None
        #: tests swap this to run retries and pauses without waiting
        self.sleep: Callable[[float], Any] = time.sleep
        self._token = ""
        super().__init__(config, transport=transport, pacer=pacer)

    def make_client(self, transport: httpx.BaseTransport | None) -> httpx.Client:
        try:
            token = self.config.secret("access_token")
        except KeyError:
            raise ShopifyConfigError("credential 'access_token' is not configured") from None
        if not token:
            raise ShopifyConfigError("credential 'access_token' is empty")
        self._token = token
        return http.make_client(self.config.url, headers={"X-Shopify-Access-Token": token},
                                transport=transport)

    # parsing ---------------------------------------------------------------------------------

    @classmethod
    def order_bodies(cls, body: Any) -> list[Any]:
        """REST bodies (webhooks, exports) and saved GraphQL answers (``{"data": ...}``) alike."""
        if isinstance(body, dict) and "data" in body and "orders" not in body and "order" not in body:
            return graphql_parse.order_nodes(body["data"])
        return parse.order_bodies(body)

    @classmethod
    def parse_order(cls, body: Any) -> ChannelOrder:
        if graphql_parse.is_node(body):
            return graphql_parse.parse_order(body)
        return parse.parse_order(body)

    def check(self) -> str:
        self._send("GET", self._path("orders.json"), params={"limit": 1, "fields": "id"})
        return "GET orders.json?limit=1 answered"

    # orders ----------------------------------------------------------------------------------

    def fetch_orders(self, since: datetime | None, page: str | None = None) -> OrderPage:
        if page:
            # Shopify refuses any filter next to page_info: the token carries the query
            params: dict[str, Any] = {"limit": self.limit, "page_info": page}
        else:
            params = {"status": "any", "limit": self.limit, "order": "updated_at asc"}
            if since is not None:
                params["updated_at_min"] = as_utc(since).isoformat(timespec="seconds")
        try:
            response = self._get(self._path("orders.json"), params)
        except ShopifyRequestFailed as exc:
            if not page or exc.status != 400:
                raise
            # a page_info expires, and one kept from an interrupted pull may be refused: read the
            # same query again from its start (what was stored already is only read twice)
            log.warning("shopify refused a stored page_info (400): reading again from the cursor")
            return self.fetch_orders(since, None)
        body = client.json_body(response, "orders page")
        if not isinstance(body, dict) or not isinstance(body.get("orders"), list):
            raise ShopifyParseError('orders page is not {"orders": [...]}')
        result = parse_bodies(self, body["orders"])
        result.next_page = client.next_page_info(response)
        return result

    def fetch_order(self, external_id: str) -> OrderPage | None:
        """``GET orders/{id}.json``: one order as it stands now (an empty page once deleted)."""
        if not _ORDER_ID.fullmatch(external_id):
            raise ShopifyRequestFailed("order external id is not a Shopify order id")
        try:
            response = self._get(self._path(f"orders/{external_id}.json"))
        except ShopifyRequestFailed as exc:
            if exc.status == 404:
                return OrderPage()
            raise
        body = client.json_body(response, "order")
        if not isinstance(body, dict) or not isinstance(body.get("order"), dict):
            raise ShopifyParseError('order is not {"order": {...}}')
        return parse_bodies(self, [body["order"]])

    # webhooks --------------------------------------------------------------------------------

    @classmethod
    def read_webhook(cls, headers: Mapping[str, str], body: bytes, secret: str | None) -> Delivery:
        return webhooks.read(headers, body, secret)

    def list_webhooks(self) -> list[Subscription]:
        response = self._get(self._path("webhooks.json"), {"limit": 250})
        return webhooks.subscriptions(client.json_body(response, "webhooks"))

    def register_webhooks(self, address: str, secret: str) -> list[Subscription]:
        """REST ``webhooks.json`` (a GraphQL channel's token takes it too); ``secret`` is not
        sent: Shopify signs with the app's client secret."""
        have = {(s.topic, s.address) for s in self.list_webhooks()}
        for topic in self.webhook_topics:
            if (topic, address) not in have:
                self._post(self._path("webhooks.json"), webhooks.create_body(topic, address))
        return [s for s in self.list_webhooks() if s.address == address]

    # tracking --------------------------------------------------------------------------------

    def push_tracking(self, shipment: Shipment) -> None:
        """Fulfil the shipment's lines (all remaining ones when it names none) with its tracking.

        Safe to call again, also after ``OutcomeUnknown``: it reads what is still open first, and
        lines already fulfilled are not sent again.
        """
        order_id = shipment.order_external_id
        if not _ORDER_ID.fullmatch(order_id):
            raise ShopifyRequestFailed("order external id is not a Shopify order id")
        wanted = None
        if shipment.lines:
            items = None
            if any(line.external_id is None for line in shipment.lines):
                items = self._order_line_items(order_id)
            wanted = fulfil.wanted_quantities(shipment.lines, items)
        response = self._get(self._path(f"orders/{order_id}/fulfillment_orders.json"))
        body = client.json_body(response, "fulfillment orders")
        open_orders = body.get("fulfillment_orders") if isinstance(body, dict) else None
        groups = fulfil.plan(open_orders, wanted)
        blocked = fulfil.not_ours(open_orders, wanted)
        if not groups and not blocked:
            if fulfil.plan(open_orders, wanted, fulfil.WAITING_STATUSES):
                # reporting "done" would drop the tracking for good
                raise ShopifyUnavailable("the lines to fulfil are on hold or scheduled at Shopify")
            self._retrack(order_id, wanted, shipment)
        for group in groups:
            self._post(self._path("fulfillments.json"), fulfil.request_body(group, shipment))
        if blocked:
            raise ShopifyRequestFailed(f"fulfillment order {', '.join(blocked)} is assigned to a fulfilment "
                                       "service location: this app may not fulfil it; fulfil it in Shopify")

    def _retrack(self, order_id: str, wanted: dict[str, int] | None, shipment: Shipment) -> None:
        """Lines already fulfilled: a later number (a corrected one) replaces the fulfillment's."""
        response = self._get(self._path(f"orders/{order_id}.json"), {"fields": "id,fulfillments"})
        body = client.json_body(response, "order")
        order = body.get("order") if isinstance(body, dict) else None
        target = fulfil.retracked(order.get("fulfillments") if isinstance(order, dict) else None, wanted,
                                  shipment.tracking.number)
        if target is None:
            log.info("shopify order %s: nothing left to fulfil", order_id)
            return
        self._post(self._path(f"fulfillments/{target}/update_tracking.json"),
                   {"fulfillment": {"tracking_info": fulfil.tracking_info(shipment),
                                    "notify_customer": shipment.notify_customer}})

    def _order_line_items(self, order_id: str) -> Any:
        response = self._get(self._path(f"orders/{order_id}.json"), {"fields": "id,line_items"})
        body = client.json_body(response, "order")
        order = body.get("order") if isinstance(body, dict) else None
        return order.get("line_items") if isinstance(order, dict) else None

    # HTTP ------------------------------------------------------------------------------------

    def _path(self, resource: str) -> str:
        return f"/admin/api/{self.api_version}/{resource}"

    def _get(self, path: str, params: dict[str, Any] | None = None) -> httpx.Response:
        return http.with_retries(lambda: self._send("GET", path, params=params),
                                 attempts=self.read_attempts, sleep=self.sleep)

    def _post(self, path: str, body: dict[str, Any]) -> httpx.Response:
        # only failures that prove the write was not handled are retried here
        return http.with_retries(lambda: self._send("POST", path, json=body, write=True),
                                 attempts=self.write_attempts, sleep=self.sleep,
                                 retry_on=(ShopifyRateLimited, ShopifyUnavailable))

    def _send(self, method: str, path: str, *, params: dict[str, Any] | None = None,
              json: Any = None, write: bool = False) -> httpx.Response:
        self.pacer.wait()
        try:
            response = self.client.request(method, path, params=params, json=json)
        except httpx.TransportError as exc:
            raise client.transport_error(exc, write=write) from None
        self._note_call_limit(response)
        self._note_api_version(response)
        try:
            client.raise_for_status(response, write=write, secret=self._token)
        except ShopifyRateLimited as exc:
            if exc.retry_after is not None:
                # every worker sharing the pacer holds back, not just this one
                self.pacer.hold_until(time.time() + exc.retry_after)
            raise
        return response

    def _note_api_version(self, response: httpx.Response) -> None:
        """Shopify serves its oldest supported version when the one asked for is no longer
        supported, so the version actually served is what the bodies follow."""
        served = response.headers.get(API_VERSION_HEADER)
        if not served or served == self.served_api_version:
            return
        self.served_api_version = served
        if served != self.api_version:
            log.warning("shopify served API version %s instead of %s (setting api_version)",
                        served[:20], self.api_version)
        else:
            log.info("shopify API version %s", served[:20])

    def _note_call_limit(self, response: httpx.Response) -> None:
        limit = client.call_limit(response)
        if limit is None:
            return
        self.last_call_limit = limit
        used, size = limit
        if used >= size - 1:
            log.debug("shopify call limit %s/%s: pausing %.1fs", used, size, self.near_limit_pause)
            self.sleep(self.near_limit_pause)
