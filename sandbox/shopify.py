"""A fake Shopify shop speaking the REST Admin wire format (orders, fulfillment orders,
fulfillments), with Shopify's paging rules, leaky-bucket rate limit and error bodies.

It is strict where Shopify is strict (filters next to ``page_info``, ``limit`` > 250, fulfilling
closed fulfillment orders) so a connector that passes here does not fail on the real service.
The shop has one location per supplier warehouse, so orders with lines from two warehouses have
two fulfillment orders, as a multi-location shop would.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

from sandbox import catalogue, seeding, shopify_tracking
from sandbox.server import App, Faults, Request, Response, json_response, text_response

SHOP_TZ = timezone(timedelta(hours=1))  # the shop's time zone: Shopify renders times in it
SHOP_ID = 548_380_009
LOCATIONS = {1: 64_000_001, 3: 64_000_003}  # supplier warehouse -> shop location
FO_BASE = 7_000_000_000  # fulfillment order ids: FO_BASE + order_id * 10 + warehouse
FOLI_BASE = 8_000_000_000  # fulfillment order line item ids: FOLI_BASE + line id
INVALID_TOKEN = "[API] Invalid API key or access token (unrecognized login or wrong password)"
THROTTLED = "Exceeded 2 calls per second for api client. Reduce request rates to resume uninterrupted service."
_VERSION = r"/admin/api/(?P<version>[0-9]{4}-[0-9]{2}|unstable)"
_FILTERS = ("status", "updated_at_min", "updated_at_max", "created_at_min", "created_at_max",
            "since_id", "ids", "order", "financial_status")
# fields every rendered body carries with the same value in this shop
_LINE_STATIC: dict[str, Any] = {
    "fulfillment_service": "manual", "gift_card": False, "grams": 500, "product_exists": True, "properties": [],
    "requires_shipping": True, "taxable": True, "total_discount": "0.00", "variant_inventory_management": "shopify",
    "variant_title": None, "vendor": "OrderHub Sandbox", "tax_lines": [], "discount_allocations": []}
_ORDER_STATIC: dict[str, Any] = {
    "phone": None, "closed_at": None, "confirmed": True, "total_tax": "0.00", "total_discounts": "0.00",
    "taxes_included": True, "source_name": "web", "gateway": "shopify_payments", "tags": "", "note": None,
    "payment_gateway_names": ["shopify_payments"], "buyer_accepts_marketing": False, "customer_locale": "es",
    "discount_codes": [], "note_attributes": [], "tax_lines": [], "refunds": []}
_CUSTOMER_STATIC: dict[str, Any] = {
    "accepts_marketing": False, "orders_count": 1, "state": "disabled", "note": None, "verified_email": True,
    "multipass_identifier": None, "tax_exempt": False, "tags": ""}
_FO_STATIC: dict[str, Any] = {
    "shop_id": SHOP_ID, "request_status": "unsubmitted", "destination": None, "fulfill_at": None,
    "fulfill_by": None, "international_duties": None, "fulfillment_holds": [], "merchant_requests": []}
_ACTIONS = ["create_fulfillment", "hold", "move"]
_COUNTRIES = {"ES": "Spain", "PT": "Portugal", "FR": "France", "DE": "Germany", "IT": "Italy",
              "NL": "Netherlands", "BE": "Belgium"}


class _BadRequest(Exception):
    def __init__(self, errors: Any, status: int = 400) -> None:
        super().__init__(str(errors))
        self.errors = errors
        self.status = status


def _iso(moment: datetime) -> str:
    return moment.astimezone(SHOP_TZ).isoformat(timespec="seconds")


def _money(amount: Decimal) -> str:
    return f"{amount:.2f}"


def _money_set(amount: str, currency: str) -> dict[str, Any]:
    return {"shop_money": {"amount": amount, "currency_code": currency},
            "presentment_money": {"amount": amount, "currency_code": currency}}


def _stable_id(text: str, base: int) -> int:
    return base + zlib.crc32(text.encode()) % 1_000_000_000


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


@dataclass
class _Row:
    """What listing needs of an order before rendering it (rendering is the expensive part)."""

    id: int
    created_at: datetime
    updated_at: datetime
    cancelled: bool
    financial_status: str | None
    spec: seeding.OrderSpec | None = None
    raw: dict[str, Any] | None = None


class ShopifySandbox(App):
    name = "shopify"

    def __init__(self, orders: list[seeding.OrderSpec], *, access_token: str = "shpat_sandbox",
                 api_version: str = "2024-10", faults: Faults | None = None,
                 bucket_size: int = 40, leak_rate: float = 2.0) -> None:
        super().__init__(faults)
        self.access_token = access_token
        self.api_version = api_version
        self.bucket = LeakyBucket(bucket_size, leak_rate)
        self.fulfillments: list[dict[str, Any]] = []
        self._specs: dict[int, seeding.OrderSpec] = {}
        self._raw: list[dict[str, Any]] = []
        self._fulfilled: dict[int, int] = {}  # line id -> quantity fulfilled
        self._order_fulfillments: dict[int, list[dict[str, Any]]] = {}
        self._clock = seeding.BASE_TIME
        self.add_orders(orders)
        self.add("GET", _VERSION + r"/orders\.json", self._admin(self._list_orders))
        self.add("GET", _VERSION + r"/orders/(?P<id>[0-9]+)\.json", self._admin(self._get_order))
        self.add("GET", _VERSION + r"/orders/(?P<id>[0-9]+)/fulfillment_orders\.json",
                 self._admin(self._get_fulfillment_orders))
        self.add("POST", _VERSION + r"/fulfillments\.json", self._admin(self._create_fulfillment))
        shopify_tracking.register(self, _VERSION, self._admin, lambda: _iso(self.now()))
        from sandbox.shopify_graphql import GraphQLEndpoint

        self.graphql = GraphQLEndpoint(self)
        self.add("POST", _VERSION + r"/graphql\.json", self.graphql.handle)
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
        return {"access_token": self.access_token}

    def add_orders(self, specs: list[seeding.OrderSpec]) -> None:
        with self.lock:
            for spec in specs:
                self._specs[spec.order_id] = spec
                self._clock = max(self._clock, spec.updated_at)

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
            except _BadRequest as exc:
                response = json_response({"errors": exc.errors}, exc.status)
            response.headers.update(limit)
            return response

        return guarded

    # orders --------------------------------------------------------------------------------

    def _rows(self) -> list[_Row]:
        rows = [_Row(s.order_id, s.created_at, s.updated_at, s.cancelled,
                     "paid" if s.paid else "pending", spec=s) for s in self._specs.values()]
        for n, body in enumerate(self._raw):
            rid = body.get("id")
            rows.append(_Row(
                rid if isinstance(rid, int) and not isinstance(rid, bool) else 9_900_000_000 + n,
                _lenient_time(body.get("created_at"), self._clock),
                _lenient_time(body.get("updated_at"), self._clock),
                bool(body.get("cancelled_at")),
                body.get("financial_status") if isinstance(body.get("financial_status"), str) else None,
                raw=body,
            ))
        return rows

    def _list_orders(self, request: Request) -> Response:
        limit = _limit(request.arg("limit", "50"))
        token = request.arg("page_info")
        if token is not None:
            extra = sorted(k for k in request.query if k not in ("limit", "page_info", "fields"))
            if extra:
                raise _BadRequest({"page_info": f"cannot be combined with {', '.join(extra)}"})
            cursor = _decode(token)
            query = cursor["query"]
        else:
            cursor = None
            query = {k: request.arg(k) for k in _FILTERS if request.arg(k) is not None}
        field, descending = _ordering(query.get("order"))
        rows = sorted((r for r in self._rows() if _matches(r, query)),
                      key=lambda r: (_sort_value(r, field), r.id), reverse=descending)
        start, end = 0, min(limit, len(rows))
        if cursor is not None:
            mark = _mark(cursor, field)
            keys = [_key(r, field) for r in rows]
            if cursor["direction"] == "next":  # keyset paging: stable while rows change
                start = sum(1 for k in keys if not _precedes(mark, k, descending))
                end = min(start + limit, len(rows))
            else:
                end = sum(1 for k in keys if _precedes(k, mark, descending))
                start = max(0, end - limit)
        page = rows[start:end]
        links = []
        base = f"http://{request.headers.get('host', 'localhost')}{request.path}"
        if page and end < len(rows):
            links.append(f'<{base}?limit={limit}&page_info={_encode("next", page[-1], field, query)}>; '
                         'rel="next"')
        if page and start > 0:
            links.append(f'<{base}?limit={limit}&page_info={_encode("prev", page[0], field, query)}>; '
                         'rel="previous"')
        fields = request.arg("fields")
        orders = [_only(self._render(r), fields) for r in page]
        return json_response({"orders": orders}, headers={"Link": ", ".join(links)} if links else None)

    def _get_order(self, request: Request) -> Response:
        order_id = int(request.params["id"])
        for row in self._rows():
            if row.id == order_id:
                return json_response({"order": _only(self._render(row), request.arg("fields"))})
        return json_response({"errors": "Not Found"}, 404)

    # fulfillment ---------------------------------------------------------------------------

    def _fulfillment_orders(self, spec: seeding.OrderSpec) -> list[dict[str, Any]]:
        by_warehouse: dict[int, list[seeding.LineSpec]] = {}
        for line in spec.lines:
            product = catalogue.BY_SKU.get(line.sku)
            by_warehouse.setdefault(product.warehouse if product else 1, []).append(line)
        result = []
        for warehouse, lines in sorted(by_warehouse.items()):
            fo_id = FO_BASE + spec.order_id * 10 + warehouse
            items = [{"id": FOLI_BASE + ln.line_id, "shop_id": SHOP_ID, "fulfillment_order_id": fo_id,
                      "quantity": ln.quantity, "line_item_id": ln.line_id,
                      "inventory_item_id": _stable_id(ln.sku, 45_000_000_000),
                      "fulfillable_quantity": max(0, ln.quantity - self._fulfilled.get(ln.line_id, 0)),
                      "variant_id": _stable_id(ln.sku, 40_000_000_000)} for ln in lines]
            done = any(self._fulfilled.get(ln.line_id) for ln in lines)
            if spec.cancelled:
                status = "cancelled"
            elif all(item["fulfillable_quantity"] == 0 for item in items):
                status = "closed"
            else:
                status = "in_progress" if done else "open"
            location = LOCATIONS.get(warehouse, LOCATIONS[1])
            result.append({
                "id": fo_id, "order_id": spec.order_id, "assigned_location_id": location, "status": status,
                "supported_actions": _ACTIONS if status in ("open", "in_progress") else [],
                "line_items": items, "delivery_method": {"id": fo_id, "method_type": "shipping"},
                "created_at": _iso(spec.created_at), "updated_at": _iso(spec.updated_at),
                "assigned_location": {"location_id": location, "name": f"Warehouse {warehouse}", "country_code": "ES"},
                **_FO_STATIC,
            })
        return result

    def _get_fulfillment_orders(self, request: Request) -> Response:
        order_id = int(request.params["id"])
        spec = self._specs.get(order_id)
        if spec is not None:
            return json_response({"fulfillment_orders": self._fulfillment_orders(spec)})
        if any(r.id == order_id for r in self._rows()):  # a raw body: nothing to fulfil
            return json_response({"fulfillment_orders": []})
        return json_response({"errors": "Not Found"}, 404)

    def _create_fulfillment(self, request: Request) -> Response:
        missing = {"fulfillment": "Required parameter missing or invalid"}
        try:
            payload = request.json()
        except (ValueError, UnicodeDecodeError):
            raise _BadRequest(missing) from None
        body = payload.get("fulfillment") if isinstance(payload, dict) else None
        groups = body.get("line_items_by_fulfillment_order") if isinstance(body, dict) else None
        if not isinstance(body, dict) or not isinstance(groups, list) or not groups:
            raise _BadRequest(missing)
        tracking = body.get("tracking_info") or {}
        notify = body.get("notify_customer", False)
        if not isinstance(tracking, dict) or not isinstance(notify, bool) or any(
                v is not None and not isinstance(v, str | int) for v in tracking.values()):
            raise _BadRequest(["tracking_info and notify_customer are invalid"], 422)
        take: dict[int, int] = {}  # line id -> quantity
        spec, location = None, None
        for group in groups:
            fo_id = group.get("fulfillment_order_id") if isinstance(group, dict) else None
            fo, owner = self._find_fo(fo_id)
            if fo is None or owner is None:
                raise _BadRequest([f"Fulfillment order {fo_id} does not exist."], 422)
            if (spec and owner is not spec) or (location and fo["assigned_location_id"] != location):
                raise _BadRequest(["All fulfillment orders must belong to the same location."], 422)
            spec, location = owner, fo["assigned_location_id"]
            if fo["status"] not in ("open", "in_progress"):
                raise _BadRequest([f"Fulfillment order {fo_id} has an unfulfillable status= "
                                   f"{fo['status']}."], 422)
            for line_id, quantity in _requested(group, fo).items():
                take[line_id] = take.get(line_id, 0) + quantity
        assert spec is not None
        remaining = {ln.line_id: ln.quantity - self._fulfilled.get(ln.line_id, 0) for ln in spec.lines}
        if not take or any(q <= 0 or q > remaining.get(line, 0) for line, q in take.items()):
            raise _BadRequest(["Invalid fulfillment order line item quantity requested."], 422)
        for line_id, quantity in take.items():
            self._fulfilled[line_id] = self._fulfilled.get(line_id, 0) + quantity
        at = self.now()
        spec.updated_at = at  # Shopify touches the order when it is fulfilled
        own = self._order_fulfillments.setdefault(spec.order_id, [])
        number = str(tracking["number"]) if tracking.get("number") is not None else None
        lines = {ln.line_id: ln for ln in spec.lines}
        fulfillment_id = 9_100_000_000 + len(self.fulfillments) + 1
        record: dict[str, Any] = {
            "id": fulfillment_id, "order_id": spec.order_id,
            "status": "success", "created_at": _iso(at), "updated_at": _iso(at), "service": "manual",
            "location_id": location, "name": f"#{spec.number}.{len(own) + 1}",
            "tracking_company": tracking.get("company"), "tracking_number": number,
            "tracking_numbers": [number] if number else [], "tracking_url": tracking.get("url"),
            "tracking_urls": [tracking["url"]] if tracking.get("url") else [],
            "shipment_status": None, "notify_customer": notify, "origin_address": None, "receipt": {},
            "line_items": [{**self._line(lines[lid], spec.currency), "quantity": q} for lid, q in take.items()],
            "admin_graphql_api_id": f"gid://shopify/Fulfillment/{fulfillment_id}",
        }
        own.append(record)
        self.fulfillments.append(record)
        return json_response({"fulfillment": record}, 201)

    def _find_fo(self, fo_id: Any) -> tuple[dict[str, Any] | None, seeding.OrderSpec | None]:
        if not isinstance(fo_id, int) or isinstance(fo_id, bool) or fo_id <= FO_BASE:
            return None, None
        spec = self._specs.get((fo_id - FO_BASE) // 10)
        if spec is None:
            return None, None
        found = [fo for fo in self._fulfillment_orders(spec) if fo["id"] == fo_id]
        return (found[0], spec) if found else (None, None)

    # rendering -----------------------------------------------------------------------------

    def _render(self, row: _Row) -> dict[str, Any]:
        if row.raw is not None:
            return row.raw
        assert row.spec is not None
        return self._render_spec(row.spec)

    def _line(self, line: seeding.LineSpec, currency: str) -> dict[str, Any]:
        done = self._fulfilled.get(line.line_id, 0)
        price = _money(line.unit_price)
        return {
            "id": line.line_id, "admin_graphql_api_id": f"gid://shopify/LineItem/{line.line_id}",
            "fulfillable_quantity": max(0, line.quantity - done),
            "fulfillment_status": None if not done else ("fulfilled" if done >= line.quantity else "partial"),
            "name": line.title, "title": line.title, "price": price, "price_set": _money_set(price, currency),
            "product_id": _stable_id(line.sku, 30_000_000_000), "quantity": line.quantity,
            "current_quantity": line.quantity, "sku": line.sku,
            "variant_id": _stable_id(line.sku, 40_000_000_000), **_LINE_STATIC,
        }

    def _render_spec(self, spec: seeding.OrderSpec) -> dict[str, Any]:
        address = {
            "first_name": spec.first_name or None, "address1": spec.address1, "phone": spec.phone or None,
            "city": spec.city, "zip": spec.postcode, "province": spec.region,
            "country": _COUNTRIES.get(spec.country_code, spec.country_code),
            "last_name": spec.last_name or None, "address2": spec.address2 or None,
            "company": spec.company or None, "latitude": None, "longitude": None,
            "name": f"{spec.first_name} {spec.last_name}".strip(),
            "country_code": spec.country_code, "province_code": spec.region,
        }
        lines = [self._line(ln, spec.currency) for ln in spec.lines]
        subtotal = sum((ln.unit_price * ln.quantity for ln in spec.lines), Decimal("0"))
        shipped = sum(self._fulfilled.get(ln.line_id, 0) for ln in spec.lines)
        wanted = sum(ln.quantity for ln in spec.lines)
        total = _money(spec.total)
        customer = None
        if spec.customer_id is not None:
            customer = {
                "id": spec.customer_id, "email": spec.email, "created_at": _iso(spec.created_at),
                "updated_at": _iso(spec.created_at), "first_name": spec.first_name or None,
                "last_name": spec.last_name or None, "total_spent": total, "last_order_id": spec.order_id,
                "phone": spec.phone or None, "last_order_name": f"#{spec.number}", "currency": spec.currency,
                **_CUSTOMER_STATIC,
                "admin_graphql_api_id": f"gid://shopify/Customer/{spec.customer_id}",
                "default_address": {**address, "id": spec.customer_id * 7, "customer_id": spec.customer_id,
                                    "country_name": address["country"], "default": True},
            }
        return {
            "id": spec.order_id, "admin_graphql_api_id": f"gid://shopify/Order/{spec.order_id}",
            "name": f"#{spec.number}", "number": spec.number - 1000, "order_number": spec.number,
            "email": spec.email, "contact_email": spec.email, "created_at": _iso(spec.created_at),
            "updated_at": _iso(spec.updated_at), "processed_at": _iso(spec.created_at),
            "cancelled_at": _iso(spec.updated_at) if spec.cancelled else None,
            "cancel_reason": "customer" if spec.cancelled else None,
            "financial_status": "paid" if spec.paid else "pending",
            "fulfillment_status": None if not shipped else ("fulfilled" if shipped >= wanted else "partial"),
            "test": spec.test, "currency": spec.currency, "presentment_currency": spec.currency,
            "total_price": total, "total_price_set": _money_set(total, spec.currency),
            "subtotal_price": _money(subtotal), "total_line_items_price": _money(subtotal),
            "total_weight": 500 * wanted, "line_items": lines, **_ORDER_STATIC,
            "shipping_lines": [{"id": spec.order_id * 3, "code": "Standard", "price": "4.95",
                                "title": "Standard shipping", "source": "shopify"}],
            "shipping_address": address, "billing_address": dict(address), "customer": customer,
            "fulfillments": list(self._order_fulfillments.get(spec.order_id, [])),
        }


# query helpers ---------------------------------------------------------------------------------


def _limit(raw: str | None) -> int:
    limit = _integer(raw or "50", "limit")
    if not 1 <= limit <= 250:
        raise _BadRequest({"limit": "must be between 1 and 250"})
    return limit


def _integer(raw: str, name: str) -> int:
    try:
        return int(raw)
    except ValueError:
        raise _BadRequest({name: "expected an integer"}) from None


def _ordering(raw: str | None) -> tuple[str, bool]:
    field, _, direction = (raw or "created_at desc").strip().partition(" ")
    if field not in ("updated_at", "created_at", "id") or direction.strip() not in ("", "asc", "desc"):
        raise _BadRequest({"order": "is invalid"})
    return field, direction.strip() == "desc" or raw is None


def _parse_time(raw: str, name: str) -> datetime:
    try:
        moment = datetime.fromisoformat(raw.replace(" ", "+") if "T" in raw else raw)
    except ValueError:
        raise _BadRequest({name: "is not a valid date"}) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=SHOP_TZ)


def _lenient_time(raw: Any, default: datetime) -> datetime:
    try:
        return _parse_time(raw, "") if isinstance(raw, str) else default
    except _BadRequest:
        return default


def _sort_value(row: _Row, field: str) -> Any:
    return row.id if field == "id" else getattr(row, field)


def _key(row: _Row, field: str) -> tuple[Any, int]:
    return _sort_value(row, field), row.id


def _mark(cursor: dict[str, Any], field: str) -> tuple[Any, int]:
    value = cursor["last_value"]
    if isinstance(value, int) == (field == "id"):
        return (value if field == "id" else _parse_time(value, "page_info")), cursor["last_id"]
    raise _BadRequest({"page_info": "Invalid value."})


def _precedes(a: tuple[Any, int], b: tuple[Any, int], descending: bool) -> bool:
    return a > b if descending else a < b


def _matches(row: _Row, query: dict[str, str]) -> bool:
    status = query.get("status", "open")
    if status not in ("open", "closed", "cancelled", "any"):
        raise _BadRequest({"status": "is invalid"})
    if (status == "open" and row.cancelled) or (status == "cancelled" and not row.cancelled) \
            or status == "closed":
        return False
    for name, attr, below in (("updated_at_min", "updated_at", False), ("updated_at_max", "updated_at", True),
                              ("created_at_min", "created_at", False), ("created_at_max", "created_at", True)):
        if name in query:
            bound, value = _parse_time(query[name], name), getattr(row, attr)
            if (value > bound) if below else (value < bound):
                return False
    if "since_id" in query and row.id <= _integer(query["since_id"], "since_id"):
        return False
    if "ids" in query and str(row.id) not in query["ids"].split(","):
        return False
    paid = query.get("financial_status", "any")
    return paid == "any" or row.financial_status == paid


def _encode(direction: str, row: _Row, field: str, query: dict[str, str]) -> str:
    value = _sort_value(row, field)
    last = value if isinstance(value, int) else value.isoformat()
    data = {"direction": direction, "last_id": row.id, "last_value": last, "query": query}
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


def _decode(token: str) -> dict[str, Any]:
    try:
        data = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        query = data["query"]
        if (data["direction"] in ("next", "prev") and isinstance(data["last_id"], int)
                and isinstance(data["last_value"], str | int) and isinstance(query, dict)
                and all(isinstance(v, str) for v in query.values())):
            return dict(data)
    except (ValueError, KeyError, TypeError, binascii.Error):
        pass
    raise _BadRequest({"page_info": "Invalid value."})


def _requested(group: dict[str, Any], fo: dict[str, Any]) -> dict[int, int]:
    """Fulfillment-order line items asked for, as {order line id: quantity}; none listed: all."""
    by_id = {item["id"]: item for item in fo["line_items"]}
    items = group.get("fulfillment_order_line_items")
    if not items:
        return {i["line_item_id"]: i["fulfillable_quantity"] for i in by_id.values() if i["fulfillable_quantity"]}
    asked: dict[int, int] = {}
    for item in items if isinstance(items, list) else [None]:
        known = by_id.get(item.get("id")) if isinstance(item, dict) else None
        quantity = item.get("quantity") if isinstance(item, dict) else None
        if known is None or not isinstance(quantity, int) or isinstance(quantity, bool):
            raise _BadRequest(["Invalid fulfillment order line item id or quantity."], 422)
        asked[known["line_item_id"]] = asked.get(known["line_item_id"], 0) + quantity
    return asked


def _only(body: dict[str, Any], fields: str | None) -> dict[str, Any]:
    if not fields:
        return body
    wanted = {f.strip() for f in fields.split(",")}
    return {k: v for k, v in body.items() if k in wanted}
