"""A fake WooCommerce shop speaking REST wc/v3: orders, order notes, status updates.

Bodies follow the official samples (``payloads/woocommerce``): plain dates are the shop's local
time (CET here, so a client reading them instead of ``*_gmt`` is an hour off), money is text
except line ``price``, and listing is offset paging with ``X-WP-Total``/``X-WP-TotalPages``.
The clock is derived from the data, not the wall, so every run tells the same story.
"""

from __future__ import annotations

import math
import zlib
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sandbox import seeding, server
from sandbox.server import Request, Response, json_response
from sandbox.woocommerce_auth import Credentials
from sandbox.woocommerce_query import SITE_OFFSET, Query, Row, error, invalid
from sandbox.woocommerce_webhooks import WooHooks

API = "/wp-json/wc/v3"
STATUSES = ("pending", "processing", "on-hold", "completed", "cancelled", "refunded", "failed",
            "checkout-draft", "trash")
_LABELS = {"pending": "Pending payment", "on-hold": "On hold", "checkout-draft": "Draft"}
_HTML_503 = (
    "<!DOCTYPE html>\n<html><head><title>503 Service Unavailable</title></head><body>\n"
    "<h1>Service Unavailable</h1>\n<p>The server is temporarily unable to service your "
    "request due to maintenance downtime or capacity problems. Please try again later.</p>\n"
    "</body></html>\n"
)


def _json_object(request: Request) -> dict[str, Any] | Response:
    try:
        data = request.json() or {}
    except ValueError:
        data = None
    if isinstance(data, dict):
        return data
    return error("rest_invalid_json", "Invalid JSON body passed.", 400)


def _dates(prefix: str, at: datetime | None) -> dict[str, str | None]:
    """``prefix`` in the shop's local time and ``prefix_gmt`` in UTC, both without an offset."""
    if at is None:
        return {prefix: None, f"{prefix}_gmt": None}
    utc = at.astimezone(UTC).replace(tzinfo=None)
    return {prefix: (utc + SITE_OFFSET).isoformat(timespec="seconds"),
            f"{prefix}_gmt": utc.isoformat(timespec="seconds")}


def _money(amount: Decimal) -> str:
    return f"{amount:.2f}"


def _links(path: str, **more: str) -> dict[str, list[dict[str, str]]]:
    base = "https://shop.example" + API
    links = {"self": [{"href": base + path}],
             "collection": [{"href": base + path.rsplit("/", 1)[0]}]}
    links.update({name: [{"href": base + href}] for name, href in more.items()})
    return links


def product_id(sku: str) -> int:
    return 100 + zlib.crc32(sku.encode()) % 9000


