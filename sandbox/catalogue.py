"""The sandbox supplier's catalogue, shared by the channel sandboxes (which sell these SKUs) and
the BigBuy sandbox (which stocks and prices them). Read from ``fixtures/sandbox/catalogue.json``:
the same every run."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sandbox import fixtures


@dataclass(frozen=True)
class Product:
    sku: str
    title: str
    warehouse: int
    price: Decimal  # the supplier's price to the seller, before tax
    retail: Decimal  # the channel's price to the buyer
    stock: int = 1_000_000
    active: bool = True
    #: BigBuy's id: a product's id, or a variation's id when ``parent`` is set
    id: int = 0
    #: the product id a variation belongs to; None for a product
    parent: int | None = None


def _products(data: dict[str, Any]) -> list[Product]:
    out: list[Product] = []
    for item in data["products"]:
        product = Product(item["sku"], item["title"], int(item["warehouse"]), Decimal(item["price"]),
                          Decimal(item["retail"]), int(item["stock"]), bool(item["active"]), int(item["id"]))
        out.append(product)
        for v in item.get("variations", []):
            out.append(Product(v["sku"], v["title"], product.warehouse, Decimal(v["price"]), Decimal(v["retail"]),
                               int(v["stock"]), product.active, int(v["id"]), parent=product.id))
    return out


_DATA = fixtures.load("catalogue.json")
SHIPPING_PER_WAREHOUSE = Decimal(_DATA["shipping_per_warehouse"])
TAX_RATE = Decimal(_DATA["tax_rate"])

PRODUCTS: tuple[Product, ...] = tuple(_products(_DATA))
BY_SKU: dict[str, Product] = {p.sku: p for p in PRODUCTS}
#: products the standard seed orders draw from: in stock, active, not sold in variations
STANDARD = tuple(p for p in PRODUCTS if p.price == Decimal("25.50") and p.stock and p.active and p.parent is None)
ACCESSORIES_W1 = tuple(p for p in PRODUCTS if p.price == Decimal("10.50") and p.warehouse == 1)
ACCESSORIES_W3 = tuple(p for p in PRODUCTS if p.price == Decimal("10.50") and p.warehouse == 3)
OUT_OF_STOCK = BY_SKU["S0009001"]
DISCONTINUED = BY_SKU["S0009002"]


def supplier_total(lines: list[tuple[str, int]]) -> Decimal:
    """What the supplier charges for these lines, tax and shipping included (unknown SKUs ignored)."""
    net = Decimal("0")
    warehouses: set[int] = set()
    for sku, qty in lines:
        product = BY_SKU.get(sku)
        if product is None:
            continue
        net += product.price * qty
        warehouses.add(product.warehouse)
    net += SHIPPING_PER_WAREHOUSE * len(warehouses)
    return (net * (1 + TAX_RATE)).quantize(Decimal("0.01"))
