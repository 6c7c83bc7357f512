"""BigBuy's catalogue: products, variations and their stock, read from the four bulk lists.

``catalog/products`` and ``catalog/productsvariations`` name every orderable reference (a
variation points at its product by ``product``); ``catalog/productsstockbyhandlingdays`` and
``catalog/productsvariationsstockbyhandlingdays`` give stock per warehouse and handling time, joined
to the lists by ``id``. A reference missing from the stock lists has no stock. The per-SKU
``productsstock`` calls are gone.

Each list allows about 10 calls an hour per account, so every list has its own pacer (shared by
all processes, like the order bucket) and a page is as large as BigBuy serves. Paging: BigBuy's
``page`` is read as starting at 0; if page 0 comes back empty, page 1 is asked too, in case the
count starts at 1; rows are de-duplicated by id, so a server that treats 0 as 1 costs one call.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

import httpx

from connectors import http
from connectors.bigbuy import answers
from connectors.bigbuy.answers import Call
from connectors.bigbuy.client import BigBuyConnector
from connectors.bigbuy.errors import (
    BigBuyAuthError,
    BigBuyParseError,
    BigBuyRateLimited,
    BigBuyRequestFailed,
    BigBuyUnavailable,
)
from connectors.ratelimit import Pacer, Unpaced

PRODUCTS = "products"
VARIATIONS = "productsvariations"
PRODUCT_STOCK = "productsstockbyhandlingdays"
VARIATION_STOCK = "productsvariationsstockbyhandlingdays"
LISTS = (PRODUCTS, VARIATIONS, PRODUCT_STOCK, VARIATION_STOCK)
#: BigBuy's documented limit per list and account
CALLS_PER_HOUR = 10
PAGE_SIZE = 10_000
#: a list longer than this many pages is refused rather than read forever
MAX_PAGES = 1_000


@dataclass(frozen=True)
class SupplierProduct:
    """One orderable reference at BigBuy."""

    sku: str
    product_id: str
    variation_id: str | None
    active: bool
    cost: Decimal | None  # wholesale price before tax
    stock: int
    #: ``ean13`` as 14 digits (zero-padded), or None when BigBuy gives none or a malformed one
    gtin: str | None = None


class BigBuyCatalogue:
    """Reads the catalogue through ``connector``'s client (its key, base URL and metering)."""

    def __init__(self, connector: BigBuyConnector, pacer_for: Callable[[str], Pacer] | None = None, *,
                 page_size: int = PAGE_SIZE, attempts: int = 3) -> None:
        self.connector = connector
        self.pacer_for = pacer_for or (lambda name: Unpaced())
        self.page_size = page_size
        self.attempts = attempts
        self.calls = 0

    def products(self) -> list[SupplierProduct]:
        """Every product and variation with its stock: the four lists, joined by id."""
        products = {str(row["id"]): row for row in self.rows(PRODUCTS)}
        variations = {str(row["id"]): row for row in self.rows(VARIATIONS)}
        stock = self.stock()
        out: list[SupplierProduct] = []
        for pid, row in products.items():
            out.append(_product(row, pid, None, bool(_int(row.get("active"), 1)), stock[0].get(pid, 0)))
        for vid, row in variations.items():
            parent = products.get(str(row.get("product")))
            active = parent is not None and bool(_int(parent.get("active"), 1))
            out.append(_product(row, str(row.get("product")), vid, active, stock[1].get(vid, 0)))
        return out

    def stock(self) -> tuple[dict[str, int], dict[str, int]]:
        """(product id -> units, variation id -> units), summed over warehouses and handling times."""
        return _units(self.rows(PRODUCT_STOCK)), _units(self.rows(VARIATION_STOCK))

    def rows(self, name: str) -> Iterator[dict[str, Any]]:
        """Every row of one list, page by page, each id once."""
        seen: set[str] = set()
        page = 0
        while page < MAX_PAGES:
            got = self._page(name, page)
            if not got and page == 0:
                got = self._page(name, 1)  # the count may start at 1
                page = 1
            fresh = 0
            for row in got:
                key = str(row["id"])
                if key not in seen:
                    seen.add(key)
                    fresh += 1
                    yield row
            if len(got) < self.page_size:
                return
            if fresh == 0 and page >= 2:  # a full page of rows already read: the server repeats itself
                return
            page += 1
        raise BigBuyRequestFailed(f"BigBuy {name}: more than {MAX_PAGES} pages")

    def _page(self, name: str, page: int) -> list[dict[str, Any]]:
        path = f"/rest/catalog/{name}.json"
        params = {"page": page, "pageSize": self.page_size}
        # a 429 is not retried here: the list's allowance is spent for up to an hour, and its
        # bucket is held until BigBuy's reset, so the next sync waits for it instead
        payload = http.with_retries(lambda: self._get(name, path, params), attempts=self.attempts,
                                    retry_on=(BigBuyUnavailable,))
        if not isinstance(payload, list) or not all(isinstance(r, dict) and "id" in r for r in payload):
            raise BigBuyParseError(f"BigBuy {name}: expected a list of rows with ids")
        return payload

    def _get(self, name: str, path: str, params: dict[str, int]) -> Any:
        pacer = self.pacer_for(name)
        pacer.wait()
        self.calls += 1
        try:
            response = self.connector.client.get(path, params=params)
        except httpx.HTTPError as exc:
            raise BigBuyUnavailable(f"BigBuy {name}: no answer ({type(exc).__name__})") from exc
        outcome = answers.classify(Call.CATALOGUE, response.status_code, response.headers, response.content)
        if isinstance(outcome, answers.Ok):
            return outcome.payload
        message = self.connector._redact(f"BigBuy {name}: {getattr(outcome, 'message', type(outcome).__name__)}")
        if isinstance(outcome, answers.Retry):
            if outcome.rate_limited:
                if outcome.reset_at:
                    pacer.hold_until(outcome.reset_at)  # the next wait() sleeps until BigBuy's reset
                raise BigBuyRateLimited(message, retry_after=0 if outcome.reset_at else outcome.retry_after)
            raise BigBuyUnavailable(message, retry_after=outcome.retry_after)
        if isinstance(outcome, answers.Loud) and outcome.auth:
            raise BigBuyAuthError(message)
        raise BigBuyRequestFailed(message, status=getattr(outcome, "status", None))


