"""The sandbox stack: the three sandbox servers on loopback with their seeded data, and the
channel and supplier rows that point at them. Used by ``demo``, ``sandbox`` and the tests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sandbox import catalogue, seeding
from sandbox.amazon import AmazonSandbox
from sandbox.bigbuy import BigBuyFaults, BigBuySandbox
from sandbox.server import Faults, Running
from sandbox.shopee import ShopeeSandbox
from sandbox.shopify import ShopifySandbox
from sandbox.woocommerce import WooCommerceSandbox
from sync.db import Database
from sync.models import CatalogueItem, Channel
from sync.upsert import upsert


@dataclass
class SandboxStack:
    shopify: Running
    woocommerce: Running
    bigbuy: Running
    scenario: seeding.Scenario
    wallet: Decimal
    seeded: int = 0
    #: served for ``orderhub sandbox``; not yet registered as a channel by ``register``
    shopee: Running | None = None
    #: served by ``orderhub sandbox`` (not by the demo)
    amazon: Running | None = None

    @property
    def shopify_app(self) -> ShopifySandbox:
        return self.shopify.app  # type: ignore[return-value]

    @property
    def woocommerce_app(self) -> WooCommerceSandbox:
        return self.woocommerce.app  # type: ignore[return-value]

    @property
    def bigbuy_app(self) -> BigBuySandbox:
        return self.bigbuy.app  # type: ignore[return-value]

    @property
    def shopee_app(self) -> ShopeeSandbox | None:
        return self.shopee.app if self.shopee else None  # type: ignore[return-value]

    def describe(self) -> dict[str, Any]:
        described: dict[str, Any] = {
            "shopify": {"url": self.shopify.url, **self.shopify_app.credentials()},
            "woocommerce": {"url": self.woocommerce.url, **self.woocommerce_app.credentials()},
            "bigbuy": {"url": self.bigbuy.url, "api_key": self.bigbuy_app.api_key},
        }
        if self.shopee is not None and self.shopee_app is not None:
            described["shopee"] = {"url": self.shopee.url, **self.shopee_app.credentials()}
        if self.amazon is not None:
            app = self.amazon.app
            assert isinstance(app, AmazonSandbox)
            described["amazon"] = {"url": self.amazon.url, "token_url": f"{self.amazon.url}/auth/o2/token",
                                   **app.credentials()}
        return described

    def advance_channels(self, step: int) -> None:
        self.shopify_app.advance(step)
        self.woocommerce_app.advance(step)

    def orders_on_channels(self) -> int:
        return self.seeded

    def stop(self) -> None:
        for s in (self.shopify, self.woocommerce, self.bigbuy, self.shopee, self.amazon):
            if s is not None:
                s.stop()


def start(
    *,
    scenario: seeding.Scenario | None = None,
    wallet: Decimal | None = None,
    covered: int = 36,
    bigbuy_rate: float = 1.0,
    seed: int = 7,
    channel_faults: Faults | None = None,
    bigbuy_faults: BigBuyFaults | None = None,
    host: str = "127.0.0.1",
    ports: tuple[int, int, int] = (0, 0, 0),
    shopify_orders: list[seeding.OrderSpec] | None = None,
    woocommerce_orders: list[seeding.OrderSpec] | None = None,
    shopee_port: int | None = None,
    amazon: AmazonSandbox | None = None,
    amazon_port: int = 0,
) -> SandboxStack:
    """``shopee_port``: also serve Shopee on that port (0: any free one)."""
    scenario = scenario or seeding.Scenario()
    wallet = wallet if wallet is not None else seeding.wallet_for(covered)
    if shopify_orders is None:
        shopify_orders = seeding.generate("shopify", scenario, seed=seed, first_id=450_789_001)
    if woocommerce_orders is None:
        woocommerce_orders = seeding.generate("woocommerce", scenario, seed=seed, first_id=701)
    shop = ShopifySandbox(shopify_orders, faults=channel_faults)
    woo = WooCommerceSandbox(woocommerce_orders, faults=channel_faults)
    bb = BigBuySandbox(wallet=wallet, rate_per_second=bigbuy_rate, faults=bigbuy_faults)
    running: list[Running] = []
    try:  # a port in use stops the start: the servers already up are stopped, not left behind
        for app, port in ((shop, ports[0]), (woo, ports[1]), (bb, ports[2])):
            running.append(Running(app, host, port).start())
    except BaseException:
        for server in running:
            server.stop()
        raise
    seeded = len(shopify_orders) + len(woocommerce_orders)
    stack = SandboxStack(running[0], running[1], running[2], scenario, wallet, seeded=seeded)
    if shopee_port is not None:
        shopee_orders = seeding.generate("shopee", scenario, seed=seed, first_id=8_800_001)
        try:
            stack.shopee = Running(ShopeeSandbox(shopee_orders, faults=channel_faults), host, shopee_port).start()
        except BaseException:
            stack.stop()
            raise
    if amazon is not None:
        try:
            stack.amazon = Running(amazon, host, amazon_port).start()
        except BaseException:
            stack.stop()
            raise
        stack.seeded += len(amazon.specs)
    return stack


def amazon_sandbox(*, seed: int = 7, faults: Faults | None = None, token_seconds: int = 3600,
                   revoked: bool = False) -> AmazonSandbox:
    """Amazon seeded like the other shops; its no-surname orders carry a one-word name."""
    app = AmazonSandbox(seeding.generate("amazon", seed=seed, first_id=1_001), faults=faults,
                        token_seconds=token_seconds)
    if revoked:
        app.revoke()
    return app


def register(db: Database, stack: SandboxStack, *, supplier_rate: float = 0.9,
             channel_settings: dict[str, Any] | None = None) -> dict[str, int]:
    """Channel and supplier rows pointing at the stack, and the catalogue the supplier sells."""
    described = stack.describe()
    ids: dict[str, int] = {}
    with db.session() as session:
        for name, kind in (("shopify", "shopify"), ("woocommerce", "woocommerce")):
            info = dict(described[name])
            url = info.pop("url")
            row = Channel(name=f"{name}-sandbox", kind=kind, role="channel", url=url, credentials=info,
                          settings={"pull_every_seconds": 60, "first_pull_hours": seeds_first_pull_hours(),
                                    **(channel_settings or {})})
            session.add(row)
            session.flush()
            ids[name] = row.id
        bb = described["bigbuy"]
        supplier = Channel(name="bigbuy-sandbox", kind="bigbuy", role="supplier", url=bb["url"],
                           credentials={"api_key": bb["api_key"]},
                           settings={"rate_per_second": supplier_rate, "carriers": ["gls", "correos"],
                                     "language": "en"})
        session.add(supplier)
        session.flush()
        ids["bigbuy"] = supplier.id
        load_catalogue(session)
    return ids


def seeds_first_pull_hours() -> int:
    """The seeded orders are dated from a fixed day: the first pull must reach back to it."""
    return int((datetime.now(UTC) - seeding.BASE_TIME).total_seconds() // 3600) + 24


def load_catalogue(session: Any) -> None:
    upsert(session, CatalogueItem.__table__, [  # type: ignore[arg-type]
        {"sku": p.sku, "supplier_sku": p.sku, "title": p.title, "cost": p.price} for p in catalogue.PRODUCTS
    ], keys=["sku"], update=["supplier_sku", "title", "cost"])
