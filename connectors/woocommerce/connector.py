"""The WooCommerce REST wc/v3 channel: orders in by ``modified_after``, tracking out as notes."""

from __future__ import annotations

import logging
import re
import time
from collections import Counter
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, ClassVar, Literal, Self

import httpx
from pydantic import BaseModel, ConfigDict

from connectors.base import ChannelConnector, ConnectorConfig, parse_bodies
from connectors.http import make_client
from connectors.ratelimit import Pacer
from connectors.records import ChannelOrder, OrderPage, RejectedBody, Shipment, Tracking
from connectors.webhooks import Delivery, Subscription
from connectors.woocommerce import paging, parse, webhooks
from connectors.woocommerce.client import WooClient
from connectors.woocommerce.errors import WooAuthError, WooParseError, WooRequestRejected
from connectors.woocommerce.oauth import OAuth1
from connectors.woocommerce.products import VirtualProducts
from connectors.woocommerce.refunds import apply_refunds, has_refunds

log = logging.getLogger(__name__)

#: statuses a shipment must not overwrite: done already, or the shop no longer wants it sent
KEEP_STATUSES = frozenset({"completed", "cancelled", "refunded", "failed", "trash"})
#: the shop waits for the payment: the statuses its owner's "mark paid" moves on to processing
UNPAID_STATUSES = frozenset({"on-hold", "pending"})
_ORDER_ID = re.compile(r"^[0-9]{1,20}$")


def note_text(tracking: Tracking) -> str:
    carrier = (tracking.carrier or "").strip()
    text = f"Shipped with {carrier}: tracking {tracking.number}" if carrier else (
        f"Shipped: tracking {tracking.number}")
    return f"{text} {tracking.url}" if tracking.url else text


def mentions(note: str, number: str) -> bool:
    """Whether a note already carries this tracking number (as a whole token, so "12" does not
    match "A123")."""
    pattern = r"(?<![A-Za-z0-9])" + re.escape(number.strip()) + r"(?![A-Za-z0-9])"
    return bool(number.strip()) and re.search(pattern, note) is not None


def covers_whole_order(order: ChannelOrder, shipment: Shipment) -> bool:
    """True when the shipment sends every unit of every line (no lines listed: all of them)."""
    if not shipment.lines:
        return True
    by_id: Counter[str] = Counter()
    by_sku: Counter[str] = Counter()
    for line in shipment.lines:
        if line.external_id:
            by_id[line.external_id] += line.quantity
        elif line.sku:
            by_sku[line.sku] += line.quantity
    for line in order.lines:
        wanted = line.quantity
        if line.external_id and by_id[line.external_id]:
            taken = min(wanted, by_id[line.external_id])
            by_id[line.external_id] -= taken
            wanted -= taken
        if wanted and line.sku:
            taken = min(wanted, by_sku[line.sku])
            by_sku[line.sku] -= taken
            wanted -= taken
        if wanted > 0:
            return False
    return True


def newest_per_id(orders: list[ChannelOrder]) -> list[ChannelOrder]:
    """Offset paging over a moving list can return the same order twice in one fetch."""
    kept: dict[str, ChannelOrder] = {}
    for order in orders:
        seen = kept.get(order.external_id)
        if seen is None or order.updated_at > seen.updated_at:
            kept[order.external_id] = order
    return list(kept.values())


class WooCommerceSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    query_string_auth: bool | None = None
    oauth_signature_method: Literal["HMAC-SHA256", "HMAC-SHA1"] | None = None


