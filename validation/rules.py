"""The rules that need no network: they run at ingest, before anything reaches the supplier.

Messages go to operators and into the order's history, so they name fields but never repeat a
buyer's phone number or email address.
"""

from __future__ import annotations

from collections.abc import Iterator

from connectors import codes
from connectors.records import Address, ChannelOrder, OrderLine
from validation.base import Context, Issue, rule
from validation.delivery import (
    ContactKind,
    address_line,
    clean,
    country_known,
    country_name,
    delivery_contact,
    is_masked,
    postcode_example,
    postcode_ok,
)

_SHIP = "shipping_address"

# Label for each address field as an operator reads it; the order is the order of the form.
_ADDRESS_LABELS: dict[str, str] = {
    "first_name": "First name",
    "last_name": "Last name",
    "company": "Company",
    "address1": "Address line 1",
    "address2": "Address line 2",
    "city": "City",
    "region": "Region",
    "postcode": "Postcode",
    "country_code": "Country",
    "phone": "Phone",
    "email": "Email",
}


def _lines_to_send(order: ChannelOrder) -> Iterator[tuple[int, OrderLine]]:
    # A zero-quantity line is what a channel leaves after an edit removed the item: nothing ships.
    for index, line in enumerate(order.lines):
        if line.quantity > 0:
            yield index, line


# Names --------------------------------------------------------------------------------------


@rule("missing_first_name")
def missing_first_name(order: ChannelOrder, ctx: Context) -> Iterator[Issue]:
    addr = order.shipping_address
    if addr is not None and clean(addr.first_name) is None:
        yield Issue(
            code=codes.MISSING_FIRST_NAME,
            field=f"{_SHIP}.first_name",
            message="The recipient's first name is missing.",
        )


@rule("missing_surname")
def missing_surname(order: ChannelOrder, ctx: Context) -> Iterator[Issue]:
    addr = order.shipping_address
    if addr is not None and clean(addr.last_name) is None:
        yield Issue(
            code=codes.MISSING_SURNAME,
            field=f"{_SHIP}.last_name",
            message="The recipient's surname is missing; the supplier needs one.",
        )


@rule("derived_name")
def derived_name(order: ChannelOrder, ctx: Context) -> Iterator[Issue]:
    """A name the connector split from the one the channel gives, when the channel asks that every
    such guess be confirmed by an operator."""
    for note in order.notes:
        if note.review:
            yield Issue(code=codes.DERIVED_NAME, field=note.field, message=note.message + " Confirm it or correct it.")


# Address ------------------------------------------------------------------------------------


@rule("missing_address")
def missing_address(order: ChannelOrder, ctx: Context) -> Iterator[Issue]:
    addr = order.shipping_address
    if addr is None:
        yield Issue(
            code=codes.MISSING_ADDRESS,
            field=_SHIP,
            message="The order has no shipping address.",
        )
        return
    for name in ("address1", "city"):
        if clean(getattr(addr, name)) is None:
            yield Issue(
                code=codes.MISSING_ADDRESS,
                field=f"{_SHIP}.{name}",
                message=f"{_ADDRESS_LABELS[name]} of the shipping address is missing.",
            )
    country = clean(addr.country_code)
    if country is None:
        yield Issue(
            code=codes.MISSING_ADDRESS,
            field=f"{_SHIP}.country_code",
            message="Country of the shipping address is missing.",
        )
    elif not country_known(country) and not is_masked(country):
        yield Issue(
            code=codes.MISSING_ADDRESS,
            field=f"{_SHIP}.country_code",
            message=f"Country code {country!r} is not an ISO 3166-1 two-letter code.",
        )


@rule("address_too_long")
def address_too_long(order: ChannelOrder, ctx: Context) -> Iterator[Issue]:
    addr = order.shipping_address
    if addr is None:
        return
    length = len(address_line(addr))
    if length > ctx.max_address_length:
        yield Issue(
            code=codes.ADDRESS_TOO_LONG,
            field=f"{_SHIP}.address1",
            message=(
                f"Address lines 1 and 2 together are {length} characters; "
                f"the supplier takes at most {ctx.max_address_length}."
            ),
        )


