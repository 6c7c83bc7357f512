"""Which WooCommerce lines need no shipping: virtual products (services, downloads, gift cards).

An order's line items do not say it: the product does (``virtual``). The products of a page's
lines are read in one call per 100 (``GET /products?include=...``; a variation's own flag from
``GET /products/<parent>/variations?include=...``) and remembered for the connector's life.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from connectors.records import ChannelOrder, OrderLine
from connectors.woocommerce.errors import WooParseError

#: (product_id, variation_id); variation_id 0 for a simple product
ProductKey = tuple[int, int]
Getter = Callable[[str, dict[str, str]], Any]


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0


def line_products(order: ChannelOrder) -> dict[str, ProductKey]:
    """Order line id -> its product, read from the body as received."""
    items = order.raw.get("line_items")
    found: dict[str, ProductKey] = {}
    for item in items if isinstance(items, list) else []:
        if isinstance(item, dict) and _int(item.get("id")) and _int(item.get("product_id")):
            found[str(item["id"])] = (_int(item["product_id"]), _int(item.get("variation_id")))
    return found


def _variation_of(parent: int) -> Callable[[dict[str, Any]], ProductKey]:
    return lambda body: (parent, _int(body.get("id")))


class VirtualProducts:
    def __init__(self, get: Getter) -> None:
        self.get = get
        self.known: dict[ProductKey, bool] = {}

    def learn(self, keys: set[ProductKey]) -> None:
        missing = sorted(k for k in keys if k not in self.known)
        simple = [p for p, v in missing if v == 0]
        self._read("/products", simple, lambda body: (_int(body.get("id")), 0))
        parents: dict[int, list[int]] = {}
        for p, v in missing:
            if v:
                parents.setdefault(p, []).append(v)
        for parent, variations in parents.items():
            self._read(f"/products/{parent}/variations", variations, _variation_of(parent))
        for key in missing:
            self.known.setdefault(key, False)  # deleted products: ship them, the checks will say

    def _read(self, path: str, ids: list[int], key_of: Callable[[dict[str, Any]], ProductKey]) -> None:
        for start in range(0, len(ids), 100):
            chunk = ids[start:start + 100]
            answer = self.get(path, {"include": ",".join(map(str, chunk)), "per_page": "100"})
            if not isinstance(answer, list):
                raise WooParseError("woocommerce: the products answer is not a JSON list")
            for body in answer:
                if isinstance(body, dict):
                    self.known[key_of(body)] = body.get("virtual") is True

    def split(self, order: ChannelOrder) -> ChannelOrder:
        """The order with its virtual lines moved to ``unshipped_lines``."""
        products = line_products(order)
        shipped: list[OrderLine] = []
        unshipped = list(order.unshipped_lines)
        for line in order.lines:
            key = products.get(line.external_id or "")
            (unshipped if key is not None and self.known.get(key) else shipped).append(line)
        if len(shipped) == len(order.lines):
            return order
        return order.model_copy(update={"lines": shipped, "unshipped_lines": unshipped})

    def apply(self, orders: list[ChannelOrder]) -> list[ChannelOrder]:
        self.learn({key for order in orders for key in line_products(order).values()})
        return [self.split(order) for order in orders]
