"""What the store can hold is declared once, on the canonical records, and those declarations
match the tables; every parser and ingest refuse by them."""

from __future__ import annotations

import inspect
import json
from contextlib import nullcontext
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from pydantic import BaseModel
from sqlalchemy import Integer, Numeric, String

from connectors import errors, records
from connectors.bigbuy import wire
from connectors.records import ChannelCustomer, ChannelOrder, OrderLine, Tracking
from connectors.shopify import parse as shopify
from connectors.storable import Stored, max_length, too_large
from connectors.woocommerce import parse as woo
from sync.models import Base
from sync.records import customer_key

import support


def declarations() -> list[tuple[str, Stored]]:
    found = []
    for name, cls in inspect.getmembers(records, inspect.isclass):
        if issubclass(cls, BaseModel) and cls.__module__ == records.__name__:
            for field, info in cls.model_fields.items():
                found += [(f"{name}.{field}", m) for m in info.metadata if isinstance(m, Stored)]
    return found


def test_the_records_declare_the_limits_the_parsers_relied_on() -> None:
    names = {name for name, _ in declarations()}
    assert {"ChannelOrder.external_id", "ChannelOrder.total", "OrderLine.quantity", "OrderLine.sku",
            "ChannelCustomer.email", "Address.phone", "Tracking.number", "SupplierOrder.supplier_order_id"} <= names


@pytest.mark.parametrize(("field", "limit"), declarations(), ids=lambda v: v if isinstance(v, str) else "")
def test_each_declared_limit_is_the_column_size(field: str, limit: Stored) -> None:
    table, column = limit.column.split(".")
    kind = Base.metadata.tables[table].columns[column].type
    if limit.length is not None:
        assert isinstance(kind, String) and kind.length == limit.length
    elif limit.digits is not None:
        assert isinstance(kind, Numeric) and (kind.precision, kind.scale) == (limit.digits, limit.places)
    else:
        assert isinstance(kind, Integer) and limit.maximum == 2**31 - 1


def test_a_guest_keyed_by_the_longest_email_fits_its_column() -> None:
    limit = max_length(ChannelCustomer, "email")
    email = "a" * (limit - len("email:") - len("@x.io")) + "@X.io"
    order = ChannelOrder(external_id="1", number="1", status="open", currency="EUR", total=Decimal(1),
                         updated_at=datetime(2026, 1, 1, tzinfo=UTC), customer=ChannelCustomer(email=email))
    key = customer_key(order.customer, order)
    assert key is not None and len(key) == limit
    assert too_large(order) is None
    longer = order.model_copy(update={"customer": ChannelCustomer(email="b" + email)})
    assert too_large(longer) == ("customer.email", "is too long")


@pytest.mark.parametrize(("value", "fits"), [
    (Decimal("999999999999.99"), True), (Decimal("999999999999.995"), False),
    (Decimal("-1000000000000"), False), (Decimal("1E+30"), False), (Decimal("0.001"), True),
])
def test_an_amount_fits_when_its_rounded_value_does(value: Decimal, fits: bool) -> None:
    line = OrderLine(quantity=1, unit_price=value)
    assert (too_large(line) is None) is fits
    with nullcontext() if fits else pytest.raises(ValueError):
        wire.money(str(value))


def test_numbers_only_leaves_long_text_to_be_cut() -> None:
    line = OrderLine(sku="s" * 101, quantity=2**31, unit_price=Decimal(1))
    assert too_large(line) == ("sku", "is too long")
    assert too_large(line, lengths=False) == ("quantity", "is too large")


def _shopify_body(**changes: Any) -> dict[str, Any]:
    body = json.loads((support.PAYLOADS / "shopify" / "order.json").read_text())["order"]
    body["line_items"][0].update(changes)
    return dict(body)


def _woo_body(**changes: Any) -> dict[str, Any]:
    body = json.loads((support.PAYLOADS / "woocommerce" / "orders__retrieve-an-order.response.json").read_text())
    body["line_items"][0].update(changes)
    return dict(body)


@pytest.mark.parametrize("parse", [lambda c: shopify.parse_order(_shopify_body(**c)),
                                   lambda c: woo.parse_order(_woo_body(**c))], ids=["shopify", "woocommerce"])
def test_both_channel_parsers_refuse_by_the_same_declaration(parse: Any) -> None:
    parse({"sku": "s" * 100})
    with pytest.raises(errors.ParseError, match=r"lines\[0\]\.sku is too long"):
        parse({"sku": "s" * 101})
    with pytest.raises(errors.ParseError, match=r"lines\[0\]\.quantity is too large"):
        parse({"quantity": 2**31})


def test_bigbuy_cuts_tracking_texts_to_the_declared_columns() -> None:
    payload = [{"id": "1", "trackings": [{"trackingNumber": "T1", "statusDescription": "x" * 500,
                                          "carrier": {"name": "c" * 500}}]}]
    [tracking] = wire.trackings(payload, {})
    assert len(tracking.status or "") == max_length(Tracking, "status")
    assert len(tracking.carrier or "") == max_length(Tracking, "carrier")
    too_long = [{"id": "1", "trackings": [{"trackingNumber": "9" * (max_length(Tracking, "number") + 1)}]}]
    assert wire.trackings(too_long, {}) == []