class WooCommerceSandbox(server.App):
    name = "woocommerce"

    def __init__(
        self,
        orders: list[seeding.OrderSpec],
        *,
        consumer_key: str = "ck_sandbox",
        consumer_secret: str = "cs_sandbox",
        faults: server.Faults | None = None,
        https: bool = False,
    ) -> None:
        super().__init__(faults)
        self.consumer_key = consumer_key
        self.consumer_secret = consumer_secret
        #: whether to answer as a shop served over HTTPS (Basic auth); plain HTTP takes OAuth 1.0a only
        self.https = https
        self.auth = Credentials(consumer_key, consumer_secret)
        self.specs: list[seeding.OrderSpec] = []
        self._by_id: dict[int, seeding.OrderSpec] = {}
        self.raw: list[tuple[datetime, dict[str, Any]]] = []  # malformed bodies, served as is
        self.notes: dict[int, list[dict[str, Any]]] = {}  # order id -> notes, oldest first
        self.completed: list[int] = []  # order ids set to "completed" through the API
        self._status: dict[int, str] = {}  # statuses set through the API
        self._paid_at: dict[int, datetime] = {}
        self._completed_at: dict[int, datetime] = {}
        self._clock = seeding.BASE_TIME
        self._next_note = 1001
        self.refunds: dict[int, list[dict[str, Any]]] = {}  # order id -> refunds, as the refunds route answers
        self.virtual_skus: set[str] = set()  # products sold as virtual (no shipping)
        self.hooks = WooHooks(self)
        self.add_orders(orders)

        order, notes = API + r"/orders/(?P<id>\d+)", API + r"/orders/(?P<id>\d+)/notes"
        listing = ("cannot_view", "Sorry, you cannot list resources.")
        self.add("GET", API + r"/orders", self._guard(self._list, *listing))
        self.add("GET", order, self._guard(self._get, "cannot_view",
                                           "Sorry, you cannot view this resource."))
        self.add("PUT", order, self._guard(self.hooks.after(self._update, "order.updated"), "cannot_edit",
                                           "Sorry, you are not allowed to edit this resource."))
        self.add("GET", notes, self._guard(self._list_notes, *listing))
        self.add("GET", API + r"/products", self._guard(self._products, *listing))
        self.add("GET", order + "/refunds", self._guard(
            lambda r: json_response(self.refunds.get(int(r.params["id"]), [])), *listing))
        self.add("POST", notes, self._guard(self._create_note, "cannot_create",
                                            "Sorry, you are not allowed to create resources."))
        self.hooks.register(self._guard)
        for method in ("GET", "POST", "PUT", "DELETE", "PATCH"):
            self.add(method, r"/wp-json/.*", lambda r: error(
                "rest_no_route", "No route was found matching the URL and request method.", 404))
        self.add("POST", r"/_sandbox/advance", self._advance_route)
        self.add("GET", r"/_sandbox/state", lambda r: json_response(self.state()))

    # Control ----------------------------------------------------------------------------

    def credentials(self) -> dict[str, str]:
        return {"consumer_key": self.consumer_key, "consumer_secret": self.consumer_secret}

    def add_orders(self, specs: list[seeding.OrderSpec]) -> None:
        with self.lock:
            for spec in specs:
                self.specs.append(spec)
                self._by_id[spec.order_id] = spec
                if spec.paid:
                    self._paid_at[spec.order_id] = spec.updated_at
                self._clock = max(self._clock, spec.updated_at)
        self.hooks.changed("order.created", [spec.order_id for spec in specs])

    def add_raw(self, body: dict[str, Any]) -> None:
        """Serve ``body`` as it is among the orders, modified "now" (for quarantine tests)."""
        with self.lock:
            self.raw.append((self._tick(), body))

    def advance(self, step: int, at: datetime | None = None) -> list[int]:
        """Apply the seeded changes due at ``step``; returns the ids of the orders changed."""
        with self.lock:
            when = self._tick(60) if at is None else at if at.tzinfo else at.replace(tzinfo=UTC)
            changed = seeding.advance(self.specs, step, when)
            for spec in changed:
                if spec.cancelled:
                    self._status.pop(spec.order_id, None)  # a cancellation outranks our status
                if spec.paid and spec.order_id not in self._paid_at:
                    self._paid_at[spec.order_id] = spec.updated_at
                self._clock = max(self._clock, spec.updated_at)
        self.hooks.changed("order.updated", [spec.order_id for spec in changed])
        return [spec.order_id for spec in changed]

    def refund(self, order_id: int, line_id: int, quantity: int) -> None:
        """Refund ``quantity`` units of one line, as the shop's admin does: a refund whose line
        items carry a negative quantity and the order line's id; the order itself is unchanged
        but for its ``refunds`` summary and its modification date."""
        with self.lock:
            spec = self._by_id[order_id]
            line = next(ln for ln in spec.lines if ln.line_id == line_id)
            amount = _money(line.unit_price * quantity)
            refund_id = 90_000 + sum(len(v) for v in self.refunds.values())
            self.refunds.setdefault(order_id, []).append({
                "id": refund_id, "date_created_gmt": self._tick().replace(tzinfo=None).isoformat(),
                "amount": amount, "reason": "", "refunded_by": 1, "refunded_payment": False, "meta_data": [],
                "line_items": [{"id": refund_id + 1, "name": line.title, "quantity": -quantity, "sku": line.sku,
                                "subtotal": f"-{amount}", "total": f"-{amount}", "price": -float(line.unit_price),
                                "meta_data": [{"id": refund_id + 2, "key": "_refunded_item_id",
                                               "value": str(line_id)}]}],
            })
            spec.updated_at = self._clock
        self.hooks.changed("order.updated", [order_id])

    def state(self) -> dict[str, Any]:
        with self.lock:
            return {
                "orders": len(self.specs) + len(self.raw),
                "notes": {str(k): [n["note"] for n in v] for k, v in self.notes.items() if v},
                "completed": list(self.completed),
            }

    def _advance_route(self, request: Request) -> Response:
        try:
            data = request.json() or {}
            step = int(data["step"])
            at = datetime.fromisoformat(data["at"]) if data.get("at") else None
        except (ValueError, KeyError, TypeError):
            return json_response({"error": 'expected {"step": <int>, "at": <iso date>?}'}, 400)
        return json_response({"changed": self.advance(step, at)})

    def _tick(self, seconds: int = 1) -> datetime:
        """The shop's "now": later than every date it has served, so changes sort last."""
        self._clock += timedelta(seconds=seconds)
        return self._clock

    # Faults and auth --------------------------------------------------------------------

    def injected_fault(self, request: Request) -> Response | None:
        with self.lock:
            throttle = self.faults.rng.random() < self.faults.http_429_rate
            down = self.faults.rng.random() < self.faults.http_5xx_rate
            throttle, down = self.faults.force(throttle, down)
        if throttle:
            # WooCommerce has no limit of its own: this is what hosts and WAF plugins answer
            response = error("woocommerce_rest_too_many_requests", "Too many requests.", 429)
            response.headers["Retry-After"] = "1"
            return response
        if down:
            return server.text_response(_HTML_503, 503, "text/html; charset=UTF-8")
        return None

    def _authorized(self, request: Request) -> bool:
        return self.auth.authorized(request, https=self.https)

    def _guard(self, handler: server.Handler, what: str, message: str) -> server.Handler:
        """WooCommerce answers 401 with a per-route ``woocommerce_rest_cannot_*`` code."""
        def guarded(request: Request) -> Response:
            if self._authorized(request):
                return handler(request)
            return error(f"woocommerce_rest_{what}", message, 401)
        return guarded

    # Rendering --------------------------------------------------------------------------

    def _status_of(self, spec: seeding.OrderSpec) -> str:
        if spec.order_id in self._status:
            return self._status[spec.order_id]
        if spec.cancelled:
            return "cancelled"
        return "processing" if spec.paid else "pending"

    def render(self, spec: seeding.OrderSpec) -> dict[str, Any]:
        status = self._status_of(spec)
        person = {"first_name": spec.first_name, "last_name": spec.last_name,
                  "company": spec.company, "address_1": spec.address1,
                  "address_2": spec.address2, "city": spec.city, "state": spec.region,
                  "postcode": spec.postcode, "country": spec.country_code}
        subtotal = sum((ln.unit_price * ln.quantity for ln in spec.lines), Decimal("0"))
        links = {"customer": f"/customers/{spec.customer_id}"} if spec.customer_id else {}
        return {
            "id": spec.order_id, "parent_id": 0, "number": str(spec.number),
            "order_key": f"wc_order_{zlib.crc32(str(spec.order_id).encode()):08x}",
            "created_via": "checkout", "version": "9.4.2", "status": status,
            "currency": spec.currency, **_dates("date_created", spec.created_at),
            **_dates("date_modified", spec.updated_at), "discount_total": "0.00",
            "discount_tax": "0.00", "shipping_total": _money(spec.total - subtotal),
            "shipping_tax": "0.00", "cart_tax": "0.00", "total": _money(spec.total),
            "total_tax": "0.00", "prices_include_tax": True, "customer_id": spec.customer_id or 0,
            "customer_ip_address": "203.0.113.7", "customer_user_agent": "Mozilla/5.0",
            "customer_note": "", "billing": {**person, "email": spec.email, "phone": spec.phone},
            "shipping": {**person, "phone": ""},  # checkouts seldom ask a shipping phone
            "payment_method": "stripe", "payment_method_title": "Credit card",
            "transaction_id": f"ch_{spec.order_id}" if spec.order_id in self._paid_at else "",
            **_dates("date_paid", self._paid_at.get(spec.order_id)),
            **_dates("date_completed", self._completed_at.get(spec.order_id)),
            "cart_hash": "", "meta_data": [],
            "line_items": [{
                "id": ln.line_id, "name": ln.title,
                "product_id": product_id(ln.sku), "variation_id": 0,
                "quantity": ln.quantity, "tax_class": "",
                "subtotal": _money(ln.unit_price * ln.quantity), "subtotal_tax": "0.00",
                "total": _money(ln.unit_price * ln.quantity), "total_tax": "0.00", "taxes": [],
                "meta_data": [], "sku": ln.sku, "price": float(ln.unit_price),
            } for ln in spec.lines],
            "tax_lines": [],
            "shipping_lines": [{"id": spec.order_id * 10 + 9, "method_title": "Flat rate",
                                "method_id": "flat_rate", "total": _money(spec.total - subtotal),
                                "total_tax": "0.00", "taxes": [], "meta_data": []}],
            "fee_lines": [], "coupon_lines": [],
            "refunds": [{"id": r["id"], "reason": r["reason"], "total": f"-{r['amount']}"}
                        for r in self.refunds.get(spec.order_id, [])],
            "_links": _links(f"/orders/{spec.order_id}", **links),
        }

    def _rows(self) -> list[Row]:
        """Every order, raw ones included; rendered later, only for the page served (bulk runs
        page through tens of thousands of orders)."""
        rows: list[Row] = [(s.updated_at, s.created_at, s.order_id, self._status_of(s), s)
                           for s in self.specs]
        for at, body in self.raw:
            raw_id = body.get("id")
            raw_status = body.get("status")
            rows.append((at, at, raw_id if isinstance(raw_id, int) else 0,
                         raw_status if isinstance(raw_status, str) else "", body))
        return rows

    def _body(self, row: Row) -> dict[str, Any]:
        source = row[4]
        return source if isinstance(source, dict) else self.render(source)

    def _find(self, order_id: int) -> seeding.OrderSpec | None:
        return self._by_id.get(order_id)

    # Routes -----------------------------------------------------------------------------

    def _products(self, request: Request) -> Response:
        """The shop's products (``include`` filter only), with the ``virtual`` flag."""
        wanted = {int(i) for i in (request.arg("include") or "").split(",") if i.strip().isdigit()}
        skus = {ln.sku for spec in self.specs for ln in spec.lines}
        body = [{"id": product_id(sku), "sku": sku, "type": "simple", "virtual": sku in self.virtual_skus,
                 "downloadable": False} for sku in sorted(skus) if not wanted or product_id(sku) in wanted]
        return json_response(body, headers={"X-WP-Total": str(len(body)), "X-WP-TotalPages": "1"})

    def _list(self, request: Request) -> Response:
        query = Query.read(request)
        if isinstance(query, Response):
            return query
        with self.lock:
            rows = query.select(self._rows())
            total = len(rows)
            pages = math.ceil(total / query.per_page)
            start = (query.page - 1) * query.per_page
            body = [self._body(r) for r in rows[start:start + query.per_page]]
        headers = {"X-WP-Total": str(total), "X-WP-TotalPages": str(pages)}
        if query.page < pages:
            nxt = f"https://shop.example{API}/orders?page={query.page + 1}"
            headers["Link"] = f'<{nxt}>; rel="next"'
        return json_response(body, headers=headers)

    def _get(self, request: Request) -> Response:
        order_id = int(request.params["id"])
        with self.lock:
            spec = self._find(order_id)
            if spec is not None:
                return json_response(self.render(spec))
            for _, body in self.raw:
                if body.get("id") == order_id:
                    return json_response(body)
        return error("woocommerce_rest_shop_order_invalid_id", "Invalid ID.", 404)

    def _update(self, request: Request) -> Response:
        data = _json_object(request)
        if isinstance(data, Response):
            return data
        status = data.get("status")
        if status is not None and status not in STATUSES:
            return invalid("status", f"status is not one of {', '.join(STATUSES)}.")
        with self.lock:
            spec = self._find(int(request.params["id"]))
            if spec is None:
                return error("woocommerce_rest_shop_order_invalid_id", "Invalid ID.", 400)
            before = self._status_of(spec)
            spec.updated_at = self._tick()
            if status is not None and status != before:
                self._status[spec.order_id] = status
                labels = [_LABELS.get(s, s.capitalize()) for s in (before, status)]
                self._add_note(spec.order_id, "Order status changed from {} to {}.".format(
                    *labels), customer_note=False)
                if status == "completed":
                    self._completed_at[spec.order_id] = spec.updated_at
                    if spec.order_id not in self.completed:
                        self.completed.append(spec.order_id)
            return json_response(self.render(spec))

    def _list_notes(self, request: Request) -> Response:
        order_id = int(request.params["id"])
        with self.lock:
            if self._find(order_id) is None:
                return error("woocommerce_rest_order_invalid_id", "Invalid order ID.", 404)
            kind = request.arg("type", "any")
            notes = [n for n in self.notes.get(order_id, []) if kind == "any"
                     or (kind == "customer") == n["customer_note"]]
            return json_response(list(reversed(notes)))  # newest first, as WooCommerce lists them

    def _create_note(self, request: Request) -> Response:
        data = _json_object(request)
        if isinstance(data, Response):
            return data
        note = data.get("note")
        if not isinstance(note, str) or not note:
            return error("rest_missing_callback_param", "Missing parameter(s): note", 400,
                          params=["note"])
        order_id = int(request.params["id"])
        with self.lock:
            if self._find(order_id) is None:
                return error("woocommerce_rest_order_invalid_id", "Invalid order ID.", 404)
            created = self._add_note(order_id, note, customer_note=bool(data.get("customer_note")))
        return json_response(created, 201)

    def _add_note(self, order_id: int, text: str, *, customer_note: bool) -> dict[str, Any]:
        at = self._tick()
        note = {"id": self._next_note, "author": "system", **_dates("date_created", at),
                "note": text, "customer_note": customer_note,
                "_links": _links(f"/orders/{order_id}/notes/{self._next_note}",
                                 up=f"/orders/{order_id}")}
        self._next_note += 1
        self.notes.setdefault(order_id, []).append(note)
        return note
