"""The Shopify sandbox's GraphQL Admin endpoint (``POST /admin/api/{version}/graphql.json``).

It answers the operations a GraphQL client of the shop sends, from the same seeded orders and
fulfillment state as the REST routes (an order fulfilled through one API reads fulfilled through
the other). Like Shopify it prices each query before running it (objects 1, connections 2 plus
``first`` times a node), refuses one priced over 1000 (``MAX_COST_EXCEEDED``), keeps a bucket
that restores at a fixed rate, answers ``THROTTLED`` with HTTP 200 when the bucket cannot cover
the price, and reports ``extensions.cost`` on every answer.

``raw_nodes`` are served as they are among the seeded orders. Fault switches: ``throttle_next``
answers that many queries ``THROTTLED``; ``service_orders`` assigns those orders' fulfillment
orders to a fulfilment-service location the app cannot fulfil.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import time
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from functools import partial
from typing import Any

from sandbox import seeding
from sandbox.server import Request, Response, json_response
from sandbox.shopify import INVALID_TOKEN, ShopifySandbox
from sandbox.shopify_render import BadRequest

MAX_COST = 1000
_OPERATION = re.compile(r"\s*(query|mutation)\s+([A-Za-z_][A-Za-z0-9_]*)")
_SEARCH = re.compile(r"\s*updated_at:>=\s*'(?P<at>[^']+)'\s*")
_GID = re.compile(r"gid://shopify/(?P<kind>[A-Za-z]+)/(?P<id>[0-9]{1,20})")
_REFUNDS = re.compile(r"refunds\(first:\s*(?P<refunds>[0-9]{1,3})\)\s*\{.*?"
                      r"refundLineItems\(first:\s*(?P<lines>[0-9]{1,3})\)", re.S)
_FINANCIAL = {"paid": "PAID", "pending": "PENDING"}
_FULFILMENT = {None: "UNFULFILLED", "fulfilled": "FULFILLED", "partial": "PARTIALLY_FULFILLED"}
SERVICE_LOCATION = 64_000_900  # a fulfilment service's location


class _Refused(Exception):
    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.code = code


class CostBucket:
    """Shopify's GraphQL bucket: a query needs its requested cost available, pays its actual cost."""

    def __init__(self, maximum: float = 1000.0, restore_rate: float = 50.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.maximum, self.restore_rate, self.clock = maximum, restore_rate, clock
        self.available, self._at = maximum, clock()

    def _restore(self) -> None:
        now = self.clock()
        self.available = min(self.maximum, self.available + (now - self._at) * self.restore_rate)
        self._at = now

    def take(self, requested: int) -> bool:
        self._restore()
        if self.available < requested:
            return False
        self.available -= requested
        return True

    def refund(self, amount: int) -> None:
        self.available = min(self.maximum, self.available + amount)

    def status(self) -> dict[str, float]:
        self._restore()
        return {"maximumAvailable": self.maximum, "currentlyAvailable": round(self.available, 1),
                "restoreRate": self.restore_rate}


def _gid(kind: str, number: int) -> str:
    return f"gid://shopify/{kind}/{number}"


def _number(value: Any, kind: str) -> int:
    match = _GID.fullmatch(value) if isinstance(value, str) else None
    if match is None or match.group("kind") != kind:
        raise _Refused(f"Invalid global id '{str(value)[:60]}'", "argumentLiteralsIncompatible")
    return int(match.group("id"))


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _lenient(raw: Any, default: datetime) -> datetime:
    try:
        moment = datetime.fromisoformat(raw) if isinstance(raw, str) else default
    except ValueError:
        return default
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _cursor(value: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode()


def _uncursor(token: Any) -> Any:
    try:
        return json.loads(base64.urlsafe_b64decode(str(token).encode()))
    except (ValueError, binascii.Error):
        raise _Refused("Invalid cursor for current pagination sort.", "BAD_REQUEST") from None


def _first(variables: dict[str, Any], name: str, default: int | None = None) -> int:
    value = variables.get(name, default)
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 250:
        raise _Refused(f"Variable ${name} must be between 1 and 250", "BAD_REQUEST")
    return value


def _connection(first: int, node: int) -> int:
    return 2 + first * node


class GraphQLEndpoint:
    def __init__(self, shop: ShopifySandbox, *, maximum: float = 1000.0, restore_rate: float = 50.0) -> None:
        self.shop = shop
        self.bucket = CostBucket(maximum, restore_rate)
        self.throttle_next = 0
        self.service_orders: set[int] = set()
        self.queries: list[str] = []  # operation names, in the order they came
        self.throttled = 0  # queries answered THROTTLED
        self._document = ""
        #: order nodes served as they are among the seeded ones (for quarantine tests)
        self.raw_nodes: list[dict[str, Any]] = []
        self._operations: dict[str, tuple[Callable[[dict[str, Any]], int], Callable[[dict[str, Any]], Any]]] = {
            "Shop": (lambda v: 1, lambda v: {"shop": {"name": "OrderHub Sandbox"}}),
            "Orders": (self._orders_cost, self._orders),
            "OrderLines": (lambda v: 1 + _connection(250, 3), self._order_lines),
            "FulfillmentOrders": (lambda v: 1 + _connection(10, 4 + _connection(40, 2)), self._fulfillment_orders),
            "Fulfillments": (lambda v: 1 + _connection(10, 1 + _connection(5, 1) + _connection(20, 2)),
                             self._fulfillments),
            "FulfillmentCreate": (lambda v: 10, self._fulfillment_create),
            "TrackingUpdate": (lambda v: 10, self._tracking_update),
        }

    def handle(self, request: Request) -> Response:
        headers = {"X-Shopify-API-Version": self.shop.served_version(request.params.get("version"))}
        if request.headers.get("x-shopify-access-token") != self.shop.access_token:
            return json_response({"errors": INVALID_TOKEN}, 401)
        try:
            payload = request.json()
        except (ValueError, UnicodeDecodeError):
            payload = None
        document = payload.get("query") if isinstance(payload, dict) else None
        variables = payload.get("variables") or {} if isinstance(payload, dict) else {}
        match = _OPERATION.match(document) if isinstance(document, str) else None
        if match is None or not isinstance(variables, dict) or match.group(2) not in self._operations:
            return json_response({"errors": [{"message": "Parse error: the sandbox answers named operations only",
                                              "extensions": {"code": "BAD_REQUEST"}}]}, 200, headers)
        name = match.group(2)
        pricing, run = self._operations[name]
        with self.shop.lock:
            self.queries.append(name)
            try:
                self._document = str(document)
                requested = pricing(variables)
                if requested > MAX_COST:
                    raise _Refused(f"Query cost is {requested}, which exceeds the single query max cost limit "
                                   f"({MAX_COST}).", "MAX_COST_EXCEEDED")
                if self.throttle_next > 0 or not self.bucket.take(requested):
                    self.throttle_next = max(0, self.throttle_next - 1)
                    self.throttled += 1
                    return json_response(self._throttled(requested), 200, headers)
                data = run(variables)
            except _Refused as exc:
                return json_response({"errors": [{"message": str(exc), "extensions": {"code": exc.code}}]},
                                     200, headers)
            # Shopify charges what the answer really held, about one point per object returned
            actual = max(1, min(requested, _objects(data)))
            self.bucket.refund(requested - actual)
            cost = {"requestedQueryCost": requested, "actualQueryCost": actual,
                    "throttleStatus": self.bucket.status()}
        return json_response({"data": data, "extensions": {"cost": cost}}, 200, headers)

    def _throttled(self, requested: int) -> dict[str, Any]:
        return {"errors": [{"message": "Throttled", "extensions": {
                    "code": "THROTTLED", "documentation": "https://shopify.dev/api/usage/rate-limits"}}],
                "extensions": {"cost": {"requestedQueryCost": requested, "actualQueryCost": None,
                                        "throttleStatus": self.bucket.status()}}}

    # orders --------------------------------------------------------------------------------

    def _orders_cost(self, variables: dict[str, Any]) -> int:
        lines = _first(variables, "lines")
        asked = self._refunds_asked()
        refunds = asked[0] * (3 + _connection(asked[1], 2)) if asked else 0
        return _connection(_first(variables, "first"), 7 + _connection(3, 1) + _connection(lines, 3) + refunds)

    def _refunds_asked(self) -> tuple[int, int] | None:
        """(refunds, lines of each) the order query asks for, or None when it asks for none."""
        found = _REFUNDS.search(self._document)
        return (int(found.group("refunds")), int(found.group("lines"))) if found else None

    def _orders(self, variables: dict[str, Any]) -> dict[str, Any]:
        first, lines = _first(variables, "first"), _first(variables, "lines")
        search = variables.get("query")
        since = None
        if search:
            found = _SEARCH.fullmatch(str(search))
            if found is None:
                raise _Refused("the sandbox filters by updated_at:>='...' only", "BAD_REQUEST")
            since = datetime.fromisoformat(found.group("at"))
        rows: list[tuple[datetime, int, Callable[[], dict[str, Any]]]] = [
            (s.updated_at, s.order_id, partial(self.order_node, s, lines)) for s in self.shop.specs]
        for n, raw in enumerate(self.raw_nodes):
            rows.append((_lenient(raw.get("updatedAt"), seeding.BASE_TIME), 9_900_000_000 + n, partial(dict, raw)))
        rows = [r for r in rows if since is None or r[0] >= since]
        if "sortKey: UPDATED_AT" not in self._document:
            # Shopify's default order is by id: a client that forgets the sort key misses updates
            return {"orders": {"pageInfo": {"hasNextPage": len(rows) > first, "endCursor": None},
                               "nodes": [render() for _, _, render in sorted(rows, key=lambda r: r[1])[:first]]}}
        rows.sort(key=lambda r: (r[0], r[1]))
        if variables.get("after"):
            mark = _uncursor(variables["after"])
            if not (isinstance(mark, list) and len(mark) == 2):
                raise _Refused("Invalid cursor for current pagination sort.", "BAD_REQUEST")
            key = (datetime.fromisoformat(mark[0]), mark[1])
            rows = [r for r in rows if (r[0], r[1]) > key]  # keyset: stable while orders change
        page = rows[:first]
        end = _cursor([page[-1][0].isoformat(), page[-1][1]]) if page else None
        return {"orders": {"pageInfo": {"hasNextPage": len(rows) > first, "endCursor": end},
                           "nodes": [render() for _, _, render in page]}}

    def order_node(self, spec: seeding.OrderSpec, lines: int) -> dict[str, Any]:
        rest = self.shop._render_spec(spec)
        items = [self._line(item) for item in rest["line_items"]]
        return {
            "id": _gid("Order", spec.order_id), "legacyResourceId": str(spec.order_id), "name": rest["name"],
            "createdAt": _utc(spec.created_at), "updatedAt": _utc(spec.updated_at),
            "cancelledAt": _utc(spec.updated_at) if spec.cancelled else None, "test": spec.test,
            "displayFinancialStatus": _FINANCIAL.get(rest["financial_status"], "PENDING"),
            "displayFulfillmentStatus": _FULFILMENT.get(rest["fulfillment_status"], "UNFULFILLED"),
            "currencyCode": spec.currency, "email": spec.email, "phone": None,
            "paymentGatewayNames": rest.get("payment_gateway_names") or [],
            "totalPriceSet": {"shopMoney": {"amount": rest["total_price"], "currencyCode": spec.currency}},
            "shippingAddress": _address(rest["shipping_address"]), "billingAddress": _address(rest["billing_address"]),
            "customer": _customer(rest["customer"]),
            "shippingLines": {"nodes": [{"title": s["title"], "code": s["code"]} for s in rest["shipping_lines"]]},
            "lineItems": {"pageInfo": {"hasNextPage": len(items) > lines,
                                       "endCursor": _cursor(min(lines, len(items))) if items else None},
                          "nodes": items[:lines]},
            **self._refunds(rest["refunds"]),
        }

    def _refunds(self, refunds: list[dict[str, Any]]) -> dict[str, Any]:
        """The order's refunds as the query asks for them (``refunds(first:)`` is a list)."""
        asked = self._refunds_asked()
        if asked is None:
            return {}
        first, lines = asked
        return {"refunds": [{
            "id": _gid("Refund", r["id"]), "createdAt": _utc(datetime.fromisoformat(r["created_at"])),
            "note": r.get("note"),
            "totalRefundedSet": {"shopMoney": {
                "amount": str(sum(Decimal(t["amount"]) for t in r["transactions"]
                                  if t["kind"] == "refund" and t["status"] == "success")),
                "currencyCode": next((t["currency"] for t in r["transactions"]), "USD")}},
            "refundLineItems": {"pageInfo": {"hasNextPage": len(r["refund_line_items"]) > lines},
                                "nodes": [{"quantity": item["quantity"], "lineItem": {
                                    "id": _gid("LineItem", item["line_item"]["id"]), "sku": item["line_item"]["sku"],
                                    "name": item["line_item"]["name"]}} for item in r["refund_line_items"][:lines]]},
        } for r in refunds[:first]]}

    @staticmethod
    def _line(item: dict[str, Any]) -> dict[str, Any]:
        return {"id": _gid("LineItem", item["id"]), "name": item["name"], "title": item["title"], "sku": item["sku"],
                "quantity": item["quantity"], "currentQuantity": item["current_quantity"],
                "unfulfilledQuantity": item["fulfillable_quantity"],
                "requiresShipping": item["requires_shipping"], "isGiftCard": item["gift_card"],
                "originalUnitPriceSet": {"shopMoney": {
                    "amount": item["price"], "currencyCode": item["price_set"]["shop_money"]["currency_code"]}}}

    def _spec(self, order_gid: Any) -> seeding.OrderSpec | None:
        number = _number(order_gid, "Order")
        return next((s for s in self.shop.specs if s.order_id == number), None)

    def _order_lines(self, variables: dict[str, Any]) -> dict[str, Any]:
        spec = self._spec(variables.get("id"))
        if spec is None:
            return {"order": None}
        start = _uncursor(variables["after"]) if variables.get("after") else 0
        if not isinstance(start, int):
            raise _Refused("Invalid cursor for current pagination sort.", "BAD_REQUEST")
        items = [self._line(item) for item in self.shop._render_spec(spec)["line_items"]]
        page = items[start:start + 250]
        return {"order": {"lineItems": {"pageInfo": {"hasNextPage": start + 250 < len(items),
                                                     "endCursor": _cursor(start + len(page))}, "nodes": page}}}

    # fulfillment ---------------------------------------------------------------------------

    def _fulfillment_orders(self, variables: dict[str, Any]) -> dict[str, Any]:
        spec = self._spec(variables.get("id"))
        if spec is None:
            return {"order": None}
        skus = {ln.line_id: ln.sku for ln in spec.lines}
        service = spec.order_id in self.service_orders
        result = []
        for fo in self.shop._fulfillment_orders(spec):
            actions = ["REQUEST_FULFILLMENT"] if service and fo["supported_actions"] else \
                [a.upper() for a in fo["supported_actions"]]
            location = SERVICE_LOCATION if service else fo["assigned_location_id"]
            result.append({
                "id": _gid("FulfillmentOrder", fo["id"]), "status": fo["status"].upper(),
                "supportedActions": [{"action": a} for a in actions],
                "assignedLocation": {"location": {"id": _gid("Location", location)}},
                "lineItems": {"nodes": [{"id": _gid("FulfillmentOrderLineItem", i["id"]),
                                         "remainingQuantity": i["fulfillable_quantity"],
                                         "lineItem": {"id": _gid("LineItem", i["line_item_id"]),
                                                      "sku": skus.get(i["line_item_id"])}}
                                        for i in fo["line_items"]]},
            })
        return {"order": {"fulfillmentOrders": {"nodes": result}}}

    def _fulfillments(self, variables: dict[str, Any]) -> dict[str, Any]:
        spec = self._spec(variables.get("id"))
        if spec is None:
            return {"order": None}
        own = [f for f in self.shop.fulfillments if f["order_id"] == spec.order_id]
        return {"order": {"fulfillments": [_fulfillment(f) for f in own]}}

    def _fulfillment_create(self, variables: dict[str, Any]) -> dict[str, Any]:
        given = variables.get("fulfillment")
        if not isinstance(given, dict) or not isinstance(given.get("lineItemsByFulfillmentOrder"), list):
            raise _Refused("Variable $fulfillment of type FulfillmentInput! was provided invalid value",
                           "INVALID_VARIABLE")
        groups = []
        for group in given["lineItemsByFulfillmentOrder"]:
            if not isinstance(group, dict):
                raise _Refused("lineItemsByFulfillmentOrder is invalid", "INVALID_VARIABLE")
            fo_id = _number(group.get("fulfillmentOrderId"), "FulfillmentOrder")
            if (fo_id - 7_000_000_000) // 10 in self.service_orders:
                return _user_error("fulfillment", "The fulfillment order is assigned to a fulfillment service "
                                                  "location and cannot be fulfilled by this app.")
            items = [{"id": _number(i.get("id"), "FulfillmentOrderLineItem"), "quantity": i.get("quantity")}
                     for i in group.get("fulfillmentOrderLineItems") or [] if isinstance(i, dict)]
            groups.append({"fulfillment_order_id": fo_id, "fulfillment_order_line_items": items})
        tracking = given.get("trackingInfo") or {}
        body = {"fulfillment": {"line_items_by_fulfillment_order": groups, "tracking_info": tracking,
                                "notify_customer": bool(given.get("notifyCustomer", False))}}
        request = Request("POST", "/fulfillments.json", {}, {}, json.dumps(body).encode())
        try:
            response = self.shop._create_fulfillment(request)
        except BadRequest as exc:
            messages = exc.errors if isinstance(exc.errors, list) else [str(exc.errors)]
            return _user_error("fulfillment", "; ".join(str(m) for m in messages))
        record = json.loads(response.body)["fulfillment"]
        return {"fulfillmentCreate": {"fulfillment": _fulfillment(record), "userErrors": []}}

    def _tracking_update(self, variables: dict[str, Any]) -> dict[str, Any]:
        number = _number(variables.get("fulfillmentId"), "Fulfillment")
        info = variables.get("trackingInfoInput")
        record = next((f for f in self.shop.fulfillments if f["id"] == number), None)
        if record is None:
            return {"fulfillmentTrackingInfoUpdate": {"fulfillment": None, "userErrors": [
                {"field": ["fulfillmentId"], "message": "Fulfillment does not exist."}]}}
        if not isinstance(info, dict) or not isinstance(info.get("number"), str):
            raise _Refused("Variable $trackingInfoInput of type FulfillmentTrackingInput! was provided invalid "
                           "value", "INVALID_VARIABLE")
        record.update({"tracking_number": info["number"], "tracking_numbers": [info["number"]],
                       "tracking_company": info.get("company", record["tracking_company"]),
                       "tracking_url": info.get("url"), "tracking_urls": [info["url"]] if info.get("url") else [],
                       "updated_at": self.shop.now().isoformat()})
        return {"fulfillmentTrackingInfoUpdate": {"fulfillment": _fulfillment(record), "userErrors": []}}


def _objects(value: Any) -> int:
    if isinstance(value, dict):
        return 1 + sum(_objects(v) for v in value.values())
    if isinstance(value, list):
        return sum(_objects(v) for v in value)
    return 0


def _user_error(field: str, message: str) -> dict[str, Any]:
    return {"fulfillmentCreate": {"fulfillment": None, "userErrors": [{"field": [field], "message": message}]}}


def _fulfillment(record: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": _gid("Fulfillment", record["id"]), "status": record["status"].upper(),
        "trackingInfo": [{"number": n, "company": record.get("tracking_company"), "url": record.get("tracking_url")}
                         for n in record.get("tracking_numbers") or []],
        "fulfillmentLineItems": {"nodes": [{"quantity": i["quantity"], "lineItem": {"id": _gid("LineItem", i["id"])}}
                                           for i in record.get("line_items") or []]},
    }


def _address(rest: dict[str, Any] | None) -> dict[str, Any] | None:
    if not rest:
        return None
    return {"firstName": rest.get("first_name"), "lastName": rest.get("last_name"), "company": rest.get("company"),
            "address1": rest.get("address1"), "address2": rest.get("address2"), "city": rest.get("city"),
            "zip": rest.get("zip"), "province": rest.get("province"), "provinceCode": rest.get("province_code"),
            "countryCodeV2": rest.get("country_code"), "phone": rest.get("phone")}


def _customer(rest: dict[str, Any] | None) -> dict[str, Any] | None:
    if not rest:
        return None
    return {"id": _gid("Customer", rest["id"]), "legacyResourceId": str(rest["id"]), "email": rest.get("email"),
            "phone": rest.get("phone"), "firstName": rest.get("first_name"), "lastName": rest.get("last_name"),
            "defaultAddress": _address(rest.get("default_address"))}
