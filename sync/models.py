"""Tables. The database is the truth: messages only say "look now"."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    Numeric,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship, validates

from sync.search_keys import search_columns

Json = JSON().with_variant(JSONB(), "postgresql")
Money = Numeric(14, 2)
Id = BigInteger().with_variant(Integer(), "sqlite")  # SQLite only auto-increments INTEGER keys
#: the largest row id (BIGINT; SQLite's INTEGER is as wide): a bigger number typed names no row
MAX_ID = 2**63 - 1


def Searchable(length: int) -> String:  # noqa: N802 - a column type, named like one
    """Text compared by code point (PostgreSQL's ``C`` collation, SQLite's default), so that a
    prefix search is an index range whatever the database's locale."""
    return String(length).with_variant(String(length, collation="C"), "postgresql")


class UtcDateTime(TypeDecorator[datetime]):
    """Aware datetimes in, aware UTC datetimes out, on SQLite (which keeps no zone) as on PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Channel(Base):
    """A sales channel account, or a supplier account (``role``)."""

    __tablename__ = "channels"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    kind: Mapped[str] = mapped_column(String(50))
    role: Mapped[str] = mapped_column(String(20), default="channel")
    url: Mapped[str] = mapped_column(String(500))
    credentials: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    settings: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    #: the newest channel updated-at stored; each pull re-reads from here minus an overlap
    cursor: Mapped[datetime | None] = mapped_column(UtcDateTime)
    #: where an interrupted pull resumes: {"since": iso, "page": token}
    cursor_state: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    last_sync_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    #: supplier accounts: the wallet as last read, and when
    wallet_balance: Mapped[Decimal | None] = mapped_column(Money)
    wallet_read_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class Customer(Base):
    """One buyer of one channel (or one added by hand: no channel). Statistics per currency are
    ``CustomerStat`` rows, kept by ingest as orders arrive and change."""

    __tablename__ = "customers"
    __table_args__ = (UniqueConstraint("channel_id", "external_id"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    #: None for a customer added by hand (source "manual")
    channel_id: Mapped[int | None] = mapped_column(ForeignKey("channels.id"))
    #: the channel's customer id, or ``email:<address>`` for guests
    external_id: Mapped[str | None] = mapped_column(String(200))
    #: CN00000001...: given in order of creation, never reused; an operator may change it (unique)
    customer_code: Mapped[str | None] = mapped_column(String(30), unique=True)
    first_name: Mapped[str | None] = mapped_column(String(200))
    last_name: Mapped[str | None] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(320), index=True)
    phone: Mapped[str | None] = mapped_column(String(50))
    note: Mapped[str] = mapped_column(Text, default="", server_default="")
    level_id: Mapped[int | None] = mapped_column(ForeignKey("customer_levels.id", ondelete="SET NULL"))
    #: up to 10 shipping addresses, oldest first
    addresses: Mapped[list[dict[str, Any]]] = mapped_column(Json, default=list, server_default="[]")
    first_order_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_order_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    #: merged into another customer: hidden, and its channel's later orders go to that one
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"), index=True)
    erased_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class Order(Base):
    __tablename__ = "orders"
    __table_args__ = (
        UniqueConstraint("channel_id", "external_id"),
        # the lists' keyset order (oldest first within a state), and the capped counts per state
        Index("ix_orders_status_changed", "status", "status_changed_at", "id"),
        # the review queue alone (a tenth of the orders at most): its page, its count, the red dot
        Index("ix_orders_pending_review", "status_changed_at", "id", "channel_id",
              postgresql_where=text("status = 'pending_review'"), sqlite_where=text("status = 'pending_review'")),
        # the same by id, for a reason filter's look-ups (which orders of a reason are in review)
        Index("ix_orders_pending_review_id", "id", "status_changed_at", "channel_id",
              postgresql_where=text("status = 'pending_review'"), sqlite_where=text("status = 'pending_review'")),
        # the search's look-ups, each answered from its index alone (the id is in it)
        Index("ix_orders_number", "number", "id"),
        Index("ix_orders_search_name", "search_name", "id"),
        Index("ix_orders_search_surname", "search_surname", "id"),
        Index("ix_orders_search_email", "search_email", "id"),
        Index("ix_orders_search_phone", "search_phone", "id"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    channel_id: Mapped[int] = mapped_column(ForeignKey("channels.id"))
    external_id: Mapped[str] = mapped_column(String(100))
    number: Mapped[str] = mapped_column(String(100))  # indexed with the id (ix_orders_number)
    #: our state (see sync.states); the channel's own word is ``channel_status``
    status: Mapped[str] = mapped_column(String(30), default="new")
    status_changed_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    channel_status: Mapped[str] = mapped_column(String(50))
    payment_status: Mapped[str] = mapped_column(String(30))
    cancelled_on_channel: Mapped[bool] = mapped_column(Boolean, default=False)
    is_test: Mapped[bool] = mapped_column(Boolean, default=False)
    currency: Mapped[str] = mapped_column(String(3))
    total: Mapped[Decimal] = mapped_column(Money)
    placed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    channel_updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    shipping_address: Mapped[dict[str, Any] | None] = mapped_column(Json)
    billing_address: Mapped[dict[str, Any] | None] = mapped_column(Json)
    #: an operator edited the delivery address: later channel updates keep the edit
    shipping_edited: Mapped[bool] = mapped_column(Boolean, default=False)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"), index=True)
    #: the deterministic reference the supplier knows this order by
    internal_reference: Mapped[str] = mapped_column(String(64), unique=True)
    #: an operator's choice of carrier (shipping method) for the supplier
    carrier: Mapped[str | None] = mapped_column(String(100))
    #: an attempt left for the supplier and its outcome is not known: look up before re-sending
    outcome_unknown: Mapped[bool] = mapped_column(Boolean, default=False)
    forward_attempts: Mapped[int] = mapped_column(Integer, default=0)
    #: creates the supplier refused outright (an HTML 4xx, a broken answer) since the last success:
    #: after a few the order waits for an operator instead of spending a create per round
    create_failures: Mapped[int] = mapped_column(Integer, default=0)
    #: fingerprint of what was sent (address + lines), taken as the request is built, to tell a
    #: real change on the channel from a re-read
    sent_fingerprint: Mapped[str | None] = mapped_column(String(64))
    content_fingerprint: Mapped[str] = mapped_column(String(64))
    #: digest of the channel's body as last stored (``sync.ingest_known``): a re-read of the same
    #: body is passed over before it is parsed
    body_digest: Mapped[str | None] = mapped_column(String(32))
    raw: Mapped[dict[str, Any]] = mapped_column(Json)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)
    #: the delivery address's buyer as the admin searches it (``sync.search_keys``): written with
    #: the address, by ingest's rows as by an ORM assignment (below)
    search_name: Mapped[str | None] = mapped_column(Searchable(200))
    search_surname: Mapped[str | None] = mapped_column(Searchable(200))
    search_email: Mapped[str | None] = mapped_column(Searchable(320))
    search_phone: Mapped[str | None] = mapped_column(Searchable(50))

    lines: Mapped[list[OrderLine]] = relationship(
        back_populates="order", order_by="OrderLine.position", cascade="all, delete-orphan"
    )
    channel: Mapped[Channel] = relationship()

    @validates("shipping_address")
    def _derive_search(self, _key: str, address: dict[str, Any] | None) -> dict[str, Any] | None:
        for column, value in search_columns(address).items():
            setattr(self, column, value)
        return address


class OrderLine(Base):
    __tablename__ = "order_lines"
    __table_args__ = (UniqueConstraint("order_id", "position"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    external_id: Mapped[str | None] = mapped_column(String(100))
    sku: Mapped[str | None] = mapped_column(String(100))
    quantity: Mapped[int] = mapped_column(Integer)
    unit_price: Mapped[Decimal] = mapped_column(Money)
    title: Mapped[str] = mapped_column(String(500), default="")
    #: kilograms per unit, when the seller gave it (messenger orders)
    weight: Mapped[Decimal | None] = mapped_column(Numeric(12, 3))

    order: Mapped[Order] = relationship(back_populates="lines")


class OrderIssue(Base):
    """Why an order cannot go on. Open while ``closed_at`` is null."""

    __tablename__ = "order_issues"
    __table_args__ = (
        Index("ix_order_issues_open", "order_id", "closed_at"),
        # the open reasons: the admin's reason filter and the list of reasons to choose from
        Index("ix_order_issues_open_code", "code", "order_id", postgresql_where=text("closed_at IS NULL"),
              sqlite_where=text("closed_at IS NULL")),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(50), index=True)
    field: Mapped[str] = mapped_column(String(200), default="")
    message: Mapped[str] = mapped_column(Text, default="")
    #: "rules" (network-free, re-checked on every change) or "supplier" (its answer at forward time)
    source: Mapped[str] = mapped_column(String(20), default="rules")
    opened_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class OrderEvent(Base):
    """The order's history: every change of state, and operator actions."""

    __tablename__ = "order_events"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    actor: Mapped[str] = mapped_column(String(100))  # "worker" or "user:<name>"
    from_status: Mapped[str | None] = mapped_column(String(30))
    to_status: Mapped[str | None] = mapped_column(String(30))
    reason: Mapped[str] = mapped_column(Text, default="")


