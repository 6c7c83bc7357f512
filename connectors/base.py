"""The connector contract: what the engine asks of a channel and of a supplier.

A connector is a class with declarative attributes and a few small hooks; the orchestration
(cursors, paging loops, storage, retries across messages) lives once, in ``sync``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, ClassVar, Protocol

import httpx
from pydantic import BaseModel, ConfigDict, Field, SecretStr

from connectors.errors import FailLoudly, ParseError
from connectors.ratelimit import Pacer, Unpaced
from connectors.records import (
    ChannelOrder,
    OrderPage,
    Quote,
    RejectedBody,
    Shipment,
    ShippingOption,
    SupplierOrderRequest,
    SupplierSubmission,
    Tracking,
)
from connectors.webhooks import BadSignature, Delivery, Subscription


class ConnectorConfig(BaseModel):
    """How to reach one account. ``credentials`` values are secrets: never logged, never in errors."""

    model_config = ConfigDict(extra="forbid")

    name: str
    kind: str
    url: str
    credentials: dict[str, SecretStr] = Field(default_factory=dict)
    settings: dict[str, Any] = Field(default_factory=dict)

    def secret(self, key: str) -> str:
        value = self.credentials.get(key)
        if value is None:
            raise KeyError(f"credential {key!r} is not configured for {self.name}")
        return value.get_secret_value()


KnownBodies = Callable[[list[Any]], dict[int, datetime]]


class CredentialsKeeper(Protocol):
    """Writes credentials a platform handed out (a token refresh) back to the account's stored row,
    on condition that the row still holds ``replaces`` (the values they supersede); answers False
    when it does not (the operator set new ones meanwhile): nothing is written then."""

    def __call__(self, replaces: dict[str, str], credentials: dict[str, str], settings: dict[str, Any]) -> bool: ...


class Connector(ABC):
    kind: ClassVar[str]  # the name it is registered under (its entry point)
    role: ClassVar[str]  # "channel" or "supplier"
    #: the credential keys an account of this kind needs (None: not declared, nothing is checked)
    credential_keys: ClassVar[tuple[str, ...] | None] = None
    #: credential keys an account of this kind may have but does not need (``webhook_secret``)
    optional_credential_keys: ClassVar[tuple[str, ...]] = ()
    #: the kind's own account settings; an account is refused a setting no model declares
    settings_model: ClassVar[type[BaseModel] | None] = None
    #: set by the engine for an account stored in the database; a connector whose platform issues
    #: new credentials (single-use refresh tokens) keeps them there, so a restart does not lose them
    credentials_keeper: CredentialsKeeper | None = None

    def __init__(
        self,
        config: ConnectorConfig,
        *,
        transport: httpx.BaseTransport | None = None,
        pacer: Pacer | None = None,
    ) -> None:
        self.config = config
        self.pacer = pacer or Unpaced()
        self.client = self.make_client(transport)

    @abstractmethod
    def make_client(self, transport: httpx.BaseTransport | None) -> httpx.Client:
        """Build the httpx client with ``connectors.http.make_client``."""

    @abstractmethod
    def check(self) -> str:
        """One cheap call, made once (no retry), that proves the URL and the credentials work.

        Answers what answered ("GET orders.json?limit=1 answered"); failures are raised from the
        error tree (``AuthenticationFailed`` for refused credentials). Health checks call this and
        nothing else, so a new connector needs no change outside its package.
        """

    def close(self) -> None:
        self.client.close()

    def __enter__(self) -> Connector:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class ChannelConnector(Connector):
    """A sales channel: orders come in, tracking goes back."""

    role: ClassVar[str] = "channel"
    #: how far back each pull re-reads, so late writes and shifting pages are not missed
    overlap_seconds: ClassVar[int] = 300
    #: the key of an order body that holds its id: a quarantined body keeps it, so an operator
    #: knows which order it was
    id_field: ClassVar[str] = "id"
    #: set by the engine for a pull: given a page's bodies, the positions of those it stores
    #: already exactly as they are -> the stored order's time
    known_bodies: KnownBodies | None = None
    #: True when an order is read from its body alone (no other call, nothing the connector adds
    #: after ``parse_order``) and the paging does not depend on the parsed orders: then
    #: ``parse_bodies`` leaves the bodies ``known_bodies`` names unparsed
    orders_from_bodies_alone: ClassVar[bool] = False

    def share_pacing(self, storage_uri: str) -> None:
        """The engine's rate-limit storage (``memory://``, ``file://...``, ``redis://...``): a
        connector that paces itself by the platform's own limits keeps its buckets there, so every
        process of the account shares them. Nothing to do for one that does not pace."""
        return None

    @abstractmethod
    def fetch_orders(self, since: datetime | None, page: str | None = None) -> OrderPage:
        """One page of orders updated at or after ``since``, oldest first.

        ``page`` is the ``next_page`` token of the previous page of the same query. Bodies that
        cannot be parsed are returned in ``OrderPage.rejected``, never raised, so the rest of the
        page goes on.
        """

    def fetch_order(self, external_id: str) -> OrderPage | None:
        """The channel's current version of one order, read by its external id, as a page of one
        (a body that cannot be parsed is in ``rejected``; an order the channel no longer has is
        an empty page).

        Optional: None means this connector cannot read one order, and callers (the reconciler's
        check of unpaid orders) skip its channels. Each call is paced like ``fetch_orders``.
        """
        return None

    @classmethod
    @abstractmethod
    def order_bodies(cls, body: Any) -> list[Any]:
        """Split a response body (as the API returns it) into one body per order.

        Raises ``ParseError`` when the body is not of the expected shape at all."""

    @classmethod
    @abstractmethod
    def parse_order(cls, body: Any) -> ChannelOrder:
        """Read one order body. Raises only this connector's ``ParseError``."""

    def check(self) -> str:
        """By default the smallest read every channel offers: orders updated from now on."""
        self.fetch_orders(datetime.now(UTC))
        return "orders read"

    def parse_page(self, body: Any) -> OrderPage:
        """Parse a whole response body, quarantining what cannot be read."""
        return parse_bodies(self, self.order_bodies(body))

    @abstractmethod
    def push_tracking(self, shipment: Shipment) -> None:
        """Report one shipment and its tracking to the channel."""

    def mark_paid(self, external_id: str) -> bool:
        """Tell the channel the seller confirmed the order's payment in OrderHub. Safe to repeat:
        an order the channel shows paid (or moved on: cancelled, completed) is left alone.
        Returns whether anything was written; this kind writes nothing by default."""
        return False

    # webhooks (optional) ---------------------------------------------------------------------

    #: the topics ``channels webhooks register`` subscribes to; empty: this kind takes no webhooks
    webhook_topics: ClassVar[tuple[str, ...]] = ()
    #: True: OrderHub chooses the deliveries' secret and gives it to the platform (WooCommerce);
    #: False: the platform signs with a secret of its own, set as a credential (Shopify's app secret)
    webhook_secret_is_ours: ClassVar[bool] = False

    @classmethod
    def read_webhook(cls, headers: Mapping[str, str], body: bytes, secret: str | None) -> Delivery:
        """Check the delivery's signature against ``secret`` over the raw ``body``, then say what
        it asks. Raises ``BadSignature`` for anything not signed with the secret (a platform's
        unsigned ping is the one exception, answered as ``action="ping"``)."""
        raise BadSignature(f"{cls.kind} takes no webhooks")

    def register_webhooks(self, address: str, secret: str) -> list[Subscription]:
        """Subscribe ``address`` to ``webhook_topics`` (those already there are kept, signed
        with ``secret`` where the platform takes one); answers every subscription to it."""
        raise FailLoudly(f"{self.kind} takes no webhooks")

    def list_webhooks(self) -> list[Subscription]:
        """The platform's subscriptions for this account."""
        raise FailLoudly(f"{self.kind} takes no webhooks")


