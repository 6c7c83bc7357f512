"""How the Shopify sandbox renders its orders and fulfillment orders in the REST Admin wire
format: times in the shop's zone, money as strings, the fields Shopify always sends."""

from __future__ import annotations

import zlib
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

from sandbox import catalogue, seeding

SHOP_TZ = timezone(timedelta(hours=1))  # the shop's time zone: Shopify renders times in it
SHOP_ID = 548_380_009
LOCATIONS = {1: 64_000_001, 3: 64_000_003}  # supplier warehouse -> shop location
FO_BASE = 7_000_000_000  # fulfillment order ids: FO_BASE + order_id * 10 + warehouse
FOLI_BASE = 8_000_000_000  # fulfillment order line item ids: FOLI_BASE + line id
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


class BadRequest(Exception):
    def __init__(self, errors: Any, status: int = 400) -> None:
        super().__init__(str(errors))
        self.errors = errors
        self.status = status


def iso(moment: datetime) -> str:
    return moment.astimezone(SHOP_TZ).isoformat(timespec="seconds")


def _money(amount: Decimal) -> str:
    return f"{amount:.2f}"


def _money_set(amount: str, currency: str) -> dict[str, Any]:
    return {"shop_money": {"amount": amount, "currency_code": currency},
            "presentment_money": {"amount": amount, "currency_code": currency}}


def _stable_id(text: str, base: int) -> int:
    return base + zlib.crc32(text.encode()) % 1_000_000_000


def render_line(line: seeding.LineSpec, currency: str, fulfilled: dict[int, int]) -> dict[str, Any]:
    """An order line; ``fulfilled`` maps line id -> quantity fulfilled so far."""
    done = fulfilled.get(line.line_id, 0)
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


def render_order(spec: seeding.OrderSpec, fulfilled: dict[int, int],
                 fulfillments: list[dict[str, Any]]) -> dict[str, Any]:
    """An order with its lines, customer and the fulfillments made of it."""
    address = {
        "first_name": spec.first_name or None, "address1": spec.address1, "phone": spec.phone or None,
        "city": spec.city, "zip": spec.postcode, "province": spec.region,
        "country": _COUNTRIES.get(spec.country_code, spec.country_code),
        "last_name": spec.last_name or None, "address2": spec.address2 or None,
        "company": spec.company or None, "latitude": None, "longitude": None,
        "name": f"{spec.first_name} {spec.last_name}".strip(),
        "country_code": spec.country_code, "province_code": spec.region,
    }
    lines = [render_line(ln, spec.currency, fulfilled) for ln in spec.lines]
    subtotal = sum((ln.unit_price * ln.quantity for ln in spec.lines), Decimal("0"))
    shipped = sum(fulfilled.get(ln.line_id, 0) for ln in spec.lines)
    wanted = sum(ln.quantity for ln in spec.lines)
    total = _money(spec.total)
    customer = None
    if spec.customer_id is not None:
        customer = {
            "id": spec.customer_id, "email": spec.email, "created_at": iso(spec.created_at),
            "updated_at": iso(spec.created_at), "first_name": spec.first_name or None,
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
        "email": spec.email, "contact_email": spec.email, "created_at": iso(spec.created_at),
        "updated_at": iso(spec.updated_at), "processed_at": iso(spec.created_at),
        "cancelled_at": iso(spec.updated_at) if spec.cancelled else None,
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
        "fulfillments": list(fulfillments),
    }


def render_fulfillment_orders(spec: seeding.OrderSpec, fulfilled: dict[int, int]) -> list[dict[str, Any]]:
    """One fulfillment order per supplier warehouse the order's lines ship from."""
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
                  "fulfillable_quantity": max(0, ln.quantity - fulfilled.get(ln.line_id, 0)),
                  "variant_id": _stable_id(ln.sku, 40_000_000_000)} for ln in lines]
        done = any(fulfilled.get(ln.line_id) for ln in lines)
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
            "created_at": iso(spec.created_at), "updated_at": iso(spec.updated_at),
            "assigned_location": {"location_id": location, "name": f"Warehouse {warehouse}", "country_code": "ES"},
            **_FO_STATIC,
        })
    return result
