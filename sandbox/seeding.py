"""Deterministic seed orders for the channel sandboxes, platform-neutral.

Each channel sandbox renders ``OrderSpec`` into its own wire format. Orders change over time:
``Change`` entries apply when the sandbox is advanced to their ``step`` (paid later, cancelled,
edited), so a run can replay the same story every time.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Literal

from sandbox import catalogue, fixtures

Flaw = Literal["no_surname", "bad_postcode", "unknown_sku", "out_of_stock", "long_address", "no_phone"]
ChangeKind = Literal["pay", "cancel", "edit_address", "edit_lines"]

BASE_TIME = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
#: every clean order costs the supplier this much (tax and shipping included)
STANDARD_COST = catalogue.supplier_total([(catalogue.STANDARD[0].sku, 1)])


@dataclass
class LineSpec:
    line_id: int
    sku: str
    quantity: int
    unit_price: Decimal  # the channel's price to the buyer
    title: str


@dataclass
class Change:
    step: int
    kind: ChangeKind


@dataclass
class OrderSpec:
    order_id: int
    number: int
    created_at: datetime
    updated_at: datetime
    currency: str
    customer_id: int | None  # None: a guest
    first_name: str
    last_name: str
    email: str
    phone: str
    company: str
    address1: str
    address2: str
    city: str
    region: str
    postcode: str
    country_code: str
    lines: list[LineSpec]
    paid: bool = True
    cancelled: bool = False
    test: bool = False
    flaws: tuple[Flaw, ...] = ()
    changes: list[Change] = field(default_factory=list)

    @property
    def total(self) -> Decimal:
        return sum((ln.unit_price * ln.quantity for ln in self.lines), Decimal("0")) + Decimal("4.95")

    def touched(self, at: datetime) -> OrderSpec:
        return replace(self, updated_at=at)


_PEOPLE = fixtures.load("people.json")
_FIRST: list[str] = _PEOPLE["first_names"]
_LAST: list[str] = _PEOPLE["last_names"]
_PLACES: list[tuple[str, str, str, str, str]] = [  # (country, city, region, good postcode, phone prefix)
    (p["country"], p["city"], p["region"], p["postcode"], p["phone_prefix"]) for p in _PEOPLE["places"]
]
_STREETS: list[str] = _PEOPLE["streets"]


@dataclass(frozen=True)
class Scenario:
    """How many orders of each kind a channel holds. Counts are exact, positions are seeded."""

    orders: int = 30
    no_surname: int = 2
    bad_postcode: int = 2
    unknown_sku: int = 2
    out_of_stock: int = 1
    paid_later: int = 3  # unpaid at first, paid at step 1
    cancelled_unpaid: int = 1  # unpaid at first, cancelled at step 1
    edited_after: int = 1  # clean and paid, address edited at step 2

    @property
    def flawed(self) -> int:
        return self.no_surname + self.bad_postcode + self.unknown_sku + self.out_of_stock

    @property
    def clean(self) -> int:
        return self.orders - self.flawed - self.cancelled_unpaid


def generate(channel: str, scenario: Scenario = Scenario(), seed: int = 7, first_id: int = 1001) -> list[OrderSpec]:
    """The orders of one channel. ``channel`` only salts the random stream and the ids."""
    rng = random.Random(f"{channel}:{seed}")
    kinds: list[str] = (
        ["no_surname"] * scenario.no_surname
        + ["bad_postcode"] * scenario.bad_postcode
        + ["unknown_sku"] * scenario.unknown_sku
        + ["out_of_stock"] * scenario.out_of_stock
        + ["paid_later"] * scenario.paid_later
        + ["cancelled_unpaid"] * scenario.cancelled_unpaid
        + ["edited_after"] * scenario.edited_after
    )
    if len(kinds) > scenario.orders:
        raise ValueError("scenario has more special orders than orders")
    kinds += ["clean"] * (scenario.orders - len(kinds))
    rng.shuffle(kinds)
    specs = []
    for i, kind in enumerate(kinds):
        specs.append(_order(rng, channel, first_id + i, i, kind))
    return specs


def _order(rng: random.Random, channel: str, order_id: int, index: int, kind: str) -> OrderSpec:
    country, city, region, postcode, phone_prefix = rng.choice(_PLACES)
    first, last = rng.choice(_FIRST), rng.choice(_LAST)
    created = BASE_TIME + timedelta(minutes=7 * index, seconds=rng.randint(0, 59))
    line_id = order_id * 10
    if rng.random() < 0.3:  # two accessories from two warehouses: same supplier cost as one standard
        a, b = rng.choice(catalogue.ACCESSORIES_W1), rng.choice(catalogue.ACCESSORIES_W3)
        products = [a, b]
    else:
        products = [rng.choice(catalogue.STANDARD)]
    lines = [LineSpec(line_id + n, p.sku, 1, p.retail, p.title) for n, p in enumerate(products)]
    spec = OrderSpec(
        order_id=order_id,
        number=order_id,
        created_at=created,
        updated_at=created + timedelta(seconds=30),
        currency="EUR",
        customer_id=None if rng.random() < 0.25 else 500 + rng.randint(0, 40),
        first_name=first,
        last_name=last,
        email=f"{first.lower()}.{last.lower().replace(' ', '')}.{order_id}@example.com",
        phone=f"{phone_prefix}{rng.randint(10_000_000, 99_999_999)}",
        company="",
        address1=f"{rng.choice(_STREETS)} {rng.randint(1, 200)}",
        address2=rng.choice(["", "", f"Piso {rng.randint(1, 9)}"]),
        city=city,
        region=region,
        postcode=postcode,
        country_code=country,
        lines=lines,
    )
    if kind == "no_surname":
        spec.last_name = ""
        spec.flaws = ("no_surname",)
    elif kind == "bad_postcode":
        spec.postcode = "ABC-12"
        spec.flaws = ("bad_postcode",)
    elif kind == "unknown_sku":
        spec.lines[0].sku = f"NOPE-{order_id}"
        spec.flaws = ("unknown_sku",)
    elif kind == "out_of_stock":
        p = catalogue.OUT_OF_STOCK
        spec.lines = [LineSpec(line_id, p.sku, 1, p.retail, p.title)]
        spec.flaws = ("out_of_stock",)
    elif kind == "paid_later":
        spec.paid = False
        spec.changes = [Change(1, "pay")]
    elif kind == "cancelled_unpaid":
        spec.paid = False
        spec.changes = [Change(1, "cancel")]
    elif kind == "edited_after":
        spec.changes = [Change(2, "edit_address")]
    return spec


def apply_change(spec: OrderSpec, change: Change, at: datetime) -> None:
    """Apply a change in place and bump ``updated_at`` as the channel would."""
    if change.kind == "pay":
        spec.paid = True
    elif change.kind == "cancel":
        spec.cancelled = True
    elif change.kind == "edit_address":
        spec.address2 = "Puerta 2 (changed by the buyer)"
    elif change.kind == "edit_lines":
        spec.lines[0].quantity += 1
    spec.updated_at = max(at, spec.updated_at + timedelta(seconds=1))


def wallet_for(orders_covered: int) -> Decimal:
    """A wallet that pays for exactly this many standard orders and runs dry on the next."""
    return STANDARD_COST * orders_covered + (STANDARD_COST / 2).quantize(Decimal("0.01"))


def advance(specs: list[OrderSpec], step: int, at: datetime) -> list[OrderSpec]:
    """Apply every change due at ``step``; returns the orders that changed."""
    changed = []
    for spec in specs:
        for change in spec.changes:
            if change.step == step:
                apply_change(spec, change, at)
                changed.append(spec)
    return changed


def bulk(channel: str, count: int, seed: int = 11, first_id: int = 1_000_001) -> list[OrderSpec]:
    """Many clean orders for benchmarks and fault-injection runs (no flaws, no changes)."""
    return generate(channel, Scenario(orders=count, no_surname=0, bad_postcode=0, unknown_sku=0,
                                      out_of_stock=0, paid_later=0, cancelled_unpaid=0, edited_after=0),
                    seed=seed, first_id=first_id)