def _product(row: dict[str, Any], product_id: str, variation_id: str | None, active: bool,
             stock: int) -> SupplierProduct:
    sku = row.get("sku")
    if not isinstance(sku, str) or not sku.strip():
        raise BigBuyParseError(f"BigBuy catalogue: row {variation_id or product_id} has no sku")
    return SupplierProduct(sku=sku.strip(), product_id=product_id, variation_id=variation_id, active=active,
                           cost=_money(row.get("wholesalePrice")), stock=stock, gtin=gtin(row.get("ean13")))


def gtin(value: Any) -> str | None:
    """A GTIN (EAN-13, UPC-A, EAN-8 or GTIN-14) as 14 digits, so that each way of typing the same
    code finds it; anything else is None."""
    digits = str(value).strip() if isinstance(value, (str, int)) else ""
    if not digits.isdigit() or len(digits) not in (8, 12, 13, 14):
        return None
    return digits.zfill(14)


def _units(rows: Iterator[dict[str, Any]]) -> dict[str, int]:
    out: dict[str, int] = {}
    for row in rows:
        stocks = row.get("stocks")
        entries = stocks if isinstance(stocks, list) else []
        units = sum(max(0, _int(s.get("quantity"), 0)) for s in entries if isinstance(s, dict))
        out[str(row["id"])] = out.get(str(row["id"]), 0) + units
    return out


def _int(value: Any, default: int) -> int:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value.strip())
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return default


def _money(value: Any) -> Decimal | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        amount = Decimal(str(value)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        return None
    return amount if amount.is_finite() and 0 <= amount < Decimal("1e12") else None
