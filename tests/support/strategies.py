"""Shared pieces of the fuzz suite: JSON strategies, the real and sandbox-rendered order bodies of
every channel, random mutations at random paths, and the checks a parsed order must pass.

Everything here is generic over ``registry.channel_kinds()``: a new channel is fuzzed with
arbitrary JSON and with the bodies of its own ``payloads/<kind>/`` folder as soon as it registers;
a sandbox renderer added to ``RENDERERS`` brings its rendered bodies (with known personal data).
"""

from __future__ import annotations

import copy
import json
import math
import os
from collections.abc import Callable, Iterator
from datetime import datetime
from decimal import Decimal
from functools import cache
from typing import Any

from hypothesis import strategies as st

from connectors import errors
from connectors.base import ChannelConnector
from connectors.records import Address, ChannelOrder
from connectors.registry import channel_class, channel_kinds

from support import PAYLOADS

#: JSON numbers Python reads back: ``json.loads`` refuses integers of more than 4300 digits
HUGE_INT = 10**4000

KINDS = channel_kinds()

#: ORDERHUB_FUZZ_SCALE=20 runs every fuzzer twenty times longer (a deeper run by hand, not CI's)
SCALE = max(1.0, float(os.environ.get("ORDERHUB_FUZZ_SCALE", "1") or 1))


def examples(count: int) -> int:
    return max(1, int(count * SCALE))


# Arbitrary JSON -----------------------------------------------------------------------------------

#: text a parser may trip on: blanks, control and format characters, look-alike digits, number words
ODD_TEXTS = [
    "", " ", "\t\n", "\x00", "a\x00b", "\u200b", "\u202e", "\ufeff", "😀", "ﬀ", "İ", "ß", "\u0301",
    "٣٤", "１２", "Ⅻ", "-0", "0", "-1", "1e999", "-1e999", "1E+2", "NaN", "nan", "Infinity", "-inf", "0x1F",
    "1_000", " 12.5 ", "12,50", "12.", ".5", "+5", "9" * 30, "null", "true", "[]", "{}",
    "2024-02-30T00:00:00", "0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00", "2024-01-01T00:00:00Z",
    "2024-01-01", "24:00", "2024-01-01T00:00:00+25:00", "<script>", "&ndash;", "' OR 1=1 --",
    # what response.json() makes of "\\ud83d" (half an emoji) and of a pair's halves out of order
    "\ud83d", "a\udc00b", "\udc00\ud800",
]

#: text of any plane, including control and private-use characters; lone surrogates come from
#: ``ODD_TEXTS`` and the "surrogate" mutation (here they would crowd out everything else)
any_char = st.characters(exclude_categories=["Cs"])
any_text = st.text(any_char, max_size=40)


def _repeat(char: str, times: int) -> str:
    return char * times


odd_text = st.one_of(
    any_text,
    st.sampled_from(ODD_TEXTS),
    st.builds(_repeat, any_char | st.just("9"), st.sampled_from([300, 5000, 100_000])),
)
odd_floats = st.floats() | st.sampled_from([math.nan, math.inf, -math.inf, -0.0, 1e308, -1e308, 5e-324, 0.1 + 0.2])
_BIG_INTS = [0, -1, 2**31, 2**63, -(2**63), 10**20, -(10**20), 10**300, HUGE_INT, -HUGE_INT]
_BIG_NUMBERS: list[Any] = [10**20, 10**300, HUGE_INT, 1e308, "9" * 40, "1e400", str(10**20)]


def _big_int(i: int) -> int:
    return _BIG_INTS[i]


def _big_number(i: int) -> Any:
    return _BIG_NUMBERS[i]


# (drawn by index: a strategy's repr would print the 4000-digit numbers)
odd_ints = st.integers() | st.integers(0, len(_BIG_INTS) - 1).map(_big_int)
big_numbers = st.integers(0, len(_BIG_NUMBERS) - 1).map(_big_number)
scalars = st.none() | st.booleans() | odd_ints | odd_floats | odd_text


def json_values(keys: list[str] | None = None, max_leaves: int = 25) -> st.SearchStrategy[Any]:
    """Any value ``response.json()`` can give; dict keys lean on ``keys``."""
    key = st.sampled_from(keys) | any_text if keys else any_text
    return st.recursive(
        scalars,
        lambda inner: st.lists(inner, max_size=5) | st.dictionaries(key, inner, max_size=6),
        max_leaves=max_leaves,
    )