class SupplierOrderRow(Base):
    """One order at the supplier; a channel order can have several (one per warehouse)."""

    __tablename__ = "supplier_orders"
    __table_args__ = (UniqueConstraint("supplier_id", "supplier_order_id"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    supplier_id: Mapped[int] = mapped_column(ForeignKey("channels.id"))
    #: None until known (an order marked sent manually gives only its reference); searched by operators
    supplier_order_id: Mapped[str | None] = mapped_column(String(100), index=True)
    internal_reference: Mapped[str] = mapped_column(String(64), index=True)
    warehouse: Mapped[str | None] = mapped_column(String(50))
    skus: Mapped[list[str]] = mapped_column(Json, default=list)
    total: Mapped[Decimal | None] = mapped_column(Money)
    status: Mapped[str] = mapped_column(String(50), default="created")
    #: how it came to be known: "created", "duplicate_reference", "lookup", "manual"
    source: Mapped[str] = mapped_column(String(30), default="created")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    tracked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    #: the last time tracking was asked for (to spread polls fairly)
    polled_at: Mapped[datetime | None] = mapped_column(UtcDateTime, index=True)
    #: look-ups of a manual reference that found nothing (or failed); after a few, an operator is told
    lookup_failures: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class SupplierRequest(Base):
    """What was sent under one reference, written before the send: the supplier's look-up and
    its duplicate-reference answer name one order per reference, so only this says which lines
    the supplier should hold after a crash."""

    __tablename__ = "supplier_requests"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    internal_reference: Mapped[str] = mapped_column(String(64), unique=True)
    #: [[supplier_sku, quantity], ...]
    lines: Mapped[list[list[Any]]] = mapped_column(Json, default=list)
    #: the delivery address as sent (the supplier's shape)
    address: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    #: the order's fingerprint (address + lines) when this request was built from it
    fingerprint: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class Installation(Base):
    """Facts about this installation, written once (the supplier reference prefix)."""

    __tablename__ = "installation"

    key: Mapped[str] = mapped_column(String(50), primary_key=True)
    value: Mapped[str] = mapped_column(String(200))


class Shipment(Base):
    """A tracking number for a supplier order; pushed to the channel once. A self-delivered
    messenger order's shipment has no supplier order (the seller typed the tracking) and nothing
    to push to."""

    __tablename__ = "shipments"
    __table_args__ = (UniqueConstraint("supplier_order_row_id", "tracking_number"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    supplier_order_row_id: Mapped[int | None] = mapped_column(ForeignKey("supplier_orders.id", ondelete="CASCADE"))
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    tracking_number: Mapped[str] = mapped_column(String(100), index=True)  # searched by operators
    carrier: Mapped[str | None] = mapped_column(String(100))
    url: Mapped[str | None] = mapped_column(String(500))
    status: Mapped[str | None] = mapped_column(String(200))
    shipped_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    #: a worker took it to push; a claim older than a few minutes may be taken again
    push_claimed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    pushed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, index=True)
    push_error: Mapped[str | None] = mapped_column(Text)


class QuarantinedBody(Base):
    """A body a channel sent that could not be read: kept with its error, never dropped."""

    __tablename__ = "quarantined_bodies"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    channel_id: Mapped[int] = mapped_column(ForeignKey("channels.id"), index=True)
    external_id: Mapped[str | None] = mapped_column(String(100))
    error: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class CatalogueItem(Base):
    """The channel SKU -> supplier product map that ``unknown_sku`` is checked against."""

    __tablename__ = "catalogue"

    sku: Mapped[str] = mapped_column(String(100), primary_key=True)
    supplier_sku: Mapped[str] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(String(500), default="")
    #: the supplier's unit price before tax, for local wallet reservations
    cost: Mapped[Decimal | None] = mapped_column(Money)
    #: "supplier" (the same SKU at the supplier, kept by the catalogue sync) or "manual" (an
    #: operator's map or import: a sync never overwrites it)
    source: Mapped[str] = mapped_column(String(20), default="supplier", server_default="supplier")


class SupplierProduct(Base):
    """A reference the supplier sells, with its stock, as its catalogue lists last showed it."""

    __tablename__ = "supplier_products"
    __table_args__ = (UniqueConstraint("supplier_id", "sku"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    supplier_id: Mapped[int] = mapped_column(ForeignKey("channels.id", ondelete="CASCADE"))
    sku: Mapped[str] = mapped_column(String(100), index=True)
    product_id: Mapped[str] = mapped_column(String(50))
    variation_id: Mapped[str | None] = mapped_column(String(50))
    #: False once the supplier deactivates it or it leaves the catalogue (``discontinued``)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    stock: Mapped[int] = mapped_column(Integer, default=0)
    cost: Mapped[Decimal | None] = mapped_column(Money)
    #: the product's GTIN (BigBuy's ``ean13``; UPC-A and EAN-8 too) as 14 digits, zero-padded
    gtin: Mapped[str | None] = mapped_column(String(14), index=True)
    seen_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    stock_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class WebhookDelivery(Base):
    """A verified webhook delivery: unique per channel and delivery id, so a re-delivery is
    recognised and answered without doing the work twice. Kept a week (the reconciler prunes)."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (UniqueConstraint("channel_id", "delivery_id"),
                      Index("ix_webhook_deliveries_channel_received", "channel_id", "received_at"))

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    channel_id: Mapped[int] = mapped_column(ForeignKey("channels.id", ondelete="CASCADE"))
    delivery_id: Mapped[str] = mapped_column(String(200))
    topic: Mapped[str] = mapped_column(String(100))
    #: "order" (read the order again), "uninstalled"
    action: Mapped[str] = mapped_column(String(20))
    external_id: Mapped[str | None] = mapped_column(String(100))
    received_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    #: set once the order was read again and stored (or could not be, for good: see ``outcome``)
    processed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, index=True)
    outcome: Mapped[str | None] = mapped_column(String(300))


class KeptProof:
    """The columns of an uploaded proof's row (a payment slip, a refund's payment proof): its type
    is what its bytes are, never what it was called; its bytes are in a ``sync.blobs`` store."""

    #: random, never the uploaded file's name
    name: Mapped[str] = mapped_column(String(64), unique=True)
    content_type: Mapped[str] = mapped_column(String(50))
    size: Mapped[int] = mapped_column(Integer)
    #: which store of ``sync.blobs`` holds the bytes ("database", "s3"), under ``blob_key``
    storage: Mapped[str] = mapped_column(String(20), default="database", server_default="database")
    blob_key: Mapped[str | None] = mapped_column(String(250))
    #: the bytes of a proof kept before the stores existed (newer proofs: None)
    data: Mapped[bytes | None] = mapped_column(LargeBinary)
    uploaded_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


# the account and alert tables register on the same metadata (migrations and create_all see them)
from sync import account_models as _account_models  # noqa: E402,F401
from sync import after_sales_models as _after_sales_models  # noqa: E402,F401
from sync import alert_models as _alert_models  # noqa: E402,F401
from sync import blob_models as _blob_models  # noqa: E402,F401
from sync import customer_models as _customer_models  # noqa: E402,F401
from sync import messenger_models as _messenger_models  # noqa: E402,F401
from sync import payment_models as _payment_models  # noqa: E402,F401
from sync import stock_models as _stock_models  # noqa: E402,F401
