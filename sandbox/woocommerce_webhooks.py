"""WooCommerce webhooks in the sandbox: the wc/v3 ``webhooks`` resource and deliveries signed with
each webhook's secret (``X-WC-Webhook-Signature``), with WooCommerce's headers. A new active
webhook is pinged first with an unsigned form body ``webhook_id=N``; a webhook whose deliveries
fail more than five times in a row is disabled, as WooCommerce does.

Control: ``GET /_sandbox/webhooks``, ``POST /_sandbox/webhooks`` ``{"twice"|"out_of_order"|
"bad_signature": bool, "flush": true}``.
"""

from __future__ import annotations

import json
import secrets
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from sandbox.server import Handler, Request, Response, json_response
from sandbox.webhooks import Hook, Outbox
from sandbox.woocommerce_query import SITE_OFFSET, error, invalid

if TYPE_CHECKING:
    from sandbox.woocommerce import WooCommerceSandbox

API = "/wp-json/wc/v3"
SOURCE = "https://shop.example/"
USER_AGENT = "WooCommerce/9.4.2 Hookshot (WordPress/6.7.1)"
RESOURCES = ("order", "product", "customer", "coupon")
EVENTS = ("created", "updated", "deleted", "restored")
FIRST_ID = 142


class WooHooks:
    def __init__(self, app: WooCommerceSandbox) -> None:
        self.app = app
        self.outbox = Outbox(self._headers)
        self._created: dict[int, datetime] = {}
        self._names: dict[int, str] = {}

    def register(self, guard: Any) -> None:
        """``guard(handler, what, message)``: the shop's REST authentication."""
        one = API + r"/webhooks/(?P<hook>\d+)"
        listing = ("cannot_view", "Sorry, you cannot list resources.")
        self.app.add("GET", API + r"/webhooks", guard(self._list, *listing))
        self.app.add("POST", API + r"/webhooks", guard(self._create, "cannot_create",
                                                       "Sorry, you are not allowed to create resources."))
        self.app.add("GET", one, guard(self._get, *listing))
        self.app.add("PUT", one, guard(self._update, "cannot_edit",
                                       "Sorry, you are not allowed to edit this resource."))
        self.app.add("DELETE", one, guard(self._delete, "cannot_delete",
                                          "Sorry, you are not allowed to delete this resource."))
        self.app.add("GET", r"/_sandbox/webhooks", lambda r: json_response(self.outbox.state()))
        self.app.add("POST", r"/_sandbox/webhooks", self._control)

    # deliveries ----------------------------------------------------------------------------

    def changed(self, topic: str, order_ids: list[int]) -> None:
        """Deliver ``topic`` for these orders; called with the shop's lock released."""
        if not order_ids or not self.outbox.listening(topic):
            return
        with self.app.lock:
            bodies = [self.app.render(spec) for i in order_ids if (spec := self.app._by_id.get(i)) is not None]
        self.outbox.emit([(topic, json.dumps(body).encode()) for body in bodies])

    def after(self, handler: Handler, topic: str) -> Handler:
        """An order written through the API: its webhook goes out once the answer is ready."""
        def handled(request: Request) -> Response:
            response = handler(request)
            if 200 <= response.status < 300:
                self.changed(topic, [int(request.params["id"])])
            return response
        return handled

    def _headers(self, hook: Hook, topic: str, delivery_id: str, signature: str) -> dict[str, str]:
        resource, _, event = topic.partition(".")
        return {"Content-Type": "application/json", "User-Agent": USER_AGENT, "X-WC-Webhook-Source": SOURCE,
                "X-WC-Webhook-Topic": topic, "X-WC-Webhook-Resource": resource, "X-WC-Webhook-Event": event,
                "X-WC-Webhook-Signature": signature, "X-WC-Webhook-ID": str(hook.id),
                "X-WC-Webhook-Delivery-ID": delivery_id.replace("-", "")}

    # REST ----------------------------------------------------------------------------------

    def _render(self, hook: Hook, *, with_secret: bool = False) -> dict[str, Any]:
        at = self._created[hook.id]
        local, gmt = (at + SITE_OFFSET).replace(tzinfo=None), at.replace(tzinfo=None)
        resource, _, event = hook.topic.partition(".")
        body = {"id": hook.id, "name": self._names[hook.id], "status": hook.status, "topic": hook.topic,
                "resource": resource, "event": event, "hooks": [f"woocommerce_{event}_{resource}"],
                "delivery_url": hook.address, "date_created": local.isoformat(timespec="seconds"),
                "date_created_gmt": gmt.isoformat(timespec="seconds"),
                "date_modified": local.isoformat(timespec="seconds"),
                "date_modified_gmt": gmt.isoformat(timespec="seconds"),
                "_links": {"self": [{"href": f"{SOURCE.rstrip('/')}{API}/webhooks/{hook.id}"}],
                           "collection": [{"href": f"{SOURCE.rstrip('/')}{API}/webhooks"}]}}
        if with_secret:
            body["secret"] = hook.secret
        return body

    def _list(self, request: Request) -> Response:
        hooks = sorted(self.outbox.hooks.values(), key=lambda h: -h.id)  # newest first, as WordPress lists
        body = [self._render(h) for h in hooks]
        return json_response(body, headers={"X-WP-Total": str(len(body)), "X-WP-TotalPages": "1"})

    def _create(self, request: Request) -> Response:
        data = _object(request)
        if isinstance(data, Response):
            return data
        topic, address = data.get("topic"), data.get("delivery_url")
        resource, _, event = str(topic or "").partition(".")
        if resource not in RESOURCES or event not in EVENTS:
            return invalid("topic", "Webhook topic must be valid.")
        if not isinstance(address, str) or urlsplit(address).scheme not in ("http", "https"):
            return invalid("delivery_url",
                           "Webhook delivery URL must be a valid URL starting with http:// or https://.")
        secret = data.get("secret") if isinstance(data.get("secret"), str) and data.get("secret") else \
            secrets.token_urlsafe(24)
        hook = self.outbox.subscribe(str(topic), address, str(secret), FIRST_ID)
        status = data.get("status")
        hook.status = status if isinstance(status, str) and status in ("active", "paused", "disabled") else "active"
        self._created[hook.id] = datetime.now(UTC).replace(microsecond=0)
        self._names[hook.id] = str(data.get("name") or f"Webhook created on {self._created[hook.id]:%b %d, %Y}")
        if hook.status == "active":
            # WooCommerce pings a new webhook; the creation stands whatever the ping met
            self.outbox.ping(hook, f"webhook_id={hook.id}".encode(),
                             {"Content-Type": "application/x-www-form-urlencoded", "User-Agent": USER_AGENT})
        return json_response(self._render(hook, with_secret=True), 201)

    def _find(self, request: Request) -> Hook | None:
        return self.outbox.hooks.get(int(request.params["hook"]))

    def _get(self, request: Request) -> Response:
        hook = self._find(request)
        return json_response(self._render(hook)) if hook else error("woocommerce_rest_webhook_invalid_id",
                                                                    "Invalid ID.", 404)

    def _update(self, request: Request) -> Response:
        data = _object(request)
        if isinstance(data, Response):
            return data
        hook = self._find(request)
        if hook is None:
            return error("woocommerce_rest_webhook_invalid_id", "Invalid ID.", 404)
        if isinstance(data.get("secret"), str) and data["secret"]:
            hook.secret = data["secret"]
        if data.get("status") in ("active", "paused", "disabled"):
            hook.status = data["status"]
            hook.failures = 0
        if isinstance(data.get("delivery_url"), str):
            hook.address = data["delivery_url"]
        return json_response(self._render(hook))

    def _delete(self, request: Request) -> Response:
        hook = self._find(request)
        if hook is None:
            return error("woocommerce_rest_webhook_invalid_id", "Invalid ID.", 404)
        if request.arg("force") != "true":
            return error("woocommerce_rest_trash_not_supported", "Webhooks do not support trashing.", 501)
        del self.outbox.hooks[hook.id]
        return json_response(self._render(hook))

    def _control(self, request: Request) -> Response:
        data = _object(request)
        if isinstance(data, Response):
            return data
        self.outbox.set_faults(data)
        flushed = self.outbox.flush() if data.get("flush") else 0
        return json_response({"faults": self.outbox.state()["faults"], "flushed": flushed})


def _object(request: Request) -> dict[str, Any] | Response:
    try:
        data = request.json() or {}
    except (ValueError, UnicodeDecodeError):
        data = None
    if isinstance(data, dict):
        return data
    return error("rest_invalid_json", "Invalid JSON body passed.", 400)
