"""Canonical records: every connector turns its platform's bodies into these, and back.

Money is always ``Decimal`` and serialises as a decimal string; datetimes are timezone-aware UTC.
What the store can hold of a field is declared on it (``Stored``) and nowhere else.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator

from connectors.storable import Stored

PaymentStatus = Literal["pending", "authorized", "paid", "partially_refunded", "refunded", "voided", "unknown"]


def _money(column: str) -> Stored:
    return Stored(column, digits=14, places=2)


Name = Annotated[str | None, Stored("customers.first_name", length=200)]
Surname = Annotated[str | None, Stored("customers.last_name", length=200)]
Phone = Annotated[str | None, Stored("customers.phone", length=50)]
#: a guest customer is keyed ``email:<address>``
Email = Annotated[str | None, Stored("customers.external_id", length=200, key_prefix="email:")]


class Record(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


def _blank_to_none(value: Any) -> Any:
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return value


def as_utc(value: datetime) -> datetime:
    """Naive datetimes are taken as UTC (channels that give ``*_gmt`` fields give them naive)."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


class Address(Record):
    first_name: Name = None
    last_name: Surname = None
    company: str | None = None
    address1: str | None = None
    address2: str | None = None
    city: str | None = None
    region: str | None = None
    postcode: str | None = None
    country_code: str | None = None  # ISO 3166-1 alpha-2, upper case
    phone: Phone = None
    email: Email = None

    @field_validator("*", mode="before")
    @classmethod
    def _strip(cls, value: Any) -> Any:
        return _blank_to_none(value)

    @field_validator("country_code")
    @classmethod
    def _upper(cls, value: str | None) -> str | None:
        return value.upper() if value else value


class OrderLine(Record):
    sku: Annotated[str | None, Stored("order_lines.sku", length=100)] = None
    quantity: Annotated[int, Stored("order_lines.quantity", maximum=2**31 - 1)] = Field(ge=0)
    unit_price: Annotated[Decimal, _money("order_lines.unit_price")]
    title: str = ""  # cut to its column, not refused
    #: the channel's line id (Shopify needs it to fulfil)
    external_id: Annotated[str | None, Stored("order_lines.external_id", length=100)] = None

    @field_validator("sku", mode="before")
    @classmethod
    def _strip_sku(cls, value: Any) -> Any:
        return _blank_to_none(value)


class ChannelCustomer(Record):
    external_id: Annotated[str | None, Stored("customers.external_id", length=200)] = None
    email: Email = None
    phone: Phone = None
    first_name: Name = None
    last_name: Surname = None
    addresses: list[Address] = Field(default_factory=list)

    @field_validator("external_id", "email", "phone", "first_name", "last_name", mode="before")
    @classmethod
    def _strip(cls, value: Any) -> Any:
        return _blank_to_none(value)


class OrderNote(Record):
    """A value the connector derived instead of reading it (a surname split from the one name a
    channel gives): shown with the order; ``review`` holds the order for an operator."""

    field: str
    message: str
    review: bool = False


class ChannelOrder(Record):
    external_id: Annotated[str, Stored("orders.external_id", length=100)]
    number: Annotated[str, Stored("orders.number", length=100)]
    status: Annotated[str, Stored("orders.channel_status", length=50)]  # the channel's own word
    payment_status: PaymentStatus = "unknown"
    #: how the buyer pays, as the platform names it (WooCommerce ``payment_method`` "bacs", "cod";
    #: Shopify's gateway): some methods wait for the seller to confirm the payment
    payment_method: str | None = None
    currency: str
    total: Annotated[Decimal, _money("orders.total")]
    placed_at: datetime | None = None
    updated_at: datetime
    shipping_address: Address | None = None
    billing_address: Address | None = None
    lines: list[OrderLine] = Field(default_factory=list)
    customer: ChannelCustomer | None = None
    cancelled: bool = False
    test: bool = False
    #: the channel fulfilled the order (all or part) itself: bought or shipped elsewhere
    fulfilled_on_channel: bool = False
    #: lines that need no shipping (gift cards, digital items): kept apart so that they never
    #: reach the supplier nor the checks of what is sent
    unshipped_lines: list[OrderLine] = Field(default_factory=list)
    #: what the connector derived rather than read, for the operator to see
    notes: list[OrderNote] = Field(default_factory=list)
    raw: dict[str, Any] = Field(default_factory=dict, repr=False)
    #: set by a parser that held the order to the store's limits (``too_large``), with the raw
    #: body's JSON text it made to check the body (``storable_text``): the store uses both as they are
    _store_checked: bool = PrivateAttr(default=False)
    _raw_json: str | None = PrivateAttr(default=None)

    @field_validator("placed_at", "updated_at")
    @classmethod
    def _utc(cls, value: datetime | None) -> datetime | None:
        return as_utc(value) if value is not None else None

    @field_validator("currency")
    @classmethod
    def _currency_upper(cls, value: str) -> str:
        return value.upper()

    def checked_for_store(self, raw_json: str | None) -> ChannelOrder:
        """Marks the order as held to the store's limits by its parser; ``raw_json`` is ``raw``
        serialised by ``storable_text`` (None when not at hand)."""
        self._store_checked = True
        self._raw_json = raw_json
        return self

    # read straight from pydantic's store of private attributes: ``self._x`` goes through
    # ``BaseModel.__getattr__``, and ingest asks for both once per order
    @property
    def store_checked(self) -> bool:
        return bool((self.__pydantic_private__ or {}).get("_store_checked"))

    @property
    def raw_json(self) -> str | None:
        return (self.__pydantic_private__ or {}).get("_raw_json")


