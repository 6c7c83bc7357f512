"""Facts about where an order goes, shared by the rules and the forwarder.

Each fact is defined once here so that what the rules accept is exactly what the forwarder sends:
a phone the rules found is the phone the supplier gets, the line whose length was checked is the
line that is sent.
"""

from __future__ import annotations

import re
from typing import Literal, NamedTuple

import pycountry

from connectors.records import Address, ChannelOrder

ContactKind = Literal["phone", "email"]


class Contact(NamedTuple):
    field: str  # where the value came from, e.g. "billing_address.phone"
    value: str


def clean(value: object) -> str | None:
    """A stripped string, or None when blank or not a string.

    Records strip on validation, but orders built with ``model_construct`` or edited by hand do
    not, so every helper goes through this.
    """
    if not isinstance(value, str):
        return None
    return value.strip() or None


# Masked values -----------------------------------------------------------------------------

# Channels that hide buyer data (Shopee, some Amazon reports) replace characters by stars or
# bullets; three in a row never occur in a real name, street, phone or email.
_MASK_RUN = re.compile(r"[*\u2022]{3,}")
_MASK_WORDS = frozenset({"redacted", "[redacted]"})


def is_masked(value: str | None) -> bool:
    if not value:
        return False
    if "*" in value or "\u2022" in value:  # a run is made of these: most values hold neither
        return _MASK_RUN.search(value) is not None or value.strip().lower() in _MASK_WORDS
    # the mask words are 8 and 10 characters, and lower-casing never shortens a text
    return len(value) >= 8 and value.strip().lower() in _MASK_WORDS


# Contacts ----------------------------------------------------------------------------------


def delivery_contact(order: ChannelOrder, kind: ContactKind) -> Contact | None:
    """The phone or email to give the carrier: shipping, then billing, then the customer.

    A masked value is passed over when a later source has a real one, since the stars would be
    useless to the carrier; when every source is masked the first masked one is returned so that
    the order is flagged as masked rather than as missing the value.
    """
    candidates: list[tuple[str, object]] = []
    for prefix, holder in (
        ("shipping_address", order.shipping_address),
        ("billing_address", order.billing_address),
        ("customer", order.customer),
    ):
        if holder is not None:
            candidates.append((f"{prefix}.{kind}", getattr(holder, kind, None)))
    first_masked: Contact | None = None
    for field, raw in candidates:
        value = clean(raw)
        if value is None:
            continue
        if not is_masked(value):
            return Contact(field, value)
        if first_masked is None:
            first_masked = Contact(field, value)
    return first_masked


def delivery_phone(order: ChannelOrder) -> str | None:
    contact = delivery_contact(order, "phone")
    return contact.value if contact else None


def delivery_email(order: ChannelOrder) -> str | None:
    contact = delivery_contact(order, "email")
    return contact.value if contact else None


# Address -----------------------------------------------------------------------------------


def address_line(addr: Address) -> str:
    """The single address line the supplier takes: address1 and address2 joined."""
    parts = (clean(addr.address1), clean(addr.address2))
    return ", ".join(part for part in parts if part)


_COUNTRY_CODES: frozenset[str] = frozenset(country.alpha_2 for country in pycountry.countries)


def country_known(country_code: str | None) -> bool:
    """True for an ISO 3166-1 alpha-2 code (upper or lower case); "UK" is not one."""
    code = clean(country_code)
    return code is not None and code.upper() in _COUNTRY_CODES


def country_name(country_code: str) -> str:
    country = pycountry.countries.get(alpha_2=country_code.strip().upper())
    return country.name if country is not None else country_code


# Postcodes ---------------------------------------------------------------------------------


class _PostcodeFormat(NamedTuple):
    pattern: re.Pattern[str]
    example: str


def _fmt(pattern: str, example: str) -> _PostcodeFormat:
    return _PostcodeFormat(re.compile(pattern), example)


# Patterns match the normalised form (upper case, single spaces). GB follows the pattern the UK
# government publishes (BS 7666), including the special GIR 0AA.
_POSTCODE_FORMATS: dict[str, _PostcodeFormat] = {
    "ES": _fmt(r"(?:0[1-9]|[1-4]\d|5[0-2])\d{3}", "46005"),
    "PT": _fmt(r"[1-9]\d{3}-\d{3}", "1100-148"),
    "FR": _fmt(r"\d{5}", "75001"),
    "DE": _fmt(r"\d{5}", "10115"),
    "IT": _fmt(r"\d{5}", "00184"),
    "NL": _fmt(r"[1-9]\d{3} ?(?!SA|SD|SS)[A-Z]{2}", "3511 LX"),
    "BE": _fmt(r"[1-9]\d{3}", "1000"),
    "GB": _fmt(
        r"GIR ?0AA"
        r"|[A-PR-UWYZ](?:\d{1,2}|[A-HK-Y]\d[\dABEHMNPRV-Y]?|\d[A-HJKPSTUW]) ?\d[ABD-HJLNP-UW-Z]{2}",
        "SW1A 1AA",
    ),
    "US": _fmt(r"\d{5}(?:-\d{4})?", "94103"),
}

# Elsewhere only the shape is checked: short, plain characters, with a digit somewhere.
_GENERIC_POSTCODE = re.compile(r"(?=.*\d)[A-Z0-9][A-Z0-9 -]{0,9}")

# Countries where addresses commonly have no postcode, so an empty one is acceptable. Ireland is
# here because Eircodes (2015) are still often left out and carriers deliver without them.
NO_POSTCODE_COUNTRIES: frozenset[str] = frozenset({
    "AE", "AG", "AO", "AW", "BF", "BI", "BJ", "BO", "BS", "BW", "BZ", "CD", "CF", "CG", "CI",
    "CK", "CM", "DJ", "DM", "ER", "FJ", "GA", "GD", "GH", "GM", "GQ", "GY", "HK", "IE", "KI",
    "KM", "KN", "KP", "LC", "ML", "MO", "MR", "MW", "NR", "NU", "QA", "RW", "SB", "SC", "SL",
    "SR", "ST", "SY", "TD", "TF", "TG", "TK", "TL", "TO", "TV", "UG", "VU", "YE", "ZW",
})

_SPACES = re.compile(r"\s+")


def normalise_postcode(country: str | None, postcode: str | None) -> str:
    """Upper case, trimmed, inner spaces collapsed to one.

    For GB and NL, whose written form has a space before the last part, a code typed without the
    space gets it, so that "sw1a1aa" and "SW1A 1AA" are sent alike.
    """
    text = _SPACES.sub(" ", (postcode or "").strip().upper())
    code = (country or "").strip().upper()
    if " " not in text:
        if code == "GB" and 5 <= len(text) <= 7:
            text = f"{text[:-3]} {text[-3:]}"
        elif code == "NL" and len(text) == 6:
            text = f"{text[:4]} {text[4:]}"
    return text


def postcode_ok(country_code: str | None, postcode: str | None) -> bool:
    """Whether the postcode is acceptable for the country (False for an unknown country)."""
    if not country_known(country_code):
        return False
    code = (country_code or "").strip().upper()
    text = normalise_postcode(code, postcode)
    if not text:
        return code in NO_POSTCODE_COUNTRIES
    known = _POSTCODE_FORMATS.get(code)
    pattern = known.pattern if known else _GENERIC_POSTCODE
    return pattern.fullmatch(text) is not None


def postcode_example(country_code: str) -> str | None:
    """A valid postcode of the country, to show an operator the expected form."""
    known = _POSTCODE_FORMATS.get(country_code.strip().upper())
    return known.example if known else None