def parse_bodies(
    connector: ChannelConnector | type[ChannelConnector], bodies: list[Any], *, known: KnownBodies | None = None
) -> OrderPage:
    """``known`` (by default the connector's ``known_bodies``): bodies stored already as they are
    are counted in ``OrderPage.unchanged`` and not parsed, for a connector whose orders are read
    from their bodies alone."""
    page = OrderPage()
    known = known or connector.known_bodies
    if known is not None and connector.orders_from_bodies_alone and bodies:
        skipped = known(bodies)
        if skipped:
            page.unchanged = len(skipped)
            page.unchanged_until = max(skipped.values())
            bodies = [b for i, b in enumerate(bodies) if i not in skipped]
    for body in bodies:
        try:
            page.orders.append(connector.parse_order(body))
        except ParseError as exc:
            external_id = body.get(connector.id_field) if isinstance(body, dict) else None
            page.rejected.append(
                RejectedBody(
                    body=body,
                    error=str(exc),
                    external_id=None if external_id is None else str(external_id)[:100],
                )
            )
    return page


class SupplierConnector(Connector):
    """A dropshipping supplier: orders go out, status and tracking come back."""

    role: ClassVar[str] = "supplier"
    #: how many orders one tracking call may ask about
    tracking_batch_size: ClassVar[int] = 100

    def check(self) -> str:
        """By default the wallet: every supplier account has one."""
        return f"wallet read ({self.wallet_balance()})"

    @abstractmethod
    def quote(self, request: SupplierOrderRequest) -> Quote:
        """Price and split the order without creating it."""

    @abstractmethod
    def create(self, request: SupplierOrderRequest) -> SupplierSubmission:
        """Create the order. A duplicate reference answers ``already_existed=True`` with the
        existing supplier ids, never an error. Raises ``OutcomeUnknown`` when the request may
        have been stored; ``NeedsReview`` is not raised: refusals come in the submission."""

    @abstractmethod
    def find_by_reference(self, internal_reference: str) -> SupplierSubmission | None:
        """The supplier orders made under this reference, or None when there are none."""

    @abstractmethod
    def tracking(self, supplier_order_ids: list[str]) -> list[Tracking]:
        """Tracking for up to ``tracking_batch_size`` supplier orders; orders without tracking
        yet are left out."""

    @abstractmethod
    def wallet_balance(self) -> Decimal:
        """The prepaid balance the supplier takes order payments from."""

    def shipping_options(self, request: SupplierOrderRequest) -> list[ShippingOption] | None:
        """How the supplier can ship this request; None when it cannot say (optional)."""
        return None

    def find_carrier(self, request: SupplierOrderRequest, choice: str) -> ShippingOption | None:
        """The option an operator's choice of carrier names (its code or its name, in any case or
        spacing), or None when the supplier does not offer it for this request. A supplier that
        cannot say accepts the choice as given."""
        options = self.shipping_options(request)
        if options is None:
            return ShippingOption(carrier=choice.strip(), name=choice.strip())
        wanted = _fold(choice)
        return next((o for o in options if wanted in (_fold(o.carrier), _fold(o.name))), None)

    def order_status(self, supplier_order_id: str) -> str | None:
        """The supplier's status word for one order (optional)."""
        return None

    def held_order(self, supplier_order_id: str) -> SupplierOrderRequest | None:
        """What one supplier order holds, in the shape it was asked for (delivery address, lines);
        None when the supplier cannot tell. An order found by reference is checked against it."""
        return None


def _fold(name: str) -> str:
    return "".join(name.split()).casefold()
