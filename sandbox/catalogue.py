"""The sandbox supplier's catalogue, shared by the channel sandboxes (which sell these SKUs) and
the BigBuy sandbox (which stocks and prices them). Deterministic: the same every run."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class Product:
    sku: str
    title: str
    warehouse: int
    price: Decimal  # the supplier's price to the seller, before tax
    retail: Decimal  # the channel's price to the buyer
    stock: int = 1_000_000
    active: bool = True


SHIPPING_PER_WAREHOUSE = Decimal("4.50")
TAX_RATE = Decimal("0.21")

_NAMES = ["Desk lamp", "Garden hose", "Yoga mat", "Kettle", "Backpack", "Phone case", "Mug set",
          "Headphones", "Blender", "Sun hat", "Toaster", "Board game"]


def _products() -> list[Product]:
    products: list[Product] = []
    # Prices are chosen so that a "standard" order costs the same whatever its shape (see
    # seeding.STANDARD_COST): one 25.50 product, or two 10.50 products from two warehouses.
    for i, name in enumerate(_NAMES):
        products.append(Product(f"S{1000 + i:07d}", name, 1 if i % 2 == 0 else 3,
                                Decimal("25.50"), Decimal("39.90")))
    for i in range(6):
        products.append(Product(f"S{2000 + i:07d}", f"Accessory {i + 1}", 1 if i < 3 else 3,
                                Decimal("10.50"), Decimal("17.90")))
    products.append(Product("S0009001", "Vintage radio", 1, Decimal("25.50"), Decimal("39.90"), stock=0))
    products.append(Product("S0009002", "Old model watch", 3, Decimal("25.50"), Decimal("39.90"), active=False))
    return products


PRODUCTS: tuple[Product, ...] = tuple(_products())
BY_SKU: dict[str, Product] = {p.sku: p for p in PRODUCTS}
STANDARD = tuple(p for p in PRODUCTS if p.price == Decimal("25.50") and p.stock and p.active)
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