class RejectedBody(Record):
    """A body from a channel that could not be read: kept for an operator, never dropped."""

    body: Any
    error: str
    external_id: str | None = None


class OrderPage(Record):
    orders: list[ChannelOrder] = Field(default_factory=list)
    rejected: list[RejectedBody] = Field(default_factory=list)
    next_page: str | None = None  # opaque token to fetch the next page of the same query; None at the end
    #: bodies left unparsed because the store holds them already as they are, and the newest
    #: time among them (the cursor may move to it)
    unchanged: int = 0
    unchanged_until: datetime | None = None


# Supplier side ------------------------------------------------------------------------------


class SupplierLine(Record):
    supplier_sku: str
    quantity: int = Field(gt=0)


class SupplierAddress(Record):
    first_name: str
    last_name: str
    country_code: str
    postcode: str
    city: str
    address: str  # one line; BigBuy takes 70 characters at most
    phone: str
    email: str | None = None
    company: str | None = None
    comment: str | None = None


class SupplierOrderRequest(Record):
    internal_reference: str
    address: SupplierAddress
    lines: list[SupplierLine]
    carriers: list[str] = Field(default_factory=list)  # carrier names; several let the supplier pick
    language: str = "en"
    payment_method: str = "moneybox"


class SupplierOrder(Record):
    """One order at the supplier: a channel order can become several (one per warehouse)."""

    supplier_order_id: Annotated[str, Stored("supplier_orders.supplier_order_id", length=100)]
    warehouse: Annotated[str | None, Stored("supplier_orders.warehouse", length=50)] = None
    skus: list[str] = Field(default_factory=list)
    total: Annotated[Decimal | None, _money("supplier_orders.total")] = None


class SupplierRefusal(Record):
    """A coded refusal: ``code`` is one of the issue codes of the design."""

    code: str
    message: str
    field: Annotated[str | None, Stored("order_issues.field", length=200)] = None
    skus: list[str] = Field(default_factory=list)
    supplier_code: str | None = None  # the supplier's own code, e.g. ER003


class SupplierSubmission(Record):
    """What a create answered. ``orders`` and ``refusals`` can both be non-empty (partial create)."""

    internal_reference: str
    orders: list[SupplierOrder] = Field(default_factory=list)
    refusals: list[SupplierRefusal] = Field(default_factory=list)
    already_existed: bool = False  # the reference was used before (BigBuy ER008)


class Quote(Record):
    orders: list[SupplierOrder] = Field(default_factory=list)
    total: Decimal
    refusals: list[SupplierRefusal] = Field(default_factory=list)


class ShippingOption(Record):
    """One way the supplier can ship an order: ``carrier`` is the code an order names it by."""

    carrier: str
    name: str
    delay: str | None = None
    cost: Decimal | None = None


class Tracking(Record):
    supplier_order_id: str
    number: Annotated[str, Stored("shipments.tracking_number", length=100)]
    carrier: Annotated[str | None, Stored("shipments.carrier", length=100)] = None
    url: Annotated[str | None, Stored("shipments.url", length=500)] = None
    status: Annotated[str | None, Stored("shipments.status", length=200)] = None
    at: datetime | None = None

    @field_validator("at")
    @classmethod
    def _utc(cls, value: datetime | None) -> datetime | None:
        return as_utc(value) if value is not None else None


class Shipment(Record):
    """A shipment to report back to a channel: which lines went, under which tracking."""

    order_external_id: str
    tracking: Tracking
    lines: list[OrderLine] = Field(default_factory=list)  # empty: the whole order
    notify_customer: bool = True