# The channels ---------------------------------------------------------------------------------


def connector(kind: str) -> type[ChannelConnector]:
    return channel_class(kind)


def own_parse_error(cls: type[ChannelConnector], exc: BaseException) -> bool:
    """The connector's own ParseError subclass: a ParseError defined in the connector's package."""
    package = cls.__module__.rsplit(".", 1)[0]
    return isinstance(exc, errors.ParseError) and type(exc) is not errors.ParseError and (
        type(exc).__module__ == package or type(exc).__module__.startswith(package + "."))


@cache
def _real(kind: str) -> tuple[tuple[Any, ...], tuple[Any, ...]]:
    folder = PAYLOADS / kind
    if not folder.is_dir():
        return (), ()
    cls = connector(kind)
    pages: list[Any] = []
    found: list[Any] = []
    for path in sorted(folder.glob("*.json")):
        page = json.loads(path.read_text())
        try:
            bodies = cls.order_bodies(copy.deepcopy(page))
        except errors.ParseError:
            continue
        readable = []
        for body in bodies:
            try:
                cls.parse_order(body)
            except errors.ParseError:
                continue
            readable.append(body)
        if readable:
            pages.append(page)
            found.extend(readable)
    return tuple(pages), tuple(found)


def real_bodies(kind: str) -> tuple[Any, ...]:
    """Every order body in ``payloads/<kind>/`` that the connector reads: each file goes through
    ``order_bodies`` and the bodies that parse are kept (customer or webhook files parse to none)."""
    return _real(kind)[1]


def real_pages(kind: str) -> tuple[Any, ...]:
    """The whole files (answers as the API gives them) that hold at least one such body."""
    return _real(kind)[0]


def _render_shopify(specs: list[Any]) -> list[dict[str, Any]]:
    from sandbox.shopify import ShopifySandbox

    app = ShopifySandbox([])
    return [app._render_spec(spec) for spec in specs]


def _render_woocommerce(specs: list[Any]) -> list[dict[str, Any]]:
    from sandbox.woocommerce import WooCommerceSandbox

    app = WooCommerceSandbox([])
    return [app.render(spec) for spec in specs]


def _render_shopee(specs: list[Any]) -> list[dict[str, Any]]:
    from sandbox.shopee import ShopeeSandbox

    app = ShopeeSandbox([])  # every fifth buyer masked, as Shopee masks them
    return [app.render(spec) for spec in specs]


def _render_amazon(specs: list[Any]) -> list[dict[str, Any]]:
    from sandbox.amazon_wire import INCLUDED_DATA, render

    return [render(spec, {}, INCLUDED_DATA) for spec in specs]


#: channel kind -> renders ``seeding.OrderSpec`` into that channel's wire format
RENDERERS: dict[str, Callable[[list[Any]], list[dict[str, Any]]]] = {
    "shopify": _render_shopify,
    "woocommerce": _render_woocommerce,
    "shopee": _render_shopee,
    "amazon": _render_amazon,
}


@cache
def sandbox_bodies(kind: str) -> tuple[tuple[dict[str, Any], frozenset[str]], ...]:
    """Sandbox-rendered bodies, each with the personal values (e-mail, phone, street) it holds."""
    render = RENDERERS.get(kind)
    if render is None:
        return ()
    from sandbox import seeding

    specs = seeding.generate(kind, seeding.Scenario(orders=16), seed=3)
    for spec in specs[:3]:  # the later states too: cancelled, with a second company line
        spec.cancelled, spec.company, spec.test = True, "ACME S.L.", True
    made = []
    for spec, body in zip(specs, render(specs), strict=True):
        personal = {spec.email, spec.phone, spec.address1}
        made.append((body, frozenset(v for v in personal if v and len(v) >= 6)))
    return tuple(made)


def known_bodies(kind: str) -> list[Any]:
    return list(real_bodies(kind)) + [body for body, _ in sandbox_bodies(kind)]


@cache
def field_names(kind: str) -> list[str]:
    """Every key of the kind's known bodies: arbitrary JSON built on them reaches the parsers."""
    names: set[str] = {"id", "orders", "order", "create", "update", "delete"}
    for body in known_bodies(kind):
        names.update(p[-1] for p in paths(body) if isinstance(p[-1], str))
    return sorted(names)


# Mutations ----------------------------------------------------------------------------------------

