"""The Shopee Open Platform v2 channel: orders in (``get_order_list`` by ``update_time`` in windows
of at most 15 days, then ``get_order_detail`` 50 at a time), tracking back (``logistics/ship_order``
with the seller's own tracking number, checked with ``get_tracking_number`` first)."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any, ClassVar

import httpx
from pydantic import BaseModel, ConfigDict, Field

from connectors import http
from connectors.base import ChannelConnector, ConnectorConfig
from connectors.ratelimit import Pacer
from connectors.records import ChannelOrder, OrderPage, RejectedBody, Shipment, as_utc
from connectors.shopee import errors, parse, signing
from connectors.shopee.errors import (
    ShopeeConfigError,
    ShopeeParseError,
    ShopeeRateLimited,
    ShopeeRefreshRejected,
    ShopeeRequestFailed,
    ShopeeUnavailable,
)
from connectors.shopee.tokens import (
    ACCESS_SECONDS,
    REFRESH_SECONDS,
    TokenKeeper,
    Tokens,
    fingerprint,
    make_store,
)

log = logging.getLogger(__name__)

API = "/api/v2"
ORDER_LIST = f"{API}/order/get_order_list"
ORDER_DETAIL = f"{API}/order/get_order_detail"
SHIP_ORDER = f"{API}/logistics/ship_order"
TRACKING_NUMBER = f"{API}/logistics/get_tracking_number"
#: what Shopee answers a ship_order for an order shipped already
SHIPPED_ALREADY = "logistics.order_status_error"
REFRESH = f"{API}/auth/access_token/get"
WINDOW_SECONDS = 15 * 24 * 3600  # get_order_list's widest time range
DETAIL_BATCH = 50  # order_sn_list takes 1 to 50
#: what a fulfilment needs beyond the defaults (status, currency, times)
DETAIL_FIELDS = ("buyer_user_id,buyer_username,recipient_address,item_list,total_amount,pay_time,"
                 "shipping_carrier,package_list,note,cancel_by,cancel_reason,buyer_cancel_reason")
CREDENTIALS = ("partner_id", "partner_key", "shop_id", "access_token", "refresh_token")


class ShopeeSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    create_customers: bool | None = None
    page_size: int | None = Field(None, ge=1, le=100)
    access_expires_at: float | None = Field(None, ge=0)
    refresh_expires_at: float | None = Field(None, ge=0)
    token_storage: str | None = Field(None, max_length=500)
    #: written by OrderHub with refreshed tokens: the fingerprint of the refresh token the operator
    #: configured (their lineage) and of the one written back, so a token the operator sets later
    #: starts a new lineage
    token_origin: str | None = Field(None, max_length=64)
    token_refreshed: str | None = Field(None, max_length=64)


class ShopeeConnector(ChannelConnector):
    kind: ClassVar[str] = "shopee"
    id_field: ClassVar[str] = "order_sn"
    credential_keys: ClassVar[tuple[str, ...] | None] = CREDENTIALS
    settings_model: ClassVar[type[BaseModel] | None] = ShopeeSettings
    page_size: ClassVar[int] = 100  # get_order_list's maximum
    read_attempts: ClassVar[int] = 4
    #: how many places each next page starts before Shopee's cursor (orders changed during a pull)
    page_overlap: ClassVar[int] = 2

    def __init__(self, config: ConnectorConfig, *, transport: httpx.BaseTransport | None = None,
                 pacer: Pacer | None = None) -> None:
        self._secrets: dict[str, str] = {}
        for key in CREDENTIALS:
            try:
                value = config.secret(key)
            except KeyError:
                raise ShopeeConfigError(f"credential {key!r} is not configured") from None
            if not value.strip():
                raise ShopeeConfigError(f"credential {key!r} is empty")
            self._secrets[key] = value.strip()
        for key in ("partner_id", "shop_id"):
            if not self._secrets[key].isdigit():
                raise ShopeeConfigError(f"credential {key!r} must be Shopee's numeric id")
        #: Shopee masks buyers: by default no customer is made from its orders
        self.create_customers = _flag(config.settings.get("create_customers", False), "create_customers")
        try:
            self.limit = max(1, min(int(config.settings.get("page_size", self.page_size)), 100))
        except (TypeError, ValueError):
            raise ShopeeConfigError("page_size must be an integer") from None
        #: tests swap these to run retries and token lifetimes without waiting
        self.sleep: Callable[[float], Any] = time.sleep
        self.clock: Callable[[], float] = time.time
        super().__init__(config, transport=transport, pacer=pacer)
        initial = Tokens(self._secrets["access_token"], self._secrets["refresh_token"],
                         _number(config.settings.get("access_expires_at")),
                         _number(config.settings.get("refresh_expires_at")), origin=_origin(self._secrets, config))
        key = f"{config.url.rstrip('/')}|{self._secrets['partner_id']}|{self._secrets['shop_id']}"
        storage = str(config.settings.get("token_storage") or "memory://")
        self.tokens = TokenKeeper(make_store(storage, key), initial, self._refresh, clock=lambda: self.clock())
        self.tokens.on_refresh = self._keep_tokens

    def make_client(self, transport: httpx.BaseTransport | None) -> httpx.Client:
        return http.make_client(self.config.url, transport=transport)

    # parsing ---------------------------------------------------------------------------------

    @classmethod
    def order_bodies(cls, body: Any) -> list[Any]:
        return parse.order_bodies(body)

    @classmethod
    def parse_order(cls, body: Any) -> ChannelOrder:
        return parse.parse_order(body)

    def parse_page(self, body: Any) -> OrderPage:
        """Rejected bodies keep their ``order_sn``, and the channel's ``create_customers`` holds."""
        page = OrderPage()
        for item in self.order_bodies(body):
            self._parse_into(page, item)
        return page

    def check(self) -> str:
        now = int(self.clock())
        self._get(ORDER_LIST, {"time_range_field": "update_time", "time_from": now - 900, "time_to": now,
                               "page_size": 1})
        return "get_order_list answered"

    # orders ----------------------------------------------------------------------------------

    def fetch_orders(self, since: datetime | None, page: str | None = None) -> OrderPage:
        now = int(self.clock())
        if page:
            start, end, cursor = _read_page(page)
        else:
            start = int(as_utc(since).timestamp()) if since is not None else now - WINDOW_SECONDS
            start = min(start, now - 1)
            end, cursor = min(start + WINDOW_SECONDS, now), ""
        params: dict[str, Any] = {"time_range_field": "update_time", "time_from": start, "time_to": end,
                                  "page_size": self.limit, "response_optional_fields": "order_status"}
        if cursor:
            params["cursor"] = cursor
        answer = _response(self._get(ORDER_LIST, params), "order list")
        listed = answer.get("order_list")
        if not isinstance(listed, list):
            raise ShopeeParseError("order list has no order_list")
        numbers = [str(o["order_sn"]) for o in listed if isinstance(o, dict) and o.get("order_sn")]
        result = self.read_orders(numbers)
        next_cursor = answer.get("next_cursor")
        if answer.get("more") and next_cursor:
            result.next_page = _write_page(start, end, self._step_back(cursor, str(next_cursor)))
        elif end < now:
            result.next_page = _write_page(end, min(end + WINDOW_SECONDS, now), "")
        return result

    def _step_back(self, cursor: str, next_cursor: str) -> str:
        """Shopee's cursor is an offset into a list ordered by the time range field: an order of a
        page already read that changes meanwhile leaves its place and every later order moves up
        one. The next page therefore starts a few places early (those orders are read again, and
        stored unchanged), never past an order that moved up."""
        if not (next_cursor.isdigit() and (cursor or "0").isdigit()):
            return next_cursor  # not an offset: taken as it is
        current, following = int(cursor or "0"), int(next_cursor)
        return str(max(current + 1, following - self.page_overlap))

    def read_orders(self, numbers: list[str]) -> OrderPage:
        """Details of these orders, 50 per call, parsed; unreadable ones quarantined."""
        page = OrderPage()
        for i in range(0, len(numbers), DETAIL_BATCH):
            batch = numbers[i : i + DETAIL_BATCH]
            answer = _response(self._get(ORDER_DETAIL, {"order_sn_list": ",".join(batch),
                                                        "response_optional_fields": DETAIL_FIELDS}),
                               "order detail")
            bodies = answer.get("order_list")
            if not isinstance(bodies, list):
                raise ShopeeParseError("order detail has no order_list")
            for body in bodies:
                self._parse_into(page, body)
        return page

    def _parse_into(self, page: OrderPage, body: Any) -> None:
        try:
            page.orders.append(parse.parse_order(body, customers=self.create_customers))
        except ShopeeParseError as exc:
            number = body.get("order_sn") if isinstance(body, dict) else None
            page.rejected.append(RejectedBody(body=body, error=str(exc),
                                              external_id=None if number is None else str(number)[:100]))

    # tracking --------------------------------------------------------------------------------

    def push_tracking(self, shipment: Shipment) -> None:
        """Ship the order with the seller's own tracking number (a non-integrated channel).

        Safe to call again, also after ``OutcomeUnknown``: the order's tracking number is read
        first and an order that already carries this one is not shipped again. Shopee keeps one
        tracking number per package: a later parcel of the same order is refused by Shopee.
        """
        order_sn = shipment.order_external_id
        number = shipment.tracking.number
        try:
            current = self.tracking_number(order_sn)
        except ShopeeRequestFailed:
            current = None  # Shopee may refuse the look-up while the order has no shipment yet
        if current == number:
            log.info("shopee order already carries this tracking number")
            return
        if current:
            raise _second_parcel(order_sn, current, number)
        try:
            self._post(SHIP_ORDER, {"order_sn": order_sn, "non_integrated": {"tracking_number": number}})
        except ShopeeRequestFailed as exc:
            # the order's other parcel may have been shipped meanwhile: say so rather than Shopee's bare code
            if exc.code == SHIPPED_ALREADY and (current := self.tracking_number(order_sn)) and current != number:
                raise _second_parcel(order_sn, current, number) from None
            raise

    def tracking_number(self, order_sn: str) -> str | None:
        answer = _response(self._get(TRACKING_NUMBER, {"order_sn": order_sn}), "tracking number")
        found = answer.get("tracking_number")
        return str(found) if found else None

    # tokens ----------------------------------------------------------------------------------

    def _refresh(self, refresh_token: str) -> Tokens:
        now = int(self.clock())
        partner_id, shop_id = self._secrets["partner_id"], self._secrets["shop_id"]
        params = signing.public_params(self._secrets["partner_key"], partner_id, REFRESH, now)
        body = {"refresh_token": refresh_token, "partner_id": int(partner_id), "shop_id": int(shop_id)}
        try:
            answer = self._body(self._send("POST", REFRESH, params=params, json=body, write=False, signed=False))
        except errors.ShopeeAuthError as exc:
            raise _rejected(exc) from None
        except ShopeeRequestFailed as exc:
            raise _rejected(exc) from None
        access, refresh = answer.get("access_token"), answer.get("refresh_token")
        if not isinstance(access, str) or not access or not isinstance(refresh, str) or not refresh:
            raise ShopeeRefreshRejected("Shopee's token refresh answered without new tokens")
        expires_in = answer.get("expire_in")
        lifetime = expires_in if isinstance(expires_in, int) and expires_in > 0 else ACCESS_SECONDS
        log.info("shopee tokens refreshed for shop %s", shop_id)
        return Tokens(access, refresh, float(now + lifetime), float(now + REFRESH_SECONDS))

    def _keep_tokens(self, fresh: Tokens, spent: str) -> None:
        """Under the refresh lock: the channel's row gets the new tokens, since the refresh token
        just spent will never work again (without Redis a restart would otherwise lose them)."""
        if self.credentials_keeper is None:
            return
        settings = {"access_expires_at": fresh.access_expires_at, "refresh_expires_at": fresh.refresh_expires_at,
                    "token_origin": fresh.origin, "token_refreshed": fingerprint(fresh.refresh_token)}
        kept = self.credentials_keeper({"refresh_token": spent},
                                       {"access_token": fresh.access_token, "refresh_token": fresh.refresh_token},
                                       settings)
        if not kept:
            log.warning("shopee tokens refreshed for shop %s but the channel's credentials changed meanwhile: "
                        "the channel keeps the ones it was given", self._secrets["shop_id"])

    # HTTP ------------------------------------------------------------------------------------

    def _get(self, path: str, params: dict[str, Any]) -> Any:
        return http.with_retries(lambda: self._call("GET", path, params=params),
                                 attempts=self.read_attempts, sleep=self.sleep)

    def _post(self, path: str, body: dict[str, Any]) -> Any:
        # only failures that prove the write was not handled are retried here
        return http.with_retries(lambda: self._call("POST", path, json=body, write=True),
                                 attempts=3, sleep=self.sleep, retry_on=(ShopeeRateLimited, ShopeeUnavailable))

    def _call(self, method: str, path: str, *, params: dict[str, Any] | None = None, json: Any = None,
              write: bool = False) -> Any:
        """One signed call; an access token refused as expired is refreshed once and the call made again."""
        token = self.tokens.access_token()
        response = self._send(method, path, params=params, json=json, write=write, token=token)
        body = _json(response)
        if errors.refused_access_token(body):
            token = self.tokens.refresh(stale=token).access_token
            response = self._send(method, path, params=params, json=json, write=write, token=token)
            body = _json(response)
        return self._raise_for(response, body, write=write)

    def _body(self, response: httpx.Response) -> Any:
        return self._raise_for(response, _json(response), write=False)

    def _raise_for(self, response: httpx.Response, body: Any, *, write: bool) -> Any:
        error = errors.for_body(response, body, write=write)
        if error is not None:
            if isinstance(error, ShopeeRateLimited) and error.retry_after is not None:
                self.pacer.hold_until(time.time() + error.retry_after)
            raise error
        return body

    def _send(self, method: str, path: str, *, params: dict[str, Any] | None = None, json: Any = None,
              write: bool = False, token: str = "", signed: bool = True) -> httpx.Response:
        query = dict(params or {})
        if signed:
            query.update(signing.shop_params(self._secrets["partner_key"], self._secrets["partner_id"], path,
                                             int(self.clock()), token, self._secrets["shop_id"]))
        self.pacer.wait()
        try:
            return self.client.request(method, path, params=query, json=json)
        except httpx.TransportError as exc:
            raise errors.ERRORS.for_transport(exc, write=write) from None


