"""What both Amazon order shapes (v2026-01-01 and the v0 bundle) share once their fields are read:
where an order stands, its address with the derived name, its customer, its currency."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from connectors.amazon.errors import AmazonParseError
from connectors.amazon.fields import obj, text
from connectors.amazon.names import derived_note, split_name
from connectors.records import Address, ChannelCustomer, OrderLine, OrderNote, PaymentStatus

#: not paid yet at Amazon: the order waits
PENDING = frozenset({"PENDING", "PENDING_AVAILABILITY"})
PAID = frozenset({"UNSHIPPED", "PARTIALLY_SHIPPED", "SHIPPED"})
#: the seller shipped all or part already
SHIPPED = frozenset({"SHIPPED", "PARTIALLY_SHIPPED"})
#: v0 ``OrderStatus`` in the words of v2026 ``fulfillmentStatus``
V0_STATUS = {
    "Pending": "PENDING", "PendingAvailability": "PENDING_AVAILABILITY", "Unshipped": "UNSHIPPED",
    "PartiallyShipped": "PARTIALLY_SHIPPED", "Shipped": "SHIPPED", "InvoiceUnconfirmed": "SHIPPED",
    "Canceled": "CANCELLED", "Unfulfillable": "UNFULFILLABLE",
}
V0_FULFILLED_BY = {"MFN": "MERCHANT", "AFN": "AMAZON"}
#: each marketplace's currency, for orders that carry no amount yet (pending orders)
MARKETPLACE_CURRENCY = {
    "ATVPDKIKX0DER": "USD", "A2EUQ1WTGCTBG2": "CAD", "A1AM78C64UM0Y8": "MXN", "A2Q3Y263D00KWC": "BRL",
    "A1F83G8C2ARO7P": "GBP", "A1PA6795UKMFR9": "EUR", "A13V1IB3VIYZZH": "EUR", "APJ6JRA9NG5V4": "EUR",
    "A1RKKUPIHCS9HS": "EUR", "A1805IZSGTT6HS": "EUR", "AMEN7PMS3EDWL": "EUR", "A2NODRKZP88ZB9": "SEK",
    "A1C3SOZRARQ6R3": "PLN", "A33AVAJ2PDY3EV": "TRY", "A1VC38T7YXB528": "JPY", "A39IBJ37TRP1C6": "AUD",
    "A19VAU5U5O7RUS": "SGD", "A21TJRUUN4KGV": "INR", "A2VIGQ35RCS4UG": "AED", "A17E79C6D8DWNP": "SAR",
}
_ADDRESS_KEYS = ("name", "companyName", "addressLine1", "addressLine2", "addressLine3", "city",
                 "stateOrRegion", "postalCode", "countryCode", "phone")


@dataclass(frozen=True)
class Standing:
    status: str
    payment_status: PaymentStatus
    cancelled: bool
    fulfilled_on_channel: bool
    #: the seller ships it: Amazon-fulfilled (and unfulfillable) orders are none of OrderHub's
    ships: bool


def standing(status: str, fulfilled_by: str) -> Standing:
    ships = fulfilled_by == "MERCHANT" and status != "UNFULFILLABLE"
    payment: PaymentStatus = "pending" if status in PENDING else "paid" if status in PAID else "unknown"
    return Standing(status=status or "UNKNOWN", payment_status=payment, cancelled=status == "CANCELLED",
                    fulfilled_on_channel=ships and status in SHIPPED, ships=ships)


def delivery_address(value: Any, path: str, email: str | None) -> tuple[Address | None, list[OrderNote]]:
    """``value`` uses v2026 keys (v0 keys are lower-cased at their first letter before)."""
    block = obj(value, path)
    fields = {key: text(block.get(key), f"{path}.{key}") for key in _ADDRESS_KEYS}
    if not any(v and v.strip() for v in fields.values()):
        return None, []
    name = split_name(fields["name"])
    second = " ".join(v.strip() for v in (fields["addressLine2"], fields["addressLine3"]) if v and v.strip())
    address = Address(
        first_name=name.first_name, last_name=name.last_name, company=fields["companyName"],
        address1=fields["addressLine1"], address2=second, city=fields["city"],
        region=fields["stateOrRegion"], postcode=fields["postalCode"], country_code=fields["countryCode"],
        phone=fields["phone"], email=email,
    )
    return address, [derived_note()] if name.derived else []


def v0_keys(block: Any, path: str) -> dict[str, Any]:
    return {key[:1].lower() + key[1:]: value for key, value in obj(block, path).items()}


def customer(email: str | None, buyer_name: str | None, shipping: Address | None) -> ChannelCustomer | None:
    """Amazon has no buyer id: the (anonymised, per-order stable) buyer e-mail keys the customer."""
    if not (email and email.strip()):
        return None
    name = split_name(buyer_name)
    return ChannelCustomer(email=email, first_name=name.first_name, last_name=name.last_name,
                           addresses=[shipping] if shipping is not None else [])


def currency_of(found: str | None, line_currencies: list[str | None], marketplace: str | None) -> str:
    for candidate in (found, *line_currencies, MARKETPLACE_CURRENCY.get(marketplace or "")):
        if candidate:
            return candidate
    raise AmazonParseError("no currency: no total, no priced item and an unknown marketplace")


def lines_total(lines: list[OrderLine]) -> Decimal:
    return sum((ln.unit_price * ln.quantity for ln in lines), Decimal(0))