Path_ = tuple[str | int, ...]


def paths(value: Any, prefix: Path_ = ()) -> Iterator[Path_]:
    """Every key/index path below ``value`` (not the root itself)."""
    if isinstance(value, dict):
        items: Any = value.items()
    elif isinstance(value, list):
        items = enumerate(value)
    else:
        return
    for key, child in items:
        path = (*prefix, key)
        yield path
        yield from paths(child, path)


def _parent(body: Any, path: Path_) -> Any:
    for step in path[:-1]:
        body = body[step]
    return body


def _other_type(value: Any) -> Any:
    """The same content in a wrong JSON type: number <-> string <-> list <-> dict."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, str):
        try:
            return json.loads(value) if value.strip() else 0
        except ValueError:
            return [value]
    if isinstance(value, list):
        return {str(i): v for i, v in enumerate(value)}
    if isinstance(value, dict):
        return list(value.values())
    return {"value": value}


def _negative(value: Any) -> Any:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return -abs(value) or -1
    if isinstance(value, str):
        return "-" + value.strip() if value.strip() else "-1"
    return -1


MUTATIONS = ["remove", "null", "other_type", "wrap_list", "wrap_dict", "huge_text", "unicode", "empty",
             "negative", "huge_number", "tiny_number", "junk", "nan", "pad", "nul", "surrogate"]
#: the mutations that keep a body readable but test what a database takes (sizes, NUL, NaN, half a
#: character)
HOSTILE = ["huge_text", "huge_number", "tiny_number", "nan", "nul", "surrogate"]


@st.composite
def mutated(draw: st.DrawFn, bodies: list[Any], most: int = 4, keys: list[str] | None = None,
            mutations: list[str] = MUTATIONS) -> Any:
    """A deep copy of one of ``bodies`` with 1..``most`` random mutations at random paths."""
    body = copy.deepcopy(draw(st.sampled_from(bodies)))
    for _ in range(draw(st.integers(1, most))):
        where = list(paths(body))
        if not where:
            break
        path = draw(st.sampled_from(where))
        parent, key = _parent(body, path), path[-1]
        value = parent[key]
        how = draw(st.sampled_from(mutations))
        if how == "remove":
            del parent[key]
            continue
        new: Any
        if how == "null":
            new = None
        elif how == "other_type":
            new = _other_type(value)
        elif how == "wrap_list":
            new = [value]
        elif how == "wrap_dict":
            new = {"value": value}
        elif how == "huge_text":
            new = draw(st.sampled_from(["x", "9", "é", "😀", " "])) * 100_000
        elif how == "unicode":
            new = draw(odd_text)
        elif how == "empty":
            new = draw(st.sampled_from(["", [], {}, 0]))
        elif how == "negative":
            new = _negative(value)
        elif how == "huge_number":
            new = draw(big_numbers)
        elif how == "tiny_number":
            new = draw(st.sampled_from([5e-324, "0.000000000001", 1e-30, "-0"]))
        elif how == "junk":
            new = draw(json_values(keys, max_leaves=10))
        elif how == "nan":
            new = draw(st.sampled_from([math.nan, math.inf, -math.inf, "NaN", "Infinity", "sNaN"]))
        elif how == "nul":
            new = f"{value}\x00" if isinstance(value, str) else "\x00"
        elif how == "surrogate":  # JSON's "\\ud83d": valid JSON, no valid UTF-8
            new = f"{value}\ud83d" if isinstance(value, str) else "\ud83d"
        else:  # pad
            new = f"  {value}\t" if isinstance(value, str) else value
        parent[key] = new
    return body


# What a parsed order must be ----------------------------------------------------------------------


def _finite_decimal(value: Any, what: str) -> None:
    assert isinstance(value, Decimal), f"{what} is {type(value).__name__}, not Decimal"
    assert value.is_finite(), f"{what} is not finite"


def _aware(value: datetime | None, what: str) -> None:
    if value is not None:
        assert isinstance(value, datetime), f"{what} is not a datetime"
        assert value.tzinfo is not None and value.utcoffset() is not None, f"{what} is naive"


def _address(value: Address | None, what: str) -> None:
    if value is not None:
        assert isinstance(value, Address), f"{what} is not an Address"


def check_order(order: Any) -> None:
    """The invariants every ChannelOrder a parser returns must hold."""
    assert isinstance(order, ChannelOrder), f"parse_order returned {type(order).__name__}"
    assert isinstance(order.external_id, str) and order.external_id.strip(), "external_id is blank"
    assert isinstance(order.number, str) and order.number.strip(), "number is blank"
    _finite_decimal(order.total, "total")
    _aware(order.updated_at, "updated_at")
    assert order.updated_at is not None
    _aware(order.placed_at, "placed_at")
    _address(order.shipping_address, "shipping_address")
    _address(order.billing_address, "billing_address")
    assert len(order.currency) == 3 and order.currency.isascii() and order.currency.isalpha(), "currency"
    for i, line in enumerate(order.lines):
        _finite_decimal(line.unit_price, f"lines[{i}].unit_price")
        assert isinstance(line.quantity, int) and not isinstance(line.quantity, bool)
        assert line.quantity >= 0, f"lines[{i}].quantity is negative"
    # the canonical record must survive its own serialisation (what the workers pass around)
    ChannelOrder.model_validate_json(order.model_dump_json())
    check_storable(order)


def _max_length(column: Any) -> int:
    length = column.type.length
    assert isinstance(length, int)
    return length


def _fits(value: str | None, column: Any, what: str) -> None:
    if value is not None:
        assert len(value) <= _max_length(column), f"{what} does not fit its column"
        assert "\x00" not in value, f"{what} holds a NUL, which PostgreSQL refuses"


def _json_storable(value: Any, what: str) -> None:
    """What PostgreSQL's jsonb refuses and SQLite takes: NUL characters, NaN and Infinity."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            assert "\x00" not in item, f"{what} holds a NUL"
        elif isinstance(item, float):
            assert math.isfinite(item), f"{what} holds a non-finite number"
        elif isinstance(item, dict):
            assert not any(isinstance(k, str) and "\x00" in k for k in item), f"{what} has a key holding a NUL"
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def check_storable(order: ChannelOrder) -> None:
    """A parsed order must fit the tables ingest stores it in (PostgreSQL enforces the sizes that
    SQLite ignores): else its whole page fails instead of the one order going to quarantine."""
    from sync.models import Customer, Order, OrderLine
    from sync.records import customer_key

    money_type: Any = Order.__table__.c.total.type
    money_digits = money_type.precision - money_type.scale

    def money(value: Decimal, what: str) -> None:
        assert abs(value) < Decimal(10) ** money_digits, f"{what} does not fit NUMERIC(14, 2)"
        exponent = value.as_tuple().exponent
        assert isinstance(exponent, int) and exponent > -16000, f"{what} is too small for PostgreSQL"

    _fits(order.external_id, Order.__table__.c.external_id, "external_id")
    _fits(order.number, Order.__table__.c.number, "number")
    _fits(order.status, Order.__table__.c.channel_status, "status")
    _fits(order.currency, Order.__table__.c.currency, "currency")
    money(order.total, "total")
    for i, line in enumerate(order.lines):
        _fits(line.sku, OrderLine.__table__.c.sku, f"lines[{i}].sku")
        _fits(line.external_id, OrderLine.__table__.c.external_id, f"lines[{i}].external_id")
        money(line.unit_price, f"lines[{i}].unit_price")
        assert line.quantity < 2**31, f"lines[{i}].quantity does not fit an INTEGER"
    _fits(customer_key(order.customer, order), Customer.__table__.c.external_id, "the customer key")
    people: list[Any] = [order.customer, order.shipping_address, order.billing_address]
    for who in people:
        if who is not None:
            _fits(who.first_name, Customer.__table__.c.first_name, "first_name")
            _fits(who.last_name, Customer.__table__.c.last_name, "last_name")
            _fits(who.email.lower() if who.email else None, Customer.__table__.c.email, "email")
            _fits(who.phone, Customer.__table__.c.phone, "phone")
    _json_storable(order.raw, "raw")
    for address in (order.shipping_address, order.billing_address):
        if address is not None:
            _json_storable(address.model_dump(mode="json"), "an address")


def personal_values(body: Any) -> set[str]:
    """The e-mail, phone and street values anywhere in a body (to be kept out of error messages)."""
    found: set[str] = set()
    for path in paths(body):
        key = path[-1]
        if isinstance(key, str) and key.lower() in ("email", "contact_email", "phone", "address1", "address_1"):
            value = _parent(body, path)[key]
            if isinstance(value, str) and len(value.strip()) >= 6:
                found.add(value.strip())
    return found
