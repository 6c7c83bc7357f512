"""The Amazon SP-API channel: orders in with Orders API v2026-01-01 (``searchOrders``,
``getOrder``), tracking back with v0 ``confirmShipment``; Login with Amazon for access tokens."""

from __future__ import annotations

import hashlib
import logging
import os
import re
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

import httpx
from pydantic import BaseModel, ConfigDict, Field

from connectors import http
from connectors.amazon import parse, wire
from connectors.amazon.errors import (
    AmazonAuthError,
    AmazonConfigError,
    AmazonParseError,
    AmazonRateLimited,
    AmazonRequestFailed,
    AmazonUnavailable,
)
from connectors.amazon.lwa import TOKEN_URL, LocalTokens, LoginWithAmazon, RedisTokens, TokenStore
from connectors.amazon.pacing import RATE_LIMIT_HEADER, Buckets
from connectors.base import ChannelConnector, ConnectorConfig, parse_bodies
from connectors.ratelimit import Pacer
from connectors.records import ChannelOrder, OrderPage, Shipment, as_utc

log = logging.getLogger(__name__)

ORDERS = "/orders/2026-01-01/orders"
_ORDER_ID = re.compile(r"[0-9A-Za-z-]{1,50}")


class AmazonSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    marketplace_ids: list[str] | str | None = None
    #: every surname split from Amazon's single name goes to review (``derived_name``)
    review_derived_names: bool | None = None
    token_url: str | None = Field(None, max_length=500)
    lock_url: str | None = Field(None, max_length=500)


