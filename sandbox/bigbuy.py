"""A fake BigBuy speaking the real wire format (see reference/bigbuy-api.md), with its quirks.

Orders are priced, split by warehouse and paid from a wallet using ``catalogue``. Faults model what
makes "exactly once" hard: a create stored but never answered, a 5xx before storing, errors inside
200 bodies, an empty 200 for a reference that exists, bursts of 429. ``state()["duplicates"]``
counts orders whose content was created twice, whatever their reference: the number that must
stay 0.
"""

from __future__ import annotations

import math
import re
import time
from collections import Counter, deque
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import unquote

from sandbox import bigbuy_shipping
from sandbox.bigbuy_catalogue import CatalogueLists
from sandbox.bigbuy_checkout import er, evaluate, read_order
from sandbox.bigbuy_orders import CARRIERS, STATUSES, StoredOrder, order_json, tracking_json
from sandbox.server import App, Faults, Request, Response, json_response, text_response

LIMITED = re.compile(r"/rest/(order|shipping|tracking|user)/")
FIRST_ID = 100000
#: the client's pacer and this server read different clocks: a call this early is still let in
_TOLERANCE = 0.05
_PAGES = {500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable", 504: "Gateway Timeout"}


@dataclass
class BigBuyFaults(Faults):
    drop_after_store_rate: float = 0.0  # store the create, then close the socket unanswered
    error_before_store_rate: float = 0.0  # an HTML 5xx page on a create, nothing stored
    quirk_rate: float = 0.0  # error inside a 200, raw HTTP 500 inside a 200, empty 200 on lookups
    burst_429: int = 0  # answer 429 to this many calls in a row, once every ``burst_every`` calls
    burst_every: int = 25


class _Window:
    """At most ``calls`` per sliding ``seconds``, the window ``ratelimit.TokenBucket`` uses."""

    def __init__(self, rate: float) -> None:
        window = 1
        while rate * window != int(rate * window) and window < 60:
            window += 1
        self.calls, self.seconds = max(1, int(rate * window)), float(window)
        self.hits: deque[float] = deque()

    def hit(self, now: float) -> tuple[bool, dict[str, str]]:
        while self.hits and self.hits[0] <= now - self.seconds + _TOLERANCE:
            self.hits.popleft()
        allowed = len(self.hits) < self.calls
        if allowed:
            self.hits.append(now)
        reset = math.ceil(self.hits[0] + self.seconds) if self.hits else math.ceil(now)
        return allowed, {"X-RateLimit-Limit": str(self.calls), "X-RateLimit-Reset": str(reset),
                         "X-RateLimit-Remaining": str(self.calls - len(self.hits))}


def _too_many(reset: int, limit: str = "1") -> Response:
    response = text_response("You exceeded the rate limit", 429)
    response.headers.update({"X-RateLimit-Limit": limit, "X-RateLimit-Remaining": "0", "X-Ratelimit-Reset": str(reset)})
    return response


def _html_error(status: int) -> Response:
    title = f"{status} {_PAGES.get(status, 'Error')}"
    page = f"<!DOCTYPE html><html><head><title>{title}</title></head><body><h1>{title}</h1></body></html>"
    return text_response(page, status, "text/html")


STATUS_LIST = [{"id": k, "name": v} for k, v in STATUSES.items()]
CARRIER_LIST = [{"id": k, "name": v} for k, v in CARRIERS.items()]
SHIPPING_CARRIERS = [{**c, "shippingServices": [{"id": c["id"], "delay": "24-72h", "pod": False,
                                                  "name": f"{c['name']} Standard"}]} for c in CARRIER_LIST]
RAW_500 = ("HTTP/1.1 500 Internal Server Error\r\nContent-Type: application/json\r\n\r\n"
           '{"code":500,"message":"Internal Server Error"}')


class BigBuySandbox(App):
    name = "bigbuy"
    faults: BigBuyFaults

    def __init__(self, *, api_key: str = "bb_sandbox_key", wallet: Decimal = Decimal("10000.00"),
                 rate_per_second: float = 1.0, out_of_stock: Iterable[str] = frozenset(),
                 faults: BigBuyFaults | None = None) -> None:
        super().__init__(faults or BigBuyFaults())
        self.api_key = api_key
        self.wallet = Decimal(wallet)
        self.out_of_stock = set(out_of_stock)
        self.window = _Window(rate_per_second) if rate_per_second > 0 else None
        self.orders: dict[str, StoredOrder] = {}
        self.orders_by_reference: dict[str, list[str]] = {}
        self._next_id = FIRST_ID
        self._burst_left = self._calls = 0
        routes: list[tuple[str, str, Any]] = [
            ("POST", r"/rest/order/create/multishipping\.json", lambda r: self._create(r, split=True)),
            ("POST", r"/rest/order/create\.json", lambda r: self._create(r, split=False)),
            ("POST", r"/rest/order/check/multishipping\.json", lambda r: self._check(r, split=True)),
            ("POST", r"/rest/order/check\.json", lambda r: self._check(r, split=False)),
            ("GET", r"/rest/order/orderstatuses\.json", lambda r: self._read(r, STATUS_LIST)),
            ("GET", r"/rest/order/reference/(?P<ref>[^/]+)\.json", self._by_reference),
            ("GET", r"/rest/order/(?P<id>\d+)\.json", self._order),
            ("POST", r"/rest/tracking/orders\.json", self._tracking),
            ("GET", r"/rest/tracking/order/(?P<id>\d+)\.json", self._tracking_one),
            ("GET", r"/rest/tracking/carriers\.json", lambda r: self._read(r, CARRIER_LIST)),
            ("GET", r"/rest/shipping/carriers\.json", lambda r: self._read(r, SHIPPING_CARRIERS)),
            ("POST", r"/rest/shipping/orders\.json", self._shipping),
            ("GET", r"/rest/user/purse\.json", lambda r: self._read(r, f"{self.wallet:.2f}")),
            ("POST", r"/_sandbox/advance", self._advance),
            ("GET", r"/_sandbox/state", lambda r: json_response(self.state())),
            ("POST", r"/_sandbox/wallet", self._set_wallet),
        ]
        for method, pattern, handler in routes:
            self.add(method, pattern, handler)
        self.catalogue = CatalogueLists(self)  # catalog/* lists, limited per hour as BigBuy's are
        self.catalogue.register(self)

    # Controls ---------------------------------------------------------------------------------

    def advance(self, step: int = 1) -> int:
        """Ship every order not shipped yet (a tracking number each, the carrier of its warehouse);
        returns how many shipped. ``step`` mirrors the channel sandboxes' ``advance``: BigBuy has
        one story only, so every step ships what is pending."""
        now = datetime.now(UTC)
        with self.lock:
            pending = [o for o in self.orders.values() if o.tracking_number is None]
            for order in pending:
                order.status, order.shipped_at = STATUSES[2], now
                order.tracking_number = f"BB{order.id}{order.warehouse}ES"
        return len(pending)

    def set_wallet(self, amount: Decimal) -> None:
        with self.lock:
            self.wallet = Decimal(amount)

    def state(self) -> dict[str, Any]:
        with self.lock:
            contents = Counter(o.content() for o in self.orders.values())
            return {"orders": len(self.orders), "references": len(self.orders_by_reference),
                    "duplicates": sum(n - 1 for n in contents.values()), "wallet": f"{self.wallet:.2f}"}

    def _advance(self, request: Request) -> Response:
        body = request.json() if request.body else None
        step = body.get("step", 1) if isinstance(body, dict) else 1
        return json_response({"shipped": self.advance(int(step))})

    def _set_wallet(self, request: Request) -> Response:
        try:
            self.set_wallet(Decimal(str((request.json() or {})["amount"])))
        except (ValueError, KeyError, TypeError, InvalidOperation):
            return json_response({"code": 400, "message": "amount required"}, 400)
        return json_response(self.state())

    # Gatekeeping: auth, rate limit, faults ----------------------------------------------------

    def dispatch(self, request: Request) -> Response:
        if not request.path.startswith("/rest/"):
            return super().dispatch(request)
        if request.headers.get("authorization", "") != f"Bearer {self.api_key}":
            return json_response({"message": "Invalid Token"}, 401)
        limits: dict[str, str] = {}
        if self.window is not None and LIMITED.match(request.path):
            with self.lock:
                allowed, limits = self.window.hit(time.time())
            if not allowed:
                return _too_many(int(limits["X-RateLimit-Reset"]), limits["X-RateLimit-Limit"])
        response = super().dispatch(request)
        for name, value in limits.items():
            response.headers.setdefault(name, value)
        return response

    def injected_fault(self, request: Request) -> Response | None:
        faults, rng = self.faults, self.faults.rng
        with self.lock:
            self._calls += 1
            if self._burst_left > 0 or (faults.burst_429 > 0 and self._calls % max(1, faults.burst_every) == 0):
                self._burst_left = (self._burst_left or faults.burst_429) - 1
                return _too_many(math.ceil(time.time() + 1))
            if faults.http_429_rate and rng.random() < faults.http_429_rate:
                return _too_many(math.ceil(time.time() + 1))
            if faults.http_5xx_rate and rng.random() < faults.http_5xx_rate:
                return _html_error(rng.choice(list(_PAGES)))
        return None

    def _chance(self, rate: float) -> bool:
        with self.lock:
            return bool(rate) and self.faults.rng.random() < rate

    def _quirk(self, *kinds: str) -> str | None:
        with self.lock:
            if not self.faults.quirk_rate or self.faults.rng.random() >= self.faults.quirk_rate:
                return None
            return self.faults.rng.choice(kinds)

    def _quirky(self, quirk: str | None) -> Response | None:
        if quirk == "error200":
            return json_response({"code": 409, "message": "Something went wrong"}, 200)
        if quirk == "raw500":
            return text_response(RAW_500, 200, "text/html")
        if quirk == "empty200":
            return Response(200, b"", {"Content-Type": "application/json"})
        return None

    def _read(self, request: Request, payload: Any) -> Response:
        return self._quirky(self._quirk("error200", "raw500")) or json_response(payload)

    # Orders -----------------------------------------------------------------------------------

    def _create(self, request: Request, *, split: bool) -> Response:
        if self._chance(self.faults.error_before_store_rate):
            return _html_error(self.faults.rng.choice(list(_PAGES)))
        order, invalid = read_order(request)
        if invalid is not None:
            return invalid
        quirk = self._quirk("error200", "raw500")
        if quirk == "error200":  # an error answer, nothing stored
            return self._quirky(quirk) or Response(500)
        with self.lock:
            response, stored = self._place(order, split)
        if stored and quirk == "raw500":  # stored, but the answer is garbage
            return self._quirky(quirk) or Response(500)
        if stored and self._chance(self.faults.drop_after_store_rate):
            return Response(drop=True)
        return response

    def _place(self, order: dict[str, Any], split: bool) -> tuple[Response, bool]:
        reference = str(order["internalReference"])
        if reference in self.orders_by_reference:
            first = self.orders_by_reference[reference][0]
            return er("ER008", "Duplicated internal reference.", {"orderId": int(first)}), False
        groups, errors, refusal = evaluate(order, split, self.out_of_stock)
        if refusal is not None:
            return refusal, False
        total = sum((g.total for g in groups), Decimal("0"))
        if order.get("paymentMethod", "moneybox") == "moneybox":
            if self.wallet < total:
                data = {"moneyBoxAmount": float(self.wallet), "totalOrder": float(total)}
                return er("ER005", "Insufficient money in the purse.", data), False
            self.wallet -= total
        made = []
        for group in groups:
            order_id, self._next_id = str(self._next_id), self._next_id + 1
            address = dict(order["shippingAddress"])
            now = datetime.now(UTC)
            self.orders[order_id] = StoredOrder(order_id, reference, group.warehouse, group.lines, address,
                                                group.total, now)
            self.orders_by_reference.setdefault(reference, []).append(order_id)
            made.append({"productReferences": group.skus, "id": order_id, "warehouse": group.warehouse,
                         "url": f"/rest/order/{order_id}"})
        if not split:
            return Response(201, b"", {"Location": f"/rest/order/{made[0]['id']}"}), True
        return json_response({"orders": made, "errors": errors}), True

    def _check(self, request: Request, *, split: bool) -> Response:
        order, invalid = read_order(request)
        if invalid is not None:
            return invalid
        quirky = self._quirky(self._quirk("error200", "raw500"))
        if quirky is not None:
            return quirky
        groups, errors, refusal = evaluate(order, split, self.out_of_stock)
        if refusal is not None:
            return refusal
        priced = [g.priced() for g in groups]
        if split:
            return json_response({"orders": priced, "errors": errors})
        keys = ("totalWithoutTaxesAndWithoutShippingCost", "totalWithoutTaxes", "total")
        return json_response({k: round(sum(p[k] for p in priced), 2) for k in keys})

    def _by_reference(self, request: Request) -> Response:
        quirky = self._quirky(self._quirk("error200", "raw500", "empty200"))
        if quirky is not None:
            return quirky
        reference = unquote(request.params["ref"])
        with self.lock:
            ids = self.orders_by_reference.get(reference)
            first = self.orders[ids[0]] if ids else None
        if first is None:  # BigBuy's sandbox answers this, where production says 404 "No order found"
            return json_response({"code": 500, "message": "An error has occurred"}, 500)
        return json_response({"id": first.id, "totalPaidTaxIncl": f"{first.total:.2f}"})

    def _order(self, request: Request) -> Response:
        with self.lock:
            o = self.orders.get(request.params["id"])
        if o is None:
            return json_response({"code": 404, "message": "Order not found"}, 404)
        return self._read(request, order_json(o))

    def _shipping(self, request: Request) -> Response:
        payload, refused = bigbuy_shipping.options(request, CARRIERS)
        return refused or self._read(request, payload)

    # Tracking ---------------------------------------------------------------------------------

    def _tracking(self, request: Request) -> Response:
        try:
            ids = [str(o["id"]) for o in request.json()["track"]["orders"]]
        except (ValueError, KeyError, TypeError):
            return json_response({"code": 400, "message": "Invalid track body"}, 400)
        with self.lock:
            shipped = [tracking_json(self.orders[i]) for i in ids
                       if i in self.orders and self.orders[i].tracking_number]
        return self._read(request, shipped)

    def _tracking_one(self, request: Request) -> Response:
        with self.lock:
            o = self.orders.get(request.params["id"])
        if o is None or o.tracking_number is None:
            return json_response({"code": 404, "message": "Tracking not found"}, 404)
        return self._read(request, tracking_json(o))
