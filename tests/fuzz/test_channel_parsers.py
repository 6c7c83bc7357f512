"""Every channel connector's parsers are total: any JSON either parses into a sound ChannelOrder or
raises that connector's own ParseError, whose message never quotes the buyer's data.

Parametrized over ``registry.channel_kinds()``, so a new channel is fuzzed as soon as it registers.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from hypothesis.control import currently_in_test_context

from connectors.base import parse_bodies

from support.strategies import (
    KINDS,
    PAYLOADS,
    check_order,
    connector,
    examples,
    field_names,
    json_values,
    known_bodies,
    mutated,
    own_parse_error,
    personal_values,
    real_bodies,
    real_pages,
    sandbox_bodies,
)

FUZZ = settings(deadline=None, derandomize=False, print_blob=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
kinds = pytest.mark.parametrize("kind", KINDS)


def parse(kind: str, body: Any) -> Any:
    """``parse_order``: a checked ChannelOrder, or None when the connector's own ParseError came."""
    cls = connector(kind)
    try:
        order = cls.parse_order(body)
    except Exception as exc:  # noqa: BLE001 - anything but the connector's ParseError is the bug
        assert own_parse_error(cls, exc), f"{kind}.parse_order raised {type(exc).__module__}.{type(exc).__name__}"
        if currently_in_test_context():
            event(f"{kind}: {str(exc)[:60]}")
        return None
    check_order(order)
    if currently_in_test_context():
        event(f"{kind}: parsed")
    return order


def split(kind: str, body: Any) -> list[Any] | None:
    cls = connector(kind)
    try:
        bodies = cls.order_bodies(body)
    except Exception as exc:  # noqa: BLE001
        assert own_parse_error(cls, exc), f"{kind}.order_bodies raised {type(exc).__module__}.{type(exc).__name__}"
        return None
    assert isinstance(bodies, list)
    return bodies


def test_every_channel_is_fuzzed() -> None:
    assert {"shopify", "woocommerce"} <= set(KINDS)


@kinds
def test_the_real_payloads_are_found(kind: str) -> None:
    if kind in ("shopify", "woocommerce"):
        assert real_bodies(kind), f"no {kind} order body in {PAYLOADS / kind}"
    for body in real_bodies(kind):
        assert parse(kind, body) is not None
    for body, _ in sandbox_bodies(kind):
        assert parse(kind, body) is not None, "a sandbox-rendered body does not parse"


@kinds
@settings(FUZZ, max_examples=examples(150))
@given(data=st.data())
def test_arbitrary_json_parses_or_raises_the_connectors_parse_error(kind: str, data: st.DataObject) -> None:
    keys = field_names(kind)
    body = data.draw(json_values(keys), label="body")
    for one in split(kind, body) or []:
        parse(kind, one)
    parse(kind, body)
    # an order-shaped object: the known keys at the top, anything as their values
    shaped = data.draw(st.dictionaries(st.sampled_from(keys), json_values(keys, max_leaves=8), max_size=12),
                       label="shaped")
    parse(kind, shaped)
    split(kind, shaped)


@kinds
@settings(FUZZ, max_examples=examples(300))
@given(data=st.data())
def test_mutated_real_bodies_parse_soundly_or_raise_the_connectors_parse_error(kind: str, data: st.DataObject) -> None:
    bodies = known_bodies(kind)
    assert bodies, f"no real or sandbox body for {kind}: a channel is fuzzed on its own bodies"
    body = data.draw(mutated(bodies, keys=field_names(kind)), label="mutated body")
    parse(kind, body)
    # a page holding it: the page parses the same, one record per body
    page = parse_bodies(connector(kind), [body])
    assert len(page.orders) + len(page.rejected) == 1
    # and a whole answer as the API gives it, mutated anywhere (its envelope too)
    pages = real_pages(kind)
    if pages:
        for one in split(kind, data.draw(mutated(list(pages), keys=field_names(kind)), label="mutated page")) or []:
            parse(kind, one)


@kinds
@settings(FUZZ, max_examples=examples(300))
@given(data=st.data())
def test_a_parse_error_never_quotes_the_buyers_email_or_phone(kind: str, data: st.DataObject) -> None:
    rendered = sandbox_bodies(kind)
    assert rendered, f"no sandbox renderer for {kind}"
    index = data.draw(st.integers(0, len(rendered) - 1), label="order")
    original, personal = rendered[index]
    body = data.draw(mutated([original], most=5, keys=field_names(kind)), label="mutated body")
    cls = connector(kind)
    try:
        cls.parse_order(body)
    except Exception as exc:  # noqa: BLE001
        assert own_parse_error(cls, exc)
        message = str(exc)
        for value in personal | personal_values(body):
            assert value not in message, "a ParseError message quotes personal data"
        assert exc.__cause__ is None or own_parse_error(cls, exc.__cause__), "the cause may quote the body"


def _with_refunds(kind: str) -> list[Any]:
    """Real bodies carrying what the sandbox and the samples lack: refunds with their line items,
    Shopify's current and fulfillable quantities and lines that need no shipping."""
    import copy
    import json

    if kind == "shopify":
        order = json.loads((PAYLOADS / "shopify" / "order.json").read_text())["order"]
        refund = json.loads((PAYLOADS / "shopify" / "refund.json").read_text())["refund"]
        order = copy.deepcopy(order) | {"refunds": [refund], "fulfillment_status": "partial"}
        order["line_items"][0] |= {"current_quantity": 1, "fulfillable_quantity": 0}
        order["line_items"][1] |= {"requires_shipping": False, "gift_card": True}
        return [order]
    order = json.loads((PAYLOADS / "woocommerce" / "orders__retrieve-an-order.response.json").read_text())
    line = order["line_items"][0]
    order = copy.deepcopy(order) | {"refunds": [{"id": 9, "reason": "", "total": "-3.00", "line_items": [
        {"id": 10, "quantity": -1, "meta_data": [{"id": 11, "key": "_refunded_item_id", "value": str(line["id"])}]}]}]}
    return [order]


@pytest.mark.parametrize("kind", ["shopify", "woocommerce"])
@settings(FUZZ, max_examples=examples(300))
@given(data=st.data())
def test_mutated_refunds_and_quantities_parse_soundly_or_raise_the_parse_error(kind: str, data: st.DataObject) -> None:
    bodies = _with_refunds(kind)
    body = data.draw(mutated(bodies, keys=field_names(kind) + ["refunds", "line_items", "current_quantity",
                                                               "fulfillable_quantity", "meta_data", "value"]),
                     label="mutated body")
    order = parse(kind, body)
    if order is not None:
        assert all(ln.quantity >= 0 for ln in order.lines + order.unshipped_lines)
    if kind == "woocommerce" and order is not None:
        from connectors.woocommerce.refunds import apply_refunds

        refunds = data.draw(mutated([bodies[0]["refunds"]]), label="refunds answer")
        cls = connector(kind)
        try:
            check_order(apply_refunds(order, refunds))
        except Exception as exc:  # noqa: BLE001 - anything but the connector's ParseError is the bug
            assert own_parse_error(cls, exc), f"apply_refunds raised {type(exc).__name__}"
