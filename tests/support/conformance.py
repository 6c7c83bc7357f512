"""The connector conformance suite's machinery: a ``Profile`` per registered channel connector (how
to build it for its sandbox, make and change orders there, inject faults, read back what was
pushed), the two ways of reaching the sandbox (real HTTP on loopback, or respx handing each request
to the same sandbox in this process), and the pulls through the real engine into a real database.

A profile declares its platform's capabilities as class attributes; the cases that need one are
parametrised only over the profiles that declare it (no skips that would look like gaps).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar
from urllib.parse import parse_qs

import httpx
import respx
from sqlalchemy import func, select

from connectors.base import ChannelConnector
from connectors.records import OrderLine, Shipment, Tracking
from sandbox import seeding, server
from sync import connect
from sync.db import Database
from sync.ingest import PageResult
from sync.models import Channel, Order, OrderIssue, QuarantinedBody
from sync.pull import PullResult, pull_channel

from support import PAYLOADS

TRANSPORTS = ("sandbox", "respx")
#: specs are spaced this far apart (seeding: 7 minutes and some seconds)
TRACKING_CARRIER = "GLS"


class Waits:
    """Stands in for a connector's sleep: remembers each pause and lets it pass at once."""

    def __init__(self) -> None:
        self.seconds: list[float] = []
        self.now = 1_900_000_000.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.seconds.append(seconds)
        self.now += max(seconds, 0.0)


class Profile:
    """One channel connector as the suite sees it. Subclasses live in ``support.profiles``."""

    #: the suite's name for it (a kind may have several: Shopify REST and GraphQL)
    name: ClassVar[str]
    #: the registry kind it is built under
    kind: ClassVar[str]
    #: the platform's access tokens expire and are refreshed from a longer-lived credential
    expiring_credentials: ClassVar[bool] = False
    #: the platform hides buyer data itself (``****``), not only when a test makes it so
    masks_buyers: ClassVar[bool] = False
    #: a second parcel of one order is a second tracking record on the platform
    second_parcel: ClassVar[bool] = True
    #: what the sandbox's injected 429 asks to wait (None: it says nothing)
    retry_after: ClassVar[float | None] = None
    #: fixture files (under ``fixtures/payloads``) that hold order bodies as the API returns them
    payloads: ClassVar[tuple[str, ...]] = ()
    page_size: ClassVar[int] = 3

    def sandbox(self, specs: list[seeding.OrderSpec]) -> server.App:
        raise NotImplementedError

    def respx_shop(self, specs: list[seeding.OrderSpec]) -> server.App:
        """The platform respx serves: the sandbox with its bodies laid over the platform's published
        examples (``support.payload_shops``); the sandbox as it is for a platform that has none."""
        return self.sandbox(specs)

    def add_orders(self, app: server.App, specs: list[seeding.OrderSpec]) -> None:
        app.add_orders(specs)  # type: ignore[attr-defined]

    def external_id(self, spec: seeding.OrderSpec) -> str:
        return str(spec.order_id)

    def credentials(self, app: server.App) -> dict[str, str]:
        return dict(app.credentials())  # type: ignore[attr-defined]

    def settings(self, url: str, redis_url: str) -> dict[str, Any]:
        """The channel's settings; ``redis_url`` (maybe empty) for what the platform shares there."""
        return {}

    def tune(self, connector: ChannelConnector, shop: Shop) -> None:
        """Pauses pass at once and are counted."""
        connector.sleep = shop.waits.sleep  # type: ignore[attr-defined]

    def revoke(self, app: server.App) -> None:
        raise NotImplementedError

    def reauthorise(self, app: server.App) -> dict[str, str]:
        """Undo ``revoke``; returns credentials the operator must set (empty: none)."""
        raise NotImplementedError

    def expire(self, app: server.App) -> None:
        """Every access token handed out so far is dead (``expiring_credentials`` only)."""
        raise NotImplementedError

    def refreshes(self, app: server.App) -> int:
        raise NotImplementedError

    def malform(self, app: server.App, spec: seeding.OrderSpec) -> None:
        """From now on the platform serves ``spec`` with a body the connector cannot read."""
        raise NotImplementedError

    def tracking_count(self, app: server.App, spec: seeding.OrderSpec, number: str) -> int:
        """How many tracking records the platform holds for ``spec`` under ``number``."""
        raise NotImplementedError

    def serve_payload(self, router: respx.MockRouter, url: str, bodies: list[Any]) -> None:
        """respx answers the connector's order listing with these order bodies (from a real
        payload) as one last page."""
        raise NotImplementedError


@dataclass
class Shop:
    """One platform under test and the connector settings that reach it."""

    profile: Profile
    app: server.App
    url: str
    specs: list[seeding.OrderSpec]
    #: the Redis the engine shares state through (tokens, buckets); empty on the embedded default
    redis_url: str = ""
    waits: Waits = field(default_factory=Waits)

    def spec(self, external_id: str) -> seeding.OrderSpec:
        return next(s for s in self.specs if self.profile.external_id(s) == external_id)

    def add(self, specs: list[seeding.OrderSpec]) -> None:
        self.specs.extend(specs)
        self.profile.add_orders(self.app, specs)


