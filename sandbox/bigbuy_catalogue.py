"""The BigBuy sandbox's catalogue lists, in BigBuy's wire format (see reference/bigbuy-api.md):
``catalog/products``, ``catalog/productsvariations``, ``catalog/productsstockbyhandlingdays`` and
``catalog/productsvariationsstockbyhandlingdays``, each paged by ``page`` (from 0) and ``pageSize``
and limited to a few calls per hour per list, as BigBuy limits them.

Stock lists leave out what has no stock, as BigBuy's do: a client must read "absent" as 0.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable
from typing import Any, Protocol

from sandbox import catalogue
from sandbox.server import App, Request, Response, json_response, text_response

#: BigBuy's documented limit for each catalogue list
CALLS_PER_HOUR = 10
MAX_PAGE_SIZE = 10_000
LISTS = ("products", "productsvariations", "productsstockbyhandlingdays", "productsvariationsstockbyhandlingdays")


class _Stocked(Protocol):
    out_of_stock: set[str]


class HourlyWindow:
    """At most ``calls`` per sliding hour, for one list."""

    def __init__(self, calls: int) -> None:
        self.calls = calls
        self.hits: deque[float] = deque()

    def hit(self, now: float) -> tuple[bool, int]:
        """(allowed, reset epoch) for a call made now."""
        while self.hits and self.hits[0] <= now - 3600:
            self.hits.popleft()
        allowed = len(self.hits) < self.calls
        if allowed:
            self.hits.append(now)
        return allowed, math.ceil(self.hits[0] + 3600) if self.hits else math.ceil(now)


class CatalogueLists:
    """Serves the four lists of ``app``'s catalogue; ``calls_per_hour`` None: unlimited (tests)."""

    def __init__(self, app: _Stocked, calls_per_hour: int | None = CALLS_PER_HOUR) -> None:
        self.app = app
        self.windows = {name: HourlyWindow(calls_per_hour) for name in LISTS} if calls_per_hour else {}
        #: products taken off the catalogue at run time (they leave every list)
        self.withdrawn: set[str] = set()

    def register(self, app: App) -> None:
        builders: dict[str, Callable[[], list[dict[str, Any]]]] = {
            "products": self.products, "productsvariations": self.variations,
            "productsstockbyhandlingdays": lambda: self.stocks(variations=False),
            "productsvariationsstockbyhandlingdays": lambda: self.stocks(variations=True),
        }
        for name, build in builders.items():
            app.add("GET", rf"/rest/catalog/{name}\.json", self._serve(app, name, build))

    def _serve(self, app: App, name: str, build: Callable[[], list[dict[str, Any]]]) -> Callable[[Request], Response]:
        def handle(request: Request) -> Response:
            page, size = request.arg("page"), request.arg("pageSize")
            if page is None or size is None or not page.isdigit() or not size.isdigit():
                return json_response({"code": 400, "message": "page and pageSize are required integers"}, 400)
            if not 0 < int(size) <= MAX_PAGE_SIZE:
                return json_response({"code": 400, "message": f"pageSize must be 1 to {MAX_PAGE_SIZE}"}, 400)
            window = self.windows.get(name)
            if window is not None:
                with app.lock:
                    allowed, reset = window.hit(time.time())
                if not allowed:
                    response = text_response("You exceeded the rate limit", 429)
                    response.headers.update({"X-RateLimit-Limit": str(window.calls), "X-RateLimit-Remaining": "0",
                                             "X-Ratelimit-Reset": str(reset)})
                    return response
            with app.lock:
                rows = build()
            start = int(page) * int(size)
            return json_response(rows[start : start + int(size)])

        return handle

    def _listed(self) -> list[catalogue.Product]:
        return [p for p in catalogue.PRODUCTS if p.sku not in self.withdrawn]

    def products(self) -> list[dict[str, Any]]:
        return [{"id": p.id, "sku": p.sku, "active": int(p.active), "wholesalePrice": float(p.price),
                 "retailPrice": float(p.retail), "inShopsPrice": float(p.retail), "manufacturer": 1,
                 "category": 1, "taxonomy": 1, "taxRate": int(catalogue.TAX_RATE * 100), "condition": "NEW",
                 "logisticClass": "S", "weight": 1.0, "width": 10.0, "height": 10.0, "depth": 10.0,
                 "dateUpd": "2026-11-01 08:00:00", "priceLargeQuantities": []}
                for p in self._listed() if p.parent is None]

    def variations(self) -> list[dict[str, Any]]:
        return [{"id": p.id, "product": p.parent, "sku": p.sku, "ean13": "", "extraWeight": 0.0,
                 "wholesalePrice": float(p.price), "retailPrice": float(p.retail), "inShopsPrice": float(p.retail),
                 "width": 10.0, "height": 10.0, "depth": 10.0, "priceLargeQuantities": [], "logisticClass": "S"}
                for p in self._listed() if p.parent is not None]

    def stocks(self, *, variations: bool) -> list[dict[str, Any]]:
        out = []
        for p in self._listed():
            quantity = 0 if p.sku in self.app.out_of_stock else p.stock
            if (p.parent is not None) != variations or quantity <= 0:
                continue
            out.append({"id": p.id, "sku": p.sku, "stocks": [
                {"quantity": quantity, "minHandlingDays": 1, "maxHandlingDays": 2, "warehouse": p.warehouse}]})
        return out