def _origin(secrets: dict[str, str], config: ConnectorConfig) -> str:
    """The lineage of the configured tokens: the one they were refreshed from when OrderHub wrote
    them, else (the operator's own) their own."""
    written, origin = config.settings.get("token_refreshed"), config.settings.get("token_origin")
    if origin and written == fingerprint(secrets["refresh_token"]):
        return str(origin)
    return fingerprint(secrets["refresh_token"])


def _rejected(exc: Exception) -> ShopeeRefreshRejected:
    return ShopeeRefreshRejected(
        f"{exc}: the refresh token is used up or expired; the shop owner must authorise the app again "
        "and the channel's access_token and refresh_token be updated")


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except (ValueError, UnicodeDecodeError):
        return None


def _response(body: Any, what: str) -> dict[str, Any]:
    inner = body.get("response") if isinstance(body, dict) else None
    if not isinstance(inner, dict):
        raise ShopeeParseError(f"{what} answer has no response object")
    return inner


def _number(value: Any) -> float | None:
    try:
        return None if value is None else float(value)
    except (TypeError, ValueError):
        raise ShopeeConfigError("token expiry settings must be Unix seconds") from None


def _flag(value: Any, name: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise ShopeeConfigError(f"{name} must be true or false")


def _write_page(start: int, end: int, cursor: str) -> str:
    return json.dumps([start, end, cursor], separators=(",", ":"))


def _read_page(page: str) -> tuple[int, int, str]:
    try:
        start, end, cursor = json.loads(page)
        return int(start), int(end), str(cursor)
    except (ValueError, TypeError):
        raise ShopeeConfigError("the stored Shopee page token is not one this connector wrote") from None


def _second_parcel(order_sn: str, current: str, number: str) -> ShopeeRequestFailed:
    """A second parcel (an order split between warehouses): Shopee holds one number per order."""
    return ShopeeRequestFailed(f"Shopee keeps one tracking number per order and {order_sn} carries {current} "
                               f"already: give {number} to the buyer another way", code=SHIPPED_ALREADY)