class WooCommerceConnector(ChannelConnector):
    """Over ``https://`` the key and secret go as HTTP Basic, or as query parameters with the
    ``query_string_auth`` setting (for hosts that drop the ``Authorization`` header). Over
    ``http://`` WooCommerce takes neither: requests are signed with OAuth 1.0a
    (``oauth_signature_method``: HMAC-SHA256, the default, or HMAC-SHA1)."""

    credential_keys: ClassVar[tuple[str, ...] | None] = ("consumer_key", "consumer_secret")
    #: the secret WooCommerce signs webhook deliveries with (``channels webhooks register`` makes one)
    optional_credential_keys: ClassVar[tuple[str, ...]] = ("webhook_secret",)
    webhook_topics: ClassVar[tuple[str, ...]] = webhooks.TOPICS
    webhook_secret_is_ours: ClassVar[bool] = True
    settings_model: ClassVar[type[BaseModel] | None] = WooCommerceSettings

    kind: ClassVar[str] = "woocommerce"
    page_size: ClassVar[int] = 100  # wc/v3's maximum ``per_page``

    def __init__(
        self,
        config: ConnectorConfig,
        *,
        transport: httpx.BaseTransport | None = None,
        pacer: Pacer | None = None,
    ) -> None:
        super().__init__(config, transport=transport, pacer=pacer)
        #: how retries wait; tests swap it for a no-op
        self.retry_sleep: Callable[[float], Any] = time.sleep
        auth_params = None
        if self._query_auth():
            key, secret = self._credentials()
            auth_params = {"consumer_key": key, "consumer_secret": secret}
        self.api = WooClient(self.client, self.pacer, auth_params=auth_params,
                             sleep=lambda seconds: self.retry_sleep(seconds))
        self.products = VirtualProducts(lambda path, params: self.api.get(path, params)[0])

    def __enter__(self) -> Self:  # the base's returns ``Connector``, hiding our methods
        return self

    def _https(self) -> bool:
        return self.config.url.strip().lower().startswith("https://")

    def _query_auth(self) -> bool:
        # over plain http the keys never travel in clear: OAuth 1.0a signs instead
        return self._https() and bool(self.config.settings.get("query_string_auth", False))

    def _credentials(self) -> tuple[str, str]:
        try:
            return self.config.secret("consumer_key"), self.config.secret("consumer_secret")
        except KeyError:
            raise WooAuthError("consumer_key and consumer_secret must both be configured") from None

    def make_client(self, transport: httpx.BaseTransport | None) -> httpx.Client:
        key, secret = self._credentials()
        auth: httpx.Auth | tuple[str, str] | None
        if not self._https():
            method = str(self.config.settings.get("oauth_signature_method", "HMAC-SHA256"))
            try:
                auth = OAuth1(key, secret, method=method)
            except ValueError as exc:
                raise WooAuthError(str(exc)) from None
        else:
            auth = None if self._query_auth() else (key, secret)
        return make_client(self.config.url, auth=auth, transport=transport)

    def check(self) -> str:
        self.api.send("GET", "/orders", params={"per_page": "1"})
        return "GET orders?per_page=1 answered"

    # Reading orders ---------------------------------------------------------------------

    def fetch_orders(self, since: datetime | None, page: str | None = None) -> OrderPage:
        position = paging.decode(page, since)
        params = {
            "dates_are_gmt": "true",
            "orderby": "modified",
            "order": "asc",
            "per_page": str(self.page_size),
            "page": str(position.page),
        }
        if position.after is not None:
            params["modified_after"] = paging.format_since(position.after)
        body, response = self.api.get("/orders", params)
        if not isinstance(body, list):
            raise WooParseError("woocommerce: the order list answer is not a JSON list")
        result = parse_bodies(self, body)
        result.orders = newest_per_id(result.orders)
        following = paging.next_position(position, response, len(body), self.page_size, result.orders)
        self._less_refunds(result)
        self._set_apart_virtual(result)
        result.next_page = paging.encode(following) if following else None
        return result

    def fetch_order(self, external_id: str) -> OrderPage | None:
        """``GET orders/{id}``, read as a pull reads it (refunds, virtual lines); an empty page
        when the store no longer has the order."""
        order_id = external_id.strip()
        if not _ORDER_ID.match(order_id):
            raise WooRequestRejected("order id is not a WooCommerce order id")
        try:
            body, _ = self.api.get(f"/orders/{order_id}")
        except WooRequestRejected as exc:
            if exc.status == 404:
                return OrderPage()
            raise
        if not isinstance(body, dict):
            raise WooParseError("woocommerce: the order answer is not a JSON object")
        result = parse_bodies(self, [body])
        self._less_refunds(result)
        self._set_apart_virtual(result)
        return result

    def _set_apart_virtual(self, result: OrderPage) -> None:
        try:
            result.orders = self.products.apply(result.orders)
        except WooRequestRejected as exc:
            # the lines then all count as shipped: a virtual one is flagged for review, never lost
            log.warning("woocommerce products could not be read (%s): virtual lines not set apart", exc)

    def _less_refunds(self, result: OrderPage) -> None:
        """Refunded units are only in each refund's own body: read them for orders with refunds."""
        kept = []
        for order in result.orders:
            if not has_refunds(order.raw):
                kept.append(order)
                continue
            refunds, _ = self.api.get(f"/orders/{order.external_id}/refunds", {"per_page": "100"})
            try:
                kept.append(apply_refunds(order, refunds))
            except WooParseError as exc:
                result.rejected.append(RejectedBody(body=order.raw, error=f"refunds: {exc}",
                                                    external_id=order.external_id))
        result.orders = kept

    @classmethod
    def order_bodies(cls, body: Any) -> list[Any]:
        return parse.order_bodies(body)

    @classmethod
    def parse_order(cls, body: Any) -> ChannelOrder:
        return parse.parse_order(body)

    # Webhooks ---------------------------------------------------------------------------

    @classmethod
    def read_webhook(cls, headers: Mapping[str, str], body: bytes, secret: str | None) -> Delivery:
        return webhooks.read(headers, body, secret)

    def list_webhooks(self) -> list[Subscription]:
        body, _ = self.api.get("/webhooks", {"per_page": "100"})
        return webhooks.subscriptions(body)

    def register_webhooks(self, address: str, secret: str) -> list[Subscription]:
        """One webhook per topic; one already there for the address gets the secret again (the
        shop never shows a stored secret) and is made active (a failing one is disabled)."""
        have = {(s.topic, s.address): s for s in self.list_webhooks()}
        for topic in self.webhook_topics:
            found = have.get((topic, address))
            if found is None:
                self.api.send("POST", "/webhooks", json=webhooks.create_body(topic, address, secret))
            else:
                self.api.send("PUT", f"/webhooks/{found.id}", json={"secret": secret, "status": "active"})
        return [s for s in self.list_webhooks() if s.address == address]

    # Payment confirmed in OrderHub ------------------------------------------------------

    def mark_paid(self, external_id: str) -> bool:
        """``processing``, as the shop owner's "mark paid" does, only while the shop still waits
        for the payment (``on-hold``, ``pending``): a repeat, or an order the shop moved on
        meanwhile, writes nothing."""
        order_id = external_id.strip()
        if not _ORDER_ID.match(order_id):
            raise WooRequestRejected("order id is not a WooCommerce order id")
        body, _ = self.api.get(f"/orders/{order_id}")
        if self.parse_order(body).status not in UNPAID_STATUSES:
            return False
        self.api.retrying(lambda: self.api.send("PUT", f"/orders/{order_id}", json={"status": "processing"}))
        return True

    # Pushing tracking -------------------------------------------------------------------

    def push_tracking(self, shipment: Shipment) -> None:
        """Adds a (customer) note with the tracking, then completes the order when the shipment
        covers all of it. Safe to call again: the note is looked up before it is written, and
        an order already completed is not touched."""
        order_id = shipment.order_external_id.strip()
        if not _ORDER_ID.match(order_id):
            raise WooRequestRejected("order id is not a WooCommerce order id")
        body, _ = self.api.get(f"/orders/{order_id}")
        order = self.parse_order(body)
        self.api.retrying(lambda: self._ensure_note(order_id, shipment))
        if not covers_whole_order(order, shipment):
            log.info("woocommerce order %s: partial shipment, status left as is", order_id)
            return
        if order.status in KEEP_STATUSES:
            log.info("woocommerce order %s: status %s kept", order_id, order.status)
            return
        # setting a status twice is harmless, so this write may be repeated
        self.api.retrying(
            lambda: self.api.send("PUT", f"/orders/{order_id}", json={"status": "completed"}))

    def _ensure_note(self, order_id: str, shipment: Shipment) -> None:
        """One attempt: read the notes, add ours when missing. Repeated whole on failure, so a
        POST whose outcome was unknown is looked up before being sent again."""
        notes, _ = self.api.call("GET", f"/orders/{order_id}/notes")
        if not isinstance(notes, list):
            raise WooParseError("woocommerce: the order notes answer is not a JSON list")
        number = shipment.tracking.number
        for note in notes:
            text = note.get("note") if isinstance(note, dict) else None
            if isinstance(text, str) and mentions(text, number):
                return
        self.api.send("POST", f"/orders/{order_id}/notes", json={
            "note": note_text(shipment.tracking),
            "customer_note": shipment.notify_customer,
        })