class AmazonConnector(ChannelConnector):
    kind: ClassVar[str] = "amazon"
    credential_keys: ClassVar[tuple[str, ...] | None] = ("refresh_token", "client_id", "client_secret")
    settings_model: ClassVar[type[BaseModel] | None] = AmazonSettings
    page_size: ClassVar[int] = 100  # Amazon's maximum maxResultsPerPage
    id_field: ClassVar[str] = "orderId"
    #: Amazon refuses a lastUpdatedBefore later than two minutes before the request
    settle: ClassVar[timedelta] = timedelta(minutes=2, seconds=10)
    first_pull: ClassVar[timedelta] = timedelta(hours=24)
    read_attempts: ClassVar[int] = 4
    write_attempts: ClassVar[int] = 3
    #: a longer wait for an operation's token is left to a later message, not slept by a worker
    #: thread (searchOrders refills one call every three minutes)
    max_pacing_wait: ClassVar[float] = 30.0

    def __init__(self, config: ConnectorConfig, *, transport: httpx.BaseTransport | None = None,
                 pacer: Pacer | None = None) -> None:
        settings = config.settings
        self.marketplace_ids = _marketplaces(settings.get("marketplace_ids"))
        self.review_derived_names = _flag(settings.get("review_derived_names"), "review_derived_names")
        #: tests swap these to run retries and pauses without waiting
        self.sleep: Callable[[float], Any] = time.sleep
        self.buckets = Buckets()
        self._secrets: tuple[str, ...] = ()
        super().__init__(config, transport=transport, pacer=pacer)
        self.login = self._login(transport)

    def make_client(self, transport: httpx.BaseTransport | None) -> httpx.Client:
        return http.make_client(self.config.url, transport=transport)

    def _login(self, transport: httpx.BaseTransport | None) -> LoginWithAmazon:
        grant: dict[str, str] = {}
        for key in ("refresh_token", "client_id", "client_secret"):
            value = self.config.credentials.get(key)
            if value is None or not value.get_secret_value():
                raise AmazonConfigError(f"credential {key!r} is not configured")
            grant[key] = value.get_secret_value()
        self._secrets = (grant["refresh_token"], grant["client_secret"])
        token_url = str(self.config.settings.get("token_url") or TOKEN_URL)
        lock_url = str(self.config.settings.get("lock_url") or _redis_from_environment())
        store: TokenStore = (RedisTokens(lock_url, grant["client_id"] + grant["refresh_token"])
                             if lock_url.startswith(("redis://", "rediss://", "unix://")) else LocalTokens())
        self._token_client = http.make_client(token_url, transport=transport)
        return LoginWithAmazon(self._token_client, token_url=token_url, client_id=grant["client_id"],
                               client_secret=grant["client_secret"], refresh_token=grant["refresh_token"],
                               store=store)

    def close(self) -> None:
        super().close()
        self._token_client.close()

    def share_pacing(self, storage_uri: str) -> None:
        """Amazon's usage plans count per seller and application: with Redis, every process of
        this account takes its calls from the same buckets."""
        if storage_uri.startswith(("redis://", "rediss://", "unix://")):
            self.buckets = Buckets(storage_uri, self.account_key())

    def account_key(self) -> str:
        """The seller and application these calls count against, named without a secret."""
        client_id, refresh_token = (self.config.secret(k) for k in ("client_id", "refresh_token"))
        return hashlib.sha256(f"{client_id}|{refresh_token}".encode()).hexdigest()[:24]

    # parsing ---------------------------------------------------------------------------------

    @classmethod
    def order_bodies(cls, body: Any) -> list[Any]:
        return parse.order_bodies(body)

    @classmethod
    def parse_order(cls, body: Any) -> ChannelOrder:
        return parse.parse_order(body)

    def check(self) -> str:
        before = datetime.now(UTC) - self.settle
        self._get("searchOrders", ORDERS, {"lastUpdatedAfter": wire.stamp(before - timedelta(minutes=1)),
                                           "lastUpdatedBefore": wire.stamp(before), "maxResultsPerPage": 1},
                  attempts=1)
        return "searchOrders answered"

    # orders ----------------------------------------------------------------------------------

    def fetch_orders(self, since: datetime | None, page: str | None = None) -> OrderPage:
        if page:
            before, token = wire.read_page_token(page)
        else:
            before, token = datetime.now(UTC) - self.settle, None
        after = as_utc(since) if since is not None else before - self.first_pull
        if after > before:
            return OrderPage()  # nothing is old enough for Amazon to be asked about yet
        params: dict[str, Any] = {
            "lastUpdatedAfter": wire.stamp(after), "lastUpdatedBefore": wire.stamp(before),
            "maxResultsPerPage": self.page_size, "includedData": wire.INCLUDED_DATA,
        }
        if self.marketplace_ids:
            params["marketplaceIds"] = ",".join(self.marketplace_ids)
        if token:
            params["paginationToken"] = token
        body = wire.json_body(self._get("searchOrders", ORDERS, params), "searchOrders answer")
        if not isinstance(body, dict) or not isinstance(body.get("orders"), list):
            raise AmazonParseError('searchOrders answer is not {"orders": [...]}')
        result = self._mark(parse_bodies(self, body["orders"]))
        pagination = body.get("pagination")
        next_token = pagination.get("nextToken") if isinstance(pagination, dict) else None
        if isinstance(next_token, str) and next_token:
            result.next_page = wire.page_token(before, next_token)
        return result

    def get_order(self, order_id: str) -> ChannelOrder:
        return self._mark_one(self.parse_order(self._order_body(order_id)))

    def _order_body(self, order_id: str) -> dict[str, Any]:
        if not _ORDER_ID.fullmatch(order_id):
            raise AmazonRequestFailed("order external id is not an Amazon order id")
        response = self._get("getOrder", f"{ORDERS}/{order_id}", {"includedData": wire.INCLUDED_DATA})
        body = wire.json_body(response, "getOrder answer")
        if not isinstance(body, dict) or not isinstance(body.get("order"), dict):
            raise AmazonParseError('getOrder answer is not {"order": {...}}')
        return body["order"]

    def _mark(self, page: OrderPage) -> OrderPage:
        page.orders = [self._mark_one(order) for order in page.orders]
        return page

    def _mark_one(self, order: ChannelOrder) -> ChannelOrder:
        """With ``review_derived_names`` every derived name holds its order for an operator."""
        if not self.review_derived_names or not order.notes:
            return order
        return order.model_copy(update={"notes": [n.model_copy(update={"review": True}) for n in order.notes]})

    # tracking --------------------------------------------------------------------------------

    def push_tracking(self, shipment: Shipment) -> None:
        """Confirm one package with v0 ``confirmShipment`` (204). Without lines, the items Amazon
        still counts as unshipped go; when none is left the shipment was confirmed already."""
        order = self._order_body(shipment.order_external_id)
        marketplace = (order.get("salesChannel") or {}).get("marketplaceId")
        if not isinstance(marketplace, str) or not marketplace:
            raise AmazonParseError("getOrder answer has no salesChannel.marketplaceId")
        order_items = wire.shipment_items(shipment, order)
        if not order_items:
            log.info("amazon order %s: nothing left to confirm", shipment.order_external_id)
            return
        path = f"/orders/v0/orders/{shipment.order_external_id}/shipmentConfirmation"
        body = wire.confirmation(shipment, marketplace, order_items)
        http.with_retries(lambda: self._send("confirmShipment", "POST", path, json=body, write=True),
                          attempts=self.write_attempts, sleep=self.sleep,
                          retry_on=(AmazonRateLimited, AmazonUnavailable))

    # HTTP ------------------------------------------------------------------------------------

    def _get(self, operation: str, path: str, params: dict[str, Any], *, attempts: int | None = None) -> httpx.Response:
        return http.with_retries(lambda: self._send(operation, "GET", path, params=params),
                                 attempts=attempts or self.read_attempts, sleep=self.sleep)

    def _send(self, operation: str, method: str, path: str, *, params: dict[str, Any] | None = None,
              json: Any = None, write: bool = False) -> httpx.Response:
        response = self._request(operation, method, path, params=params, json=json, write=write)
        if response.status_code in (401, 403) and wire.error_code(response)[0] == "Unauthorized":
            # an access token can die before its announced expiry: one fresh try, then it counts
            log.info("amazon refused the access token: refreshing it")
            response = self._request(operation, method, path, params=params, json=json, write=write)
        try:
            wire.raise_for_status(response, write=write, secrets=self._secrets)
        except AmazonRateLimited as exc:
            self.buckets[operation].empty()
            if exc.retry_after is not None:
                self.pacer.hold_until(time.time() + exc.retry_after)
            raise
        return response

    def _request(self, operation: str, method: str, path: str, *, params: dict[str, Any] | None,
                 json: Any, write: bool) -> httpx.Response:
        token = self.login.access_token()
        bucket = self.buckets[operation]
        due = bucket.due()
        if due > self.max_pacing_wait:
            raise AmazonRateLimited(f"Amazon's {operation} usage plan allows the next call in {due:.0f}s",
                                    retry_after=due)
        bucket.take()
        self.pacer.wait()
        try:
            response = self.client.request(method, path, params=params, json=json,
                                           headers={"x-amz-access-token": token})
        except httpx.TransportError as exc:
            raise wire.ERRORS.for_transport(exc, write=write) from None
        self.buckets[operation].resync(response.headers.get(RATE_LIMIT_HEADER))
        if response.status_code in (401, 403):
            self.login.refused(token)
        return response


def _redis_from_environment() -> str:
    """The engine's Redis, so that workers on several machines refresh a token once between them."""
    for name in ("ORDERHUB_RATELIMIT_URL", "ORDERHUB_BROKER_URL"):
        value = os.environ.get(name, "")
        if value.startswith(("redis://", "rediss://", "unix://")):
            return value
    return ""


def _marketplaces(value: Any) -> list[str]:
    if value is None or value == "":
        return []
    found = value.split(",") if isinstance(value, str) else value
    if not isinstance(found, list) or not all(isinstance(v, str) and v.strip() for v in found):
        raise AmazonConfigError("marketplace_ids must be marketplace ids (a list or a comma-separated text)")
    return [v.strip() for v in found]


def _flag(value: Any, name: str) -> bool:
    if value is None or isinstance(value, bool):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in ("true", "false", "1", "0", "yes", "no"):
        return value.strip().lower() in ("true", "1", "yes")
    raise AmazonConfigError(f"{name} must be true or false")


__all__ = ["AmazonAuthError", "AmazonConnector"]