#: the fixture that opens a shop of the profile under test, seeded with these orders
OpenShop = Callable[[list[seeding.OrderSpec]], Shop]


def orders(channel: str, count: int, first_id: int = 5001) -> list[seeding.OrderSpec]:
    """Clean, paid orders, oldest first, a few minutes apart."""
    return seeding.bulk(channel, count, first_id=first_id)


def dispatch(app: server.App) -> Callable[[httpx.Request], httpx.Response]:
    """A respx side effect: the request, as it left the connector, handed to the sandbox."""

    def handle(request: httpx.Request) -> httpx.Response:
        inner = server.Request(
            method=request.method, path=request.url.path,
            query=parse_qs(request.url.query.decode(), keep_blank_values=True),
            headers={k.lower(): v for k, v in request.headers.items()}, body=request.read())
        answer = app.dispatch(inner)
        if answer.drop:
            raise httpx.RemoteProtocolError("the server closed the connection", request=request)
        return httpx.Response(answer.status, headers=answer.headers, content=answer.body)

    return handle


@contextmanager
def reach(profile: Profile, app: server.App, transport: str) -> Iterator[str]:
    """The URL the connector is given: the sandbox on loopback, or a host respx serves from the
    payload-shaped shop in this process."""
    if transport == "sandbox":
        with server.Running(app) as run:
            yield run.url
        return
    url = f"http://{profile.name}.conformance.test"
    with respx.mock(base_url=url, assert_all_called=False) as router:
        router.route().mock(side_effect=dispatch(app))
        yield url


def first_pull_hours() -> float:
    """Far enough back for the seeded orders (a channel's first pull reaches this far)."""
    return (datetime.now(UTC) - seeding.BASE_TIME).total_seconds() / 3600 + 48


def add_channel(db: Database, shop: Shop) -> int:
    with db.session() as s:
        row = Channel(name=f"conformance-{shop.profile.name}", kind=shop.profile.kind, role="channel", url=shop.url,
                      credentials=shop.profile.credentials(shop.app),
                      settings={"first_pull_hours": first_pull_hours(),
                                **shop.profile.settings(shop.url, shop.redis_url)})
        s.add(row)
        s.flush()
        return row.id


def pull(db: Database, shop: Shop, channel_id: int,
         after_commit: Callable[[PageResult], None] | None = None) -> PullResult:
    """One pull by the engine, with the connector the engine builds for the channel's row."""

    def build(row: Channel) -> ChannelConnector:
        connector = connect.channel_for(row)
        shop.profile.tune(connector, shop)
        return connector

    return pull_channel(db, channel_id, build, after_commit=after_commit)


def connector(db: Database, shop: Shop, channel_id: int) -> ChannelConnector:
    """The connector the engine builds for the channel (as the tracking push gets it)."""
    built = connect.channel_for(channel(db, channel_id))
    shop.profile.tune(built, shop)
    return built


def shipment(shop: Shop, spec: seeding.OrderSpec, number: str,
             lines: list[seeding.LineSpec] | None = None) -> Shipment:
    """A parcel of ``spec`` under ``number``: these lines, or (None) the whole order."""
    return Shipment(order_external_id=shop.profile.external_id(spec),
                    tracking=Tracking(supplier_order_id="S-1", number=number, carrier=TRACKING_CARRIER),
                    lines=[OrderLine(sku=ln.sku, quantity=ln.quantity, unit_price=ln.unit_price, title=ln.title)
                           for ln in lines or []])


def stored(db: Database, channel_id: int) -> dict[str, Order]:
    """The channel's orders by external id; fails if one is stored twice."""
    with db.session() as s:
        rows = s.scalars(select(Order).where(Order.channel_id == channel_id)).all()
    found = {row.external_id: row for row in rows}
    assert len(found) == len(rows), "an order was stored twice"
    return found


def channel(db: Database, channel_id: int) -> Channel:
    with db.session() as s:
        row = s.get(Channel, channel_id)
        assert row is not None
        return row


def quarantined(db: Database, channel_id: int) -> list[QuarantinedBody]:
    with db.session() as s:
        return list(s.scalars(select(QuarantinedBody).where(QuarantinedBody.channel_id == channel_id)).all())


def issue_codes(db: Database, order_id: int) -> set[str]:
    with db.session() as s:
        return set(s.scalars(select(OrderIssue.code).where(OrderIssue.order_id == order_id,
                                                           OrderIssue.closed_at.is_(None))).all())


def order_count(db: Database, channel_id: int) -> int:
    with db.session() as s:
        return int(s.scalar(select(func.count()).select_from(Order).where(Order.channel_id == channel_id)) or 0)


def later_than_all(specs: list[seeding.OrderSpec], seconds: int = 60) -> datetime:
    return max(s.updated_at for s in specs) + timedelta(seconds=seconds)


def payload_body(name: str) -> Any:
    return json.loads((PAYLOADS / name).read_text())