@rule("invalid_postcode")
def invalid_postcode(order: ChannelOrder, ctx: Context) -> Iterator[Issue]:
    addr = order.shipping_address
    # Without a real country there is no format to check against: missing_address says so.
    if addr is None or not country_known(addr.country_code):
        return
    postcode = clean(addr.postcode)
    if is_masked(postcode):
        return  # masked_data reports it, and a hidden value has no format to judge
    country = (clean(addr.country_code) or "").upper()
    if postcode_ok(country, postcode):
        return
    if postcode is None:
        message = f"Postcode is missing; {country_name(country)} addresses need one."
    else:
        example = postcode_example(country)
        hint = f" (for example {example})" if example else ""
        message = f"Postcode does not match the {country_name(country)} format{hint}."
    yield Issue(code=codes.INVALID_POSTCODE, field=f"{_SHIP}.postcode", message=message)


# Contacts -----------------------------------------------------------------------------------


@rule("missing_phone")
def missing_phone(order: ChannelOrder, ctx: Context) -> Iterator[Issue]:
    if delivery_contact(order, "phone") is None:
        yield Issue(
            code=codes.MISSING_PHONE,
            field=f"{_SHIP}.phone",
            message="No phone number on the shipping address, billing address or customer; "
            "the carrier needs one.",
        )


# Lines --------------------------------------------------------------------------------------


@rule("missing_sku")
def missing_sku(order: ChannelOrder, ctx: Context) -> Iterator[Issue]:
    to_send = list(_lines_to_send(order))
    if not to_send:
        yield Issue(
            code=codes.MISSING_SKU,
            field="lines",
            message="The order has no lines with a quantity to send.",
        )
        return
    for index, line in to_send:
        if clean(line.sku) is None:
            title = clean(line.title)
            what = f"Line {index + 1} ({title})" if title else f"Line {index + 1}"
            yield Issue(
                code=codes.MISSING_SKU,
                field=f"lines[{index}].sku",
                message=f"{what} has no SKU.",
            )


@rule("unknown_sku", needs_catalogue=True)
def unknown_sku(order: ChannelOrder, ctx: Context) -> Iterator[Issue]:
    known = ctx.known_skus
    if known is None:
        return  # validate() already skips this rule then; kept for direct calls
    for index, line in _lines_to_send(order):
        sku = clean(line.sku)
        if sku is not None and sku not in known:
            yield Issue(
                code=codes.UNKNOWN_SKU,
                field=f"lines[{index}].sku",
                message=f"SKU {sku!r} on line {index + 1} has no supplier product mapped.",
            )


# Masked data --------------------------------------------------------------------------------


def _masked_address_fields(addr: Address) -> Iterator[str]:
    # Phone and email are judged on the value that would be sent (see delivery_contact), so a
    # masked shipping phone with a real billing phone behind it is not an issue.
    for name in _ADDRESS_LABELS:
        if name not in ("phone", "email") and is_masked(clean(getattr(addr, name))):
            yield name


@rule("masked_data")
def masked_data(order: ChannelOrder, ctx: Context) -> Iterator[Issue]:
    addr = order.shipping_address
    if addr is not None:
        for name in _masked_address_fields(addr):
            yield Issue(
                code=codes.MASKED_DATA,
                field=f"{_SHIP}.{name}",
                message=f"{_ADDRESS_LABELS[name]} was hidden by the channel; "
                "enter the real value before sending.",
            )
    kinds: tuple[ContactKind, ...] = ("phone", "email")
    for kind in kinds:
        contact = delivery_contact(order, kind)
        if contact is not None and is_masked(contact.value):
            yield Issue(
                code=codes.MASKED_DATA,
                field=contact.field,
                message=f"{_ADDRESS_LABELS[kind]} was hidden by the channel; "
                "enter the real value before sending.",
            )
