"""The network-free rules: each fires on the flaw it names and stays quiet otherwise."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from connectors import codes
from connectors.records import Address, ChannelCustomer, ChannelOrder, OrderLine
from validation import Context, Issue, rules, validate

GOOD_ADDRESS: dict[str, str] = {
    "first_name": "Lucía",
    "last_name": "García",
    "address1": "Calle de Colón 12",
    "address2": "3º B",
    "city": "Valencia",
    "region": "Valencia",
    "postcode": "46004",
    "country_code": "ES",
    "phone": "+34 600 123 456",
    "email": "lucia@example.com",
}


def _address(**changes: str | None) -> Address:
    return Address(**{**GOOD_ADDRESS, **changes})


def _line(sku: str | None = "S0001", quantity: int = 1, title: str = "Mug") -> OrderLine:
    return OrderLine(sku=sku, quantity=quantity, unit_price=Decimal("9.90"), title=title)


def _order(**changes: Any) -> ChannelOrder:
    fields: dict[str, Any] = {
        "external_id": "1001",
        "number": "#1001",
        "status": "paid",
        "currency": "EUR",
        "total": Decimal("9.90"),
        "updated_at": datetime(2024, 5, 1, tzinfo=UTC),
        "shipping_address": _address(),
        "lines": [_line()],
    }
    fields.update(changes)
    return ChannelOrder(**fields)


def _found(order: ChannelOrder, ctx: Context | None = None) -> set[tuple[str, str]]:
    return {(issue.code, issue.field) for issue in validate(order, ctx)}


def _codes(order: ChannelOrder, ctx: Context | None = None) -> set[str]:
    return {issue.code for issue in validate(order, ctx)}


def test_a_good_order_has_no_issues() -> None:
    assert validate(_order(), Context(known_skus=frozenset({"S0001"}))) == []


def test_importing_the_package_registers_every_rule() -> None:
    names = {r.name for r in rules()}
    assert {
        "missing_first_name", "missing_surname", "missing_address", "address_too_long",
        "invalid_postcode", "missing_phone", "missing_sku", "unknown_sku", "masked_data",
    } <= names


# Names ---------------------------------------------------------------------------------------


def test_missing_first_name_is_flagged_when_first_name_blank() -> None:
    order = _order(shipping_address=_address(first_name="  "))
    assert _found(order) == {(codes.MISSING_FIRST_NAME, "shipping_address.first_name")}


def test_missing_surname_is_flagged_when_last_name_blank() -> None:
    order = _order(shipping_address=_address(last_name=None))
    assert _found(order) == {(codes.MISSING_SURNAME, "shipping_address.last_name")}


def test_names_present_are_not_flagged() -> None:
    assert not _codes(_order()) & {codes.MISSING_FIRST_NAME, codes.MISSING_SURNAME}


def test_missing_shipping_address_yields_only_missing_address() -> None:
    order = _order(shipping_address=None, customer=ChannelCustomer(phone="+34 600 123 456"))
    assert _found(order) == {(codes.MISSING_ADDRESS, "shipping_address")}


# Address -------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["address1", "city", "country_code"])
def test_missing_address_is_flagged_when_a_required_part_is_blank(name: str) -> None:
    order = _order(shipping_address=_address(**{name: None}))
    assert (codes.MISSING_ADDRESS, f"shipping_address.{name}") in _found(order)


@pytest.mark.parametrize("country", ["UK", "XX", "ESP"])
def test_missing_address_is_flagged_for_a_country_code_that_is_not_iso(country: str) -> None:
    order = _order(shipping_address=_address(country_code=country))
    # the postcode cannot be judged without a country, so only the country is reported
    assert _found(order) == {(codes.MISSING_ADDRESS, "shipping_address.country_code")}


def test_missing_address_is_not_flagged_without_address2_or_region() -> None:
    order = _order(shipping_address=_address(address2=None, region=None))
    assert codes.MISSING_ADDRESS not in _codes(order)


def test_address_of_exactly_70_characters_is_accepted() -> None:
    order = _order(shipping_address=_address(address1="a" * 70, address2=None))
    assert codes.ADDRESS_TOO_LONG not in _codes(order)


def test_address_too_long_is_flagged_at_71_characters_with_length_and_limit() -> None:
    order = _order(shipping_address=_address(address1="a" * 71, address2=None))
    (issue,) = [i for i in validate(order) if i.code == codes.ADDRESS_TOO_LONG]
    assert issue.field == "shipping_address.address1"
    assert "71" in issue.message and "70" in issue.message


def test_address_too_long_counts_both_lines_and_the_separator() -> None:
    # 60 + len(", ") + 9 = 71: the supplier gets one line, so the join is what is measured
    order = _order(shipping_address=_address(address1="a" * 60, address2="b" * 9))
    assert codes.ADDRESS_TOO_LONG in _codes(order)
    order = _order(shipping_address=_address(address1="a" * 60, address2="b" * 8))
    assert codes.ADDRESS_TOO_LONG not in _codes(order)


def test_address_too_long_follows_the_context_limit() -> None:
    order = _order(shipping_address=_address(address1="a" * 40, address2=None))
    assert codes.ADDRESS_TOO_LONG in _codes(order, Context(max_address_length=35))


# Postcodes -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("country", "postcode"),
    [("ES", "46005"), ("PT", "1100-148"), ("NL", "3511 LX"), ("GB", "SW1A 1AA"),
     ("US", "94103"), ("US", "94103-1234"), ("IE", None), ("HK", None)],
)
def test_invalid_postcode_is_not_flagged_for_a_valid_postcode(
    country: str, postcode: str | None
) -> None:
    order = _order(shipping_address=_address(country_code=country, postcode=postcode))
    assert codes.INVALID_POSTCODE not in _codes(order)


def test_invalid_postcode_is_flagged_with_the_expected_form() -> None:
    order = _order(shipping_address=_address(postcode="ABC-12"))
    (issue,) = [i for i in validate(order) if i.code == codes.INVALID_POSTCODE]
    assert issue.field == "shipping_address.postcode"
    assert "Spain" in issue.message and "46005" in issue.message


def test_invalid_postcode_is_flagged_when_missing_where_postcodes_are_used() -> None:
    order = _order(shipping_address=_address(postcode=None))
    assert _found(order) == {(codes.INVALID_POSTCODE, "shipping_address.postcode")}


# Phone ---------------------------------------------------------------------------------------


def test_missing_phone_is_flagged_when_no_source_has_one() -> None:
    order = _order(
        shipping_address=_address(phone=None),
        billing_address=Address(phone=" "),
        customer=ChannelCustomer(email="lucia@example.com"),
    )
    assert _found(order) == {(codes.MISSING_PHONE, "shipping_address.phone")}


def test_missing_phone_is_not_flagged_when_billing_has_one() -> None:
    order = _order(shipping_address=_address(phone=None), billing_address=Address(phone="600"))
    assert codes.MISSING_PHONE not in _codes(order)


def test_missing_phone_is_not_flagged_when_the_customer_has_one() -> None:
    order = _order(
        shipping_address=_address(phone=None), customer=ChannelCustomer(phone="+34 600 1")
    )
    assert codes.MISSING_PHONE not in _codes(order)


# Lines ---------------------------------------------------------------------------------------


def test_missing_sku_is_flagged_on_the_line_without_one() -> None:
    order = _order(lines=[_line(), _line(sku=None, title="Teapot"), _line(sku="S0002")])
    (issue,) = validate(order)
    assert (issue.code, issue.field) == (codes.MISSING_SKU, "lines[1].sku")
    assert "Teapot" in issue.message


def test_missing_sku_ignores_lines_with_quantity_zero() -> None:
    order = _order(lines=[_line(), _line(sku=None, quantity=0)])
    assert codes.MISSING_SKU not in _codes(order)


@pytest.mark.parametrize("lines", [[], [_line(quantity=0)]], ids=["no lines", "all zero"])
def test_missing_sku_is_flagged_on_lines_when_nothing_is_to_be_sent(
    lines: list[OrderLine],
) -> None:
    assert _found(_order(lines=lines)) == {(codes.MISSING_SKU, "lines")}


def test_unknown_sku_is_flagged_when_not_in_the_catalogue() -> None:
    order = _order(lines=[_line(sku="S0001"), _line(sku="NOPE")])
    ctx = Context(known_skus=frozenset({"S0001"}))
    (issue,) = validate(order, ctx)
    assert (issue.code, issue.field) == (codes.UNKNOWN_SKU, "lines[1].sku")
    assert "NOPE" in issue.message


def test_unknown_sku_is_not_flagged_for_known_skus_or_zero_quantity_lines() -> None:
    order = _order(lines=[_line(sku="S0001"), _line(sku="GONE", quantity=0)])
    assert codes.UNKNOWN_SKU not in _codes(order, Context(known_skus=frozenset({"S0001"})))


def test_unknown_sku_is_skipped_without_a_catalogue() -> None:
    order = _order(lines=[_line(sku="NOPE")])
    assert codes.UNKNOWN_SKU not in _codes(order, Context(known_skus=None))


# Masked data ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["last_name", "address1", "city", "postcode"])
def test_masked_data_is_flagged_for_a_hidden_address_field(name: str) -> None:
    order = _order(shipping_address=_address(**{name: "J*****"}))
    issues = validate(order)
    assert (codes.MASKED_DATA, f"shipping_address.{name}") in {(i.code, i.field) for i in issues}
    # a hidden postcode is not also reported as a malformed one
    assert codes.INVALID_POSTCODE not in {i.code for i in issues}


def test_masked_data_is_flagged_when_every_phone_is_hidden_and_not_as_missing() -> None:
    order = _order(
        shipping_address=_address(phone="******3456"), customer=ChannelCustomer(phone="****56")
    )
    assert _found(order) == {(codes.MASKED_DATA, "shipping_address.phone")}


def test_masked_shipping_phone_is_not_flagged_when_billing_has_a_real_one() -> None:
    order = _order(
        shipping_address=_address(phone="******3456"),
        billing_address=Address(phone="+34 600 123 456"),
    )
    assert validate(order) == []


def test_masked_email_is_flagged_on_the_field_it_came_from() -> None:
    order = _order(
        shipping_address=_address(email=None), billing_address=Address(email="l***@x.es")
    )
    assert _found(order) == {(codes.MASKED_DATA, "billing_address.email")}


def test_masked_data_is_not_flagged_for_plain_values() -> None:
    assert codes.MASKED_DATA not in _codes(_order())


def test_messages_never_repeat_the_buyers_phone_or_email() -> None:
    phone, email = "******3456", "lu***@example.com"
    order = _order(
        shipping_address=_address(phone=phone, email=email, last_name=None, postcode="X"),
        lines=[_line(sku=None)],
    )
    issues = validate(order, Context(known_skus=frozenset()))
    assert len(issues) >= 4
    for issue in issues:
        assert phone not in issue.message and email not in issue.message
        assert "3456" not in issue.message and "example.com" not in issue.message


# Never raises --------------------------------------------------------------------------------

_maybe_text = st.one_of(st.none(), st.text(max_size=90))
_country = st.one_of(
    _maybe_text, st.sampled_from(["ES", "PT", "FR", "DE", "IT", "NL", "BE", "GB", "US", "IE"])
)
_address_fields = {name: _maybe_text for name in Address.model_fields if name != "country_code"}
_addresses = st.one_of(
    st.none(),
    st.builds(Address, country_code=_country, **_address_fields),
    # unvalidated, as an order edited by hand or built in a test may be: unstripped, lower case
    st.builds(Address.model_construct, country_code=_country, **_address_fields),
)
_lines = st.builds(
    OrderLine,
    sku=_maybe_text,
    quantity=st.integers(min_value=0, max_value=5),
    unit_price=st.decimals(min_value=0, max_value=1000, places=2),
    title=st.text(max_size=20),
)
_customers = st.one_of(
    st.none(), st.builds(ChannelCustomer, phone=_maybe_text, email=_maybe_text)
)
_contexts = st.builds(
    Context,
    known_skus=st.one_of(st.none(), st.frozensets(st.text(max_size=8), max_size=5)),
    max_address_length=st.integers(min_value=0, max_value=120),
)


@settings(max_examples=300, deadline=None)
@given(
    shipping=_addresses,
    billing=_addresses,
    customer=_customers,
    lines=st.lists(_lines, max_size=4),
    ctx=_contexts,
)
def test_validate_never_raises_and_speaks_only_known_codes(
    shipping: Address | None,
    billing: Address | None,
    customer: ChannelCustomer | None,
    lines: list[OrderLine],
    ctx: Context,
) -> None:
    order = _order(
        shipping_address=shipping, billing_address=billing, customer=customer, lines=lines
    )
    issues = validate(order, ctx)
    for issue in issues:
        assert isinstance(issue, Issue)
        assert issue.code in codes.ALL
        assert issue.field and issue.message
