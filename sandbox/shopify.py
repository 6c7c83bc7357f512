"""A fake Shopify shop speaking the REST Admin wire format (orders, fulfillment orders,
fulfillments), with Shopify's paging rules, leaky-bucket rate limit and error bodies.

It is strict where Shopify is strict (filters next to ``page_info``, ``limit`` > 250, fulfilling
closed fulfillment orders) so a connector that passes here does not fail on the real service.
The shop has one location per supplier warehouse, so orders with lines from two warehouses have
two fulfillment orders, as a multi-location shop would.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from sandbox import seeding, shopify_fulfilment, shopify_query, shopify_tracking
from sandbox.server import App, Faults, Request, Response, json_response, text_response
from sandbox.shopify_query import Row, lenient_time, only
from sandbox.shopify_render import (
    BadRequest,
    iso,
    render_fulfillment_orders,
    render_line,
    render_order,
)
from sandbox.shopify_webhooks import ShopifyHooks

INVALID_TOKEN = "[API] Invalid API key or access token (unrecognized login or wrong password)"
THROTTLED = "Exceeded 2 calls per second for api client. Reduce request rates to resume uninterrupted service."
_VERSION = r"/admin/api/(?P<version>[0-9]{4}-[0-9]{2}|unstable)"


class LeakyBucket:
    """Shopify's REST limit: each call fills the bucket by one, it drains at ``leak_rate``/s."""

    def __init__(self, size: int = 40, leak_rate: float = 2.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.size, self.leak_rate, self._clock = size, leak_rate, clock
        self.level, self._at = 0.0, clock()

    def take(self) -> tuple[bool, int, float]:
        """(allowed, used after the call, seconds to wait when refused)."""
        now = self._clock()
        self.level = max(0.0, self.level - (now - self._at) * self.leak_rate)
        self._at = now
        if self.level + 1 > self.size:
            return False, self.size, max((self.level + 1 - self.size) / self.leak_rate, 0.5)
        self.level += 1
        return True, math.ceil(self.level - 1e-9), 0.0


class ShopifySandbox(App):
    name = "shopify"

    def __init__(self, orders: list[seeding.OrderSpec], *, access_token: str = "shpat_sandbox",
                 api_version: str = "2024-10", faults: Faults | None = None,
                 bucket_size: int = 40, leak_rate: float = 2.0, client_secret: str = "shpss_sandbox") -> None:
        super().__init__(faults)
        self.access_token = access_token
        #: the app's client secret: webhook deliveries are signed with it
        self.client_secret = client_secret
        self.api_version = api_version
        self.bucket = LeakyBucket(bucket_size, leak_rate)
        self.fulfillments: list[dict[str, Any]] = []
        self._specs: dict[int, seeding.OrderSpec] = {}
        self._raw: list[dict[str, Any]] = []
        self._fulfilled: dict[int, int] = {}  # line id -> quantity fulfilled
        self._order_fulfillments: dict[int, list[dict[str, Any]]] = {}
        #: refunds the shop made, per order id, as REST renders them (``add_refund``)
        self.refunds: dict[int, list[dict[str, Any]]] = {}
        self._clock = seeding.BASE_TIME
        self.hooks = ShopifyHooks(self, self.now)
        self.add_orders(orders)
        self.add("GET", _VERSION + r"/orders\.json", self._admin(self._list_orders))
        self.add("GET", _VERSION + r"/orders/(?P<id>[0-9]+)\.json", self._admin(self._get_order))
        self.add("GET", _VERSION + r"/orders/(?P<id>[0-9]+)/fulfillment_orders\.json",
                 self._admin(self._get_fulfillment_orders))
        self.add("POST", _VERSION + r"/fulfillments\.json", self._admin(self._create_fulfillment))
        shopify_tracking.register(self, _VERSION, self._admin, lambda: iso(self.now()))
        from sandbox.shopify_graphql import GraphQLEndpoint

        self.graphql = GraphQLEndpoint(self)
        self.add("POST", _VERSION + r"/graphql\.json", self.graphql.handle)
        self.hooks.register(_VERSION, self._admin)
        self.add("POST", r"/_sandbox/advance", self._control_advance)
        self.add("GET", r"/_sandbox/state", self._control_state)

    def served_version(self, asked: str | None) -> str:
        """Shopify serves a version no longer supported as its oldest supported one (here
        ``api_version``), and says which in ``X-Shopify-API-Version``."""
        if asked is None or (asked != "unstable" and asked < self.api_version):
            return self.api_version
        return asked

    # seeding and control -------------------------------------------------------------------

    @property
    def specs(self) -> list[seeding.OrderSpec]:
        """The seeded orders as they stand now."""
        with self.lock:
            return list(self._specs.values())

    def credentials(self) -> dict[str, str]:
        return {"access_token": self.access_token, "webhook_secret": self.client_secret}

    def add_orders(self, specs: list[seeding.OrderSpec]) -> None:
        with self.lock:
            for spec in specs:
                self._specs[spec.order_id] = spec
                self._clock = max(self._clock, spec.updated_at)
            created = [("orders/create", self._render_spec(s)) for s in specs] if self.hooks.outbox.hooks else []
        self.hooks.deliver(created)

    def add_raw(self, body: dict[str, Any]) -> None:
        """Serve ``body`` as-is among the orders (for quarantine tests)."""
        with self.lock:
            self._raw.append(body)

    def now(self) -> datetime:
        """Later than every time handed out so far: a change must sort after what was seen."""
        with self.lock:
            wall = datetime.now(UTC).replace(microsecond=0)
            self._clock = max(wall, self._clock + timedelta(seconds=1))
            return self._clock

    def advance(self, step: int, at: datetime | None = None) -> list[seeding.OrderSpec]:
        with self.lock:
            changed = seeding.advance(list(self._specs.values()), step, at or self.now())
            for spec in changed:
                self._clock = max(self._clock, spec.updated_at)
            events = [(topic, self._render_spec(spec)) for spec in changed if self.hooks.outbox.hooks
                      for topic in (("orders/cancelled", "orders/updated") if spec.cancelled else ("orders/updated",))]
        self.hooks.deliver(events)
        return changed

    def _control_advance(self, request: Request) -> Response:
        try:
            payload = request.json() or {}
            at = datetime.fromisoformat(payload["at"]) if payload.get("at") else None
            step = int(payload.get("step", 1))
        except (ValueError, TypeError, AttributeError, UnicodeDecodeError):
            return json_response({"errors": "expected {\"step\": n, \"at\": optional ISO 8601}"}, 400)
        changed = self.advance(step, at)
        return json_response({"changed": [spec.order_id for spec in changed]})

    def _control_state(self, request: Request) -> Response:
        with self.lock:
            return json_response({"orders": len(self._specs) + len(self._raw),
                                  "fulfillments": list(self.fulfillments)})

    # plumbing: auth, rate limit, faults ----------------------------------------------------

    def injected_fault(self, request: Request) -> Response | None:
        with self.lock:  # always draw both, so a seed replays the same story
            throttle = self.faults.rng.random() < self.faults.http_429_rate
            unavailable = self.faults.rng.random() < self.faults.http_5xx_rate
            throttle, unavailable = self.faults.force(throttle, unavailable)
        if throttle:
            return json_response({"errors": THROTTLED}, 429, {"Retry-After": "1.0"})
        if unavailable:
            return text_response("<html><body><h1>503 Service Unavailable</h1></body></html>", 503,
                                 "text/html")
        return None

    def _admin(self, handler: Callable[[Request], Response]) -> Callable[[Request], Response]:
        def guarded(request: Request) -> Response:
            if request.headers.get("x-shopify-access-token") != self.access_token:
                return json_response({"errors": INVALID_TOKEN}, 401)
            with self.lock:
                allowed, used, wait = self.bucket.take()
            limit = {"X-Shopify-Shop-Api-Call-Limit": f"{used}/{self.bucket.size}",
                     "X-Shopify-API-Version": self.served_version(request.params.get("version"))}
            if not allowed:
                return json_response({"errors": THROTTLED}, 429, {**limit, "Retry-After": f"{wait:.1f}"})
            try:
                with self.lock:
                    response = handler(request)
            except BadRequest as exc:
                response = json_response({"errors": exc.errors}, exc.status)
            response.headers.update(limit)
            return response

        return guarded

    # orders --------------------------------------------------------------------------------

    def _rows(self) -> list[Row]:
        rows = [Row(s.order_id, s.created_at, s.updated_at, s.cancelled,
                     "paid" if s.paid else "pending", spec=s) for s in self._specs.values()]
        for n, body in enumerate(self._raw):
            rid = body.get("id")
            rows.append(Row(
                rid if isinstance(rid, int) and not isinstance(rid, bool) else 9_900_000_000 + n,
                lenient_time(body.get("created_at"), self._clock),
                lenient_time(body.get("updated_at"), self._clock),
                bool(body.get("cancelled_at")),
                body.get("financial_status") if isinstance(body.get("financial_status"), str) else None,
                raw=body,
            ))
        return rows

    def _list_orders(self, request: Request) -> Response:
        return shopify_query.list_orders(request, self._rows(), self._render)

    def _get_order(self, request: Request) -> Response:
        order_id = int(request.params["id"])
        for row in self._rows():
            if row.id == order_id:
                return json_response({"order": only(self._render(row), request.arg("fields"))})
        return json_response({"errors": "Not Found"}, 404)

    # fulfillment ---------------------------------------------------------------------------

    def _fulfillment_orders(self, spec: seeding.OrderSpec) -> list[dict[str, Any]]:
        return render_fulfillment_orders(spec, self._fulfilled)

    def _get_fulfillment_orders(self, request: Request) -> Response:
        order_id = int(request.params["id"])
        spec = self._specs.get(order_id)
        if spec is not None:
            return json_response({"fulfillment_orders": self._fulfillment_orders(spec)})
        if any(r.id == order_id for r in self._rows()):  # a raw body: nothing to fulfil
            return json_response({"fulfillment_orders": []})
        return json_response({"errors": "Not Found"}, 404)

    def _create_fulfillment(self, request: Request) -> Response:
        return shopify_fulfilment.create_fulfillment(self, request)

    # rendering -----------------------------------------------------------------------------

    def _render(self, row: Row) -> dict[str, Any]:
        if row.raw is not None:
            return row.raw
        assert row.spec is not None
        return self._render_spec(row.spec)

    def _line(self, line: seeding.LineSpec, currency: str) -> dict[str, Any]:
        return render_line(line, currency, self._fulfilled)

    def _render_spec(self, spec: seeding.OrderSpec) -> dict[str, Any]:
        body = render_order(spec, self._fulfilled, self._order_fulfillments.get(spec.order_id, []))
        body["refunds"] = [dict(r) for r in self.refunds.get(spec.order_id, [])]
        return body

    def add_refund(self, order_id: int, amount: str, units: dict[str, int], note: str = "") -> int:
        """A refund of ``amount`` and of ``units`` (by SKU) of a seeded order, as the shop would
        make it (a successful refund transaction; one refund line per SKU); returns its id."""
        with self.lock:
            spec = self._specs[order_id]
            body = render_order(spec, self._fulfilled, [])
            items = {item["sku"]: item for item in body["line_items"]}
            refund_id = 880_000_000 + sum(len(v) for v in self.refunds.values()) + 1
            at = self.now().isoformat()
            self.refunds.setdefault(order_id, []).append({
                "id": refund_id, "order_id": order_id, "created_at": at, "note": note or None,
                "transactions": [{"id": refund_id + 1, "kind": "refund", "status": "success", "amount": amount,
                                  "currency": spec.currency}],
                "refund_line_items": [{"id": refund_id + 2 + n, "quantity": quantity, "line_item_id": items[sku]["id"],
                                       "line_item": {"id": items[sku]["id"], "sku": sku, "name": items[sku]["name"]}}
                                      for n, (sku, quantity) in enumerate(units.items())]})
            return refund_id
