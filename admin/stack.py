"""The sandbox stack: the sandbox servers on loopback with their seeded data, and the channel and
supplier rows that point at them. Used by ``demo``, ``sandbox`` and the tests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sandbox import catalogue, seeding
from sandbox.amazon import AmazonSandbox
from sandbox.bigbuy import BigBuyFaults, BigBuySandbox
from sandbox.server import App, Faults, Running
from sandbox.shopee import ShopeeSandbox
from sandbox.shopify import ShopifySandbox
from sandbox.woocommerce import WooCommerceSandbox
from sync.db import Database
from sync.models import CatalogueItem, Channel
from sync.upsert import upsert

#: older than the two minutes (and the connector's margin) Amazon hides the latest changes for
AMAZON_SETTLE = timedelta(minutes=5)


@dataclass
class SandboxStack:
    shopify: Running
    woocommerce: Running
    bigbuy: Running
    scenario: seeding.Scenario
    wallet: Decimal
    seeded: int = 0
    #: served when asked for (``orderhub sandbox``, the demo); registered by ``register`` when served
    shopee: Running | None = None
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

    @property
    def amazon_app(self) -> AmazonSandbox | None:
        return self.amazon.app if self.amazon else None  # type: ignore[return-value]

    def advance_channels(self, step: int) -> None:
        self.shopify_app.advance(step)
        self.woocommerce_app.advance(step)
        if self.shopee_app is not None:
            self.shopee_app.advance(step)
        if self.amazon_app is not None:
            # Amazon lists only what changed more than two minutes ago: the change is dated back so
            # the next pull sees it now rather than after a wait
            self.amazon_app.advance(step, at=datetime.now(UTC).replace(microsecond=0) - AMAZON_SETTLE)

    def orders_on_channels(self) -> int:
        return self.seeded

    def shop_specs(self, *, masked: bool = True) -> list[list[seeding.OrderSpec]]:
        """Every shop's seeded orders; ``masked=False`` leaves out the buyers a shop masks."""
        shops = [self.shopify_app.specs, self.woocommerce_app.specs]
        if self.amazon_app is not None:
            shops.append(self.amazon_app.specs)
        if (shopee := self.shopee_app) is not None:
            shops.append([s for s in shopee.specs if masked or not shopee.masked(s)])
        return shops

    def expected(self) -> dict[str, int]:
        """What a run over every shop must end with, given the supplier's wallet: the clean orders
        the wallet covers are forwarded, the clean ones past it wait for a top-up."""
        shops = self.shop_specs(masked=False)
        clean = sum(1 for specs in shops for s in specs if not s.flaws and not any(
            c.kind == "cancel" for c in s.changes) and not s.cancelled)
        covered = min(clean, int(self.wallet // seeding.STANDARD_COST))
        cancelled = sum(1 for specs in self.shop_specs() for s in specs
                        if s.cancelled or any(c.kind == "cancel" for c in s.changes))
        return {"forwarded": covered, "cancelled": cancelled, "insufficient_wallet": clean - covered}

    def stop(self) -> None:
        for s in (self.shopify, self.woocommerce, self.bigbuy, self.shopee, self.amazon):
            if s is not None:
                s.stop()


def start(
    *,
    scenario: seeding.Scenario | None = None,
    wallet: Decimal | None = None,
    covered: int | None = 36,
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
    """``shopee_port``: also serve Shopee on that port (0: any free one); ``amazon``: also serve
    this Amazon sandbox. The wallet pays for ``covered`` standard orders; ``covered=None``: for
    exactly the orders clean and paid at the first pull of every shop served."""
    scenario = scenario or seeding.Scenario()
    if shopify_orders is None:
        shopify_orders = seeding.generate("shopify", scenario, seed=seed, first_id=450_789_001)
    if woocommerce_orders is None:
        woocommerce_orders = seeding.generate("woocommerce", scenario, seed=seed, first_id=701)
    shops: list[tuple[App, int]] = [(ShopifySandbox(shopify_orders, faults=channel_faults), ports[0]),
                                    (WooCommerceSandbox(woocommerce_orders, faults=channel_faults), ports[1])]
    shopee: ShopeeSandbox | None = None
    if shopee_port is not None:
        shopee = ShopeeSandbox(seeding.generate("shopee", scenario, seed=seed, first_id=8_800_001),
                               faults=channel_faults)
    if wallet is None:
        wallet = seeding.wallet_for(covered if covered is not None else first_round(
            [shopify_orders, woocommerce_orders, amazon.specs if amazon else [],
             [s for s in shopee.specs if not shopee.masked(s)] if shopee else []]))
    bb = BigBuySandbox(wallet=wallet, rate_per_second=bigbuy_rate, faults=bigbuy_faults)
    running: list[Running] = []
    try:  # a port in use stops the start: the servers already up are stopped, not left behind
        for app, port in (*shops, (bb, ports[2])):
            running.append(Running(app, host, port).start())
        stack = SandboxStack(running[0], running[1], running[2], scenario, wallet,
                             seeded=len(shopify_orders) + len(woocommerce_orders))
        if shopee is not None:
            stack.shopee = Running(shopee, host, shopee_port or 0).start()
            running.append(stack.shopee)
            stack.seeded += len(shopee.specs)
        if amazon is not None:
            stack.amazon = Running(amazon, host, amazon_port).start()
            running.append(stack.amazon)
            stack.seeded += len(amazon.specs)
    except BaseException:
        for server in running:
            server.stop()
        raise
    return stack


def first_round(shops: list[list[seeding.OrderSpec]]) -> int:
    """Orders with no flaw, paid and not cancelled when the shops are first pulled: what a
    wallet must pay for so that it runs dry on exactly the orders paid later."""
    return sum(1 for specs in shops for s in specs if not s.flaws and s.paid and not s.cancelled)


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
    """Channel and supplier rows pointing at every shop of the stack, and the catalogue the
    supplier sells. Returns the rows' ids by platform."""
    described = stack.describe()
    ids: dict[str, int] = {}
    common = {"pull_every_seconds": 60, "first_pull_hours": seeds_first_pull_hours(), **(channel_settings or {})}
    extra: dict[str, dict[str, Any]] = {
        "amazon": {"token_url": described.get("amazon", {}).get("token_url")},
    }
    with db.session() as session:
        for kind in ("shopify", "woocommerce", "amazon", "shopee"):
            if kind not in described:
                continue
            info = dict(described[kind])
            url = info.pop("url")
            info.pop("token_url", None)
            row = Channel(name=f"{kind}-sandbox", kind=kind, role="channel", url=url, credentials=info,
                          settings={**common, **extra.get(kind, {})})
            session.add(row)
            session.flush()
            ids[kind] = row.id
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
