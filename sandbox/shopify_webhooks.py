"""Shopify webhooks in the sandbox: the REST subscriptions (``webhooks.json``) and deliveries
signed with the app's client secret (``X-Shopify-Hmac-Sha256``), with Shopify's headers.

Control: ``GET /_sandbox/webhooks`` (subscriptions and deliveries), ``POST /_sandbox/webhooks``
``{"twice"|"out_of_order"|"bad_signature": bool, "flush": true}``, ``POST /_sandbox/uninstall``
(the app is uninstalled: its token stops working and ``app/uninstalled`` is delivered).
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from sandbox.server import Handler, Request, Response, json_response
from sandbox.webhooks import Hook, Outbox

if TYPE_CHECKING:
    from sandbox.shopify import ShopifySandbox

SHOP_DOMAIN = "orderhub-sandbox.myshopify.com"
TOPICS = frozenset({"orders/create", "orders/updated", "orders/cancelled", "orders/paid", "orders/delete",
                    "orders/fulfilled", "orders/edited", "app/uninstalled"})
FIRST_ID = 1_140_000_001


class ShopifyHooks:
    def __init__(self, app: ShopifySandbox, now: Callable[[], datetime]) -> None:
        self.app = app
        self.now = now
        self.outbox = Outbox(self._headers)
        self._created: dict[int, str] = {}

    def register(self, version: str, admin: Callable[[Handler], Handler]) -> None:
        self.app.add("GET", version + r"/webhooks\.json", admin(self._list))
        self.app.add("POST", version + r"/webhooks\.json", admin(self._create))
        self.app.add("DELETE", version + r"/webhooks/(?P<hook>[0-9]+)\.json", admin(self._delete))
        self.app.add("GET", r"/_sandbox/webhooks", lambda r: json_response(self.outbox.state()))
        self.app.add("POST", r"/_sandbox/webhooks", self._control)
        self.app.add("POST", r"/_sandbox/uninstall", lambda r: json_response({"uninstalled": self.uninstall()}))

    # deliveries ----------------------------------------------------------------------------

    def deliver(self, events: list[tuple[str, dict[str, Any]]]) -> None:
        """Called with the shop's lock released: the receiver may read the order back at once."""
        if self.outbox.any_listening():
            self.outbox.emit([(topic, json.dumps(body).encode()) for topic, body in events])

    def uninstall(self) -> int:
        """The merchant removes the app: the token dies, then Shopify says so."""
        with self.app.lock:
            self.app.access_token = "revoked-" + secrets.token_hex(8)
        shop = {"id": 548_380_009, "name": "OrderHub sandbox", "domain": SHOP_DOMAIN,
                "myshopify_domain": SHOP_DOMAIN}
        self.deliver([("app/uninstalled", shop)])
        return len(self.outbox.listening("app/uninstalled"))

    def _headers(self, hook: Hook, topic: str, delivery_id: str, signature: str) -> dict[str, str]:
        return {"Content-Type": "application/json", "User-Agent": "Shopify-Captain-Hook",
                "X-Shopify-Topic": topic, "X-Shopify-Hmac-Sha256": signature,
                "X-Shopify-Shop-Domain": SHOP_DOMAIN, "X-Shopify-API-Version": self.app.api_version,
                "X-Shopify-Webhook-Id": delivery_id, "X-Shopify-Event-Id": delivery_id,
                "X-Shopify-Triggered-At": self.now().isoformat()}

    # REST ----------------------------------------------------------------------------------

    def _render(self, hook: Hook) -> dict[str, Any]:
        return {"id": hook.id, "address": hook.address, "topic": hook.topic, "created_at": self._created[hook.id],
                "updated_at": self._created[hook.id], "format": "json", "fields": [],
                "metafield_namespaces": [], "api_version": self.app.api_version,
                "private_metafield_namespaces": []}

    def _list(self, request: Request) -> Response:
        hooks = sorted(self.outbox.hooks.values(), key=lambda h: h.id)
        return json_response({"webhooks": [self._render(h) for h in hooks]})

    def _create(self, request: Request) -> Response:
        try:
            data = (request.json() or {}).get("webhook")
        except (ValueError, AttributeError, UnicodeDecodeError):
            data = None
        if not isinstance(data, dict):
            return json_response({"errors": {"webhook": "Required parameter missing or invalid"}}, 400)
        topic, address = data.get("topic"), data.get("address")
        errors: dict[str, list[str]] = {}
        if topic not in TOPICS:
            errors["topic"] = ["Invalid topic specified."]
        if not isinstance(address, str) or urlsplit(address).scheme not in ("http", "https"):
            errors["address"] = ["is invalid"]
        elif any(h.topic == topic and h.address == address for h in self.outbox.hooks.values()):
            errors["address"] = ["for this topic has already been taken"]
        if errors:
            return json_response({"errors": errors}, 422)
        hook = self.outbox.subscribe(str(topic), str(address), self.app.client_secret, FIRST_ID)
        self._created[hook.id] = self.now().isoformat()
        return json_response({"webhook": self._render(hook)}, 201)

    def _delete(self, request: Request) -> Response:
        if self.outbox.hooks.pop(int(request.params["hook"]), None) is None:
            return json_response({"errors": "Not Found"}, 404)
        return json_response({})

    def _control(self, request: Request) -> Response:
        try:
            data = request.json() or {}
        except (ValueError, UnicodeDecodeError):
            data = None
        if not isinstance(data, dict):
            return json_response({"errors": 'expected {"twice": bool, "out_of_order": bool, ...}'}, 400)
        self.outbox.set_faults(data)
        flushed = self.outbox.flush() if data.get("flush") else 0
        return json_response({"faults": self.outbox.state()["faults"], "flushed": flushed})
