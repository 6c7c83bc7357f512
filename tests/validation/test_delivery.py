"""The shared delivery facts: contact fallback, the supplier's address line, masks, postcodes."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from connectors.records import Address, ChannelCustomer, ChannelOrder, OrderLine
from validation.delivery import (
    address_line,
    country_known,
    delivery_contact,
    delivery_email,
    delivery_phone,
    is_masked,
    normalise_postcode,
    postcode_ok,
)


def _order(
    shipping: Address | None = None,
    billing: Address | None = None,
    customer: ChannelCustomer | None = None,
) -> ChannelOrder:
    return ChannelOrder(
        external_id="1",
        number="#1",
        status="paid",
        currency="EUR",
        total=Decimal("10.00"),
        updated_at=datetime(2024, 5, 1, tzinfo=UTC),
        shipping_address=shipping,
        billing_address=billing,
        customer=customer,
        lines=[OrderLine(sku="S1", quantity=1, unit_price=Decimal("10.00"))],
    )


# Contacts ------------------------------------------------------------------------------------


def test_delivery_phone_prefers_the_shipping_phone() -> None:
    order = _order(
        shipping=Address(phone="+34 600 000 001"),
        billing=Address(phone="+34 600 000 002"),
        customer=ChannelCustomer(phone="+34 600 000 003"),
    )
    assert delivery_phone(order) == "+34 600 000 001"


def test_delivery_phone_falls_back_to_billing_then_customer() -> None:
    billing_only = _order(shipping=Address(), billing=Address(phone="+34 600 000 002"))
    assert delivery_phone(billing_only) == "+34 600 000 002"
    customer_only = _order(
        shipping=Address(), billing=Address(), customer=ChannelCustomer(phone="+34 600 000 003")
    )
    assert delivery_phone(customer_only) == "+34 600 000 003"


def test_delivery_phone_is_none_when_every_source_is_blank() -> None:
    assert delivery_phone(_order()) is None
    # model_construct skips the records' stripping, as a hand-edited order might
    blank = Address.model_construct(phone="   ")
    assert delivery_phone(_order(shipping=blank)) is None


def test_delivery_phone_is_stripped() -> None:
    raw = Address.model_construct(phone="  600 000 001 ")
    assert delivery_phone(_order(shipping=raw)) == "600 000 001"


def test_delivery_phone_passes_over_a_masked_value_when_a_real_one_follows() -> None:
    order = _order(shipping=Address(phone="******1234"), billing=Address(phone="600 000 002"))
    assert delivery_phone(order) == "600 000 002"


def test_delivery_phone_returns_the_first_masked_value_when_all_are_masked() -> None:
    order = _order(shipping=Address(phone="******1234"), customer=ChannelCustomer(phone="***99"))
    contact = delivery_contact(order, "phone")
    assert contact is not None
    assert contact.field == "shipping_address.phone"
    assert contact.value == "******1234"


def test_delivery_email_falls_back_to_billing_then_customer() -> None:
    assert delivery_email(_order(shipping=Address(email="a@example.com"))) == "a@example.com"
    assert delivery_email(_order(billing=Address(email="b@example.com"))) == "b@example.com"
    order = _order(customer=ChannelCustomer(email="c@example.com"))
    assert delivery_email(order) == "c@example.com"
    contact = delivery_contact(order, "email")
    assert contact is not None and contact.field == "customer.email"
    assert delivery_email(_order()) is None


# Address line --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("address1", "address2", "expected"),
    [
        ("Calle Mayor 1", "3º B", "Calle Mayor 1, 3º B"),
        ("Calle Mayor 1", None, "Calle Mayor 1"),
        (None, "3º B", "3º B"),
        (None, None, ""),
        ("Calle Mayor 1", "   ", "Calle Mayor 1"),
    ],
)
def test_address_line_joins_the_two_lines_skipping_blanks(
    address1: str | None, address2: str | None, expected: str
) -> None:
    addr = Address.model_construct(address1=address1, address2=address2)
    assert address_line(addr) == expected


# Masks ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    ["***", "****1234", "J***n", "+34 ******789", "a•••@example.com", "REDACTED", "[redacted]"],
)
def test_is_masked_recognises_hidden_values(value: str) -> None:
    assert is_masked(value)


@pytest.mark.parametrize(
    "value",
    [None, "", "John", "**", "Apt *2*", "O'Brien", "a*b@example.com", "Redacted Street 4", "•"],
)
def test_is_masked_leaves_real_values_alone(value: str | None) -> None:
    assert not is_masked(value)


# Countries and postcodes ---------------------------------------------------------------------


def test_country_known_accepts_iso_codes_only() -> None:
    assert country_known("ES")
    assert country_known("gb")
    assert not country_known("UK")
    assert not country_known("XX")
    assert not country_known("ESP")
    assert not country_known(None)
    assert not country_known("")


@pytest.mark.parametrize(
    ("country", "raw", "expected"),
    [
        ("ES", " 46005 ", "46005"),
        ("NL", "3511  lx", "3511 LX"),
        ("NL", "3511lx", "3511 LX"),
        ("GB", "sw1a1aa", "SW1A 1AA"),
        ("GB", "m1 1ae", "M1 1AE"),
        ("PT", "1100-148", "1100-148"),
        ("IE", "d02\tx285", "D02 X285"),
        ("ES", None, ""),
    ],
)
def test_normalise_postcode(country: str, raw: str | None, expected: str) -> None:
    assert normalise_postcode(country, raw) == expected


GOOD_POSTCODES = [
    ("ES", "46005"), ("ES", "01001"), ("ES", "52001"), ("ES", "28013"),
    ("PT", "1100-148"), ("PT", "4000-001"),
    ("FR", "75001"), ("FR", "20000"),
    ("DE", "10115"), ("DE", "01067"),
    ("IT", "00184"), ("IT", "20121"),
    ("NL", "3511 LX"), ("NL", "3511LX"), ("NL", "1012 ab"),
    ("BE", "1000"), ("BE", "9999"),
    ("GB", "SW1A 1AA"), ("GB", "M1 1AE"), ("GB", "B33 8TH"), ("GB", "CR2 6XH"),
    ("GB", "DN55 1PT"), ("GB", "W1A 0AX"), ("GB", "EC1A 1BB"), ("GB", "GIR 0AA"),
    ("GB", "sw1a1aa"),
    ("US", "94103"), ("US", "94103-1234"),
    ("IE", "D02 X285"), ("IE", ""), ("HK", ""), ("AE", ""),
    ("CA", "K1A 0B1"), ("JP", "100-0001"), ("SE", "114 55"), ("PL", "00-950"),
]

BAD_POSTCODES = [
    ("ES", "ABC-12"), ("ES", "4600"), ("ES", "460055"), ("ES", "00123"), ("ES", "53001"),
    ("ES", "99999"), ("ES", ""),
    ("PT", "1100148"), ("PT", "1100"), ("PT", "0100-148"),
    ("FR", "7500"), ("FR", "75 001"), ("FR", "ABCDE"),
    ("DE", "1011"), ("DE", "101155"),
    ("IT", "0018"),
    ("NL", "3511"), ("NL", "0511 LX"), ("NL", "3511 SA"), ("NL", "3511 SD"), ("NL", "3511 SS"),
    ("NL", "3511 L1"),
    ("BE", "0999"), ("BE", "10000"),
    ("GB", "SW1A"), ("GB", "1AA SW1"), ("GB", "QW1A 1AA"), ("GB", "SW1A 1CA"), ("GB", "12345"),
    ("US", "9410"), ("US", "94103-12"), ("US", "941031234"), ("US", ""),
    ("CA", ""), ("JP", "ABC"), ("SE", "12345678901"), ("PL", "!!"),
    ("XX", "12345"), ("UK", "SW1A 1AA"), ("", "46005"),
]


@pytest.mark.parametrize(("country", "postcode"), GOOD_POSTCODES)
def test_postcode_ok_accepts_valid_postcodes(country: str, postcode: str) -> None:
    assert postcode_ok(country, postcode)


@pytest.mark.parametrize(("country", "postcode"), BAD_POSTCODES)
def test_postcode_ok_rejects_invalid_postcodes(country: str, postcode: str) -> None:
    assert not postcode_ok(country, postcode)
