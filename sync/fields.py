"""Checking what an operator types before it is stored: an account's URL, credentials and
settings, a corrected delivery address, a supplier reference. The command line and the admin call
the same checks; each failure is a ``FieldError`` naming the field, in words an operator uses.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any
from urllib.parse import urlsplit

import phonenumbers
import pycountry
from email_validator import EmailNotValidError, validate_email
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from connectors.registry import UnknownConnector, connector_class
from sync.models import Channel, Customer, Order, SupplierOrderRow
from sync.review import EDITABLE


class FieldError(ValueError):
    """One field cannot take the value given."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


def _column_length(column: Any) -> int:
    return int(column.type.length)


#: what the store keeps: the account's columns, the supplier reference's column
NAME_MAX = _column_length(Channel.__table__.c.name)
URL_MAX = _column_length(Channel.__table__.c.url)
REFERENCE_MAX = _column_length(SupplierOrderRow.__table__.c.internal_reference)
CREDENTIAL_MAX = 2_000
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _shown(value: str, limit: int = 40) -> str:
    """A value as it may appear in a message: short, and never a secret (callers pass no secrets)."""
    return repr(value if len(value) <= limit else value[:limit] + "...")


# Accounts ----------------------------------------------------------------------------------


class ChannelSettings(BaseModel):
    """Settings every sales channel takes, whatever its kind."""

    model_config = ConfigDict(extra="forbid")
    #: the supplier account this channel's orders go to (sync.supplier_accounts); checked against
    #: the accounts stored by sync.channel_accounts
    supplier_account: str | None = Field(None, min_length=1, max_length=NAME_MAX)
    pull_every_seconds: int | None = Field(None, ge=10, le=7 * 86_400)
    overlap_seconds: int | None = Field(None, ge=0, le=7 * 86_400)
    allow_authorized: bool | None = None
    #: how far back a new channel's first pull reaches (sync.pull.first_pull_hours)
    first_pull_hours: float | None = Field(None, gt=0, le=24 * 3650)
    #: while webhooks arrive, pulls (the safety net) run this many minutes apart (sync.webhooks)
    webhook_poll_minutes: int | None = Field(None, ge=1, le=7 * 1440)
    #: keep the channel's buyers in the customer list; unset: yes, except where the platform's
    #: privacy rules forbid it (Shopee, Amazon's restricted buyer data)
    create_customers: bool | None = None
    #: payment methods (the platform's codes: WooCommerce "bacs", "cod"; Shopify's gateway names)
    #: whose orders wait for the seller to confirm the payment; unset: ["bacs"] (sync.payment_rules)
    confirm_payment_methods: list[str] | None = Field(None, max_length=20)
    #: a payment confirmed in OrderHub is told to the channel (WooCommerce: the order becomes
    #: processing); unset: no (sync.payment_writeback)
    mark_paid_on_channel: bool | None = None

    @field_validator("confirm_payment_methods")
    @classmethod
    def _methods(cls, value: list[str] | None) -> list[str] | None:
        if value is not None and any(not m.strip() or len(m) > 100 or _CONTROL.search(m) for m in value):
            raise ValueError("each payment method is a code of 1 to 100 characters, as the platform names it "
                             "(bacs, cod)")
        return [m.strip() for m in value] if value is not None else None


#: a buyer's link to a messenger order works at least an hour, at most 90 days
LINK_HOURS_MIN = 1
LINK_HOURS_MAX = 90 * 24


class MessengerStoreSettings(BaseModel):
    """Settings of a messenger store (a channel of kind "messenger", with no connector)."""

    model_config = ConfigDict(extra="forbid")
    #: how long its buyers' links work (ORDERHUB_MESSENGER_LINK_HOURS when unset)
    link_hours: float | None = Field(None, ge=LINK_HOURS_MIN, le=LINK_HOURS_MAX, allow_inf_nan=False)
    #: its orders' currency unless an order says otherwise (ISO 4217, checked where it is set)
    currency: str | None = Field(None, pattern=r"^[A-Z]{3}$")
    #: the supplier account its supplier-fulfilled orders go to, like any sales channel's
    #: (``sync.supplier_accounts``; written down for it when a second account is added)
    supplier_account: str | None = Field(None, min_length=1, max_length=NAME_MAX)


def check_link_hours(hours: float) -> float:
    """Hours a buyer's link works, within the bounds: a ``FieldError`` otherwise."""
    if not (isinstance(hours, int | float) and math.isfinite(hours) and LINK_HOURS_MIN <= hours <= LINK_HOURS_MAX):
        raise FieldError(f"link hours: from {LINK_HOURS_MIN} to {LINK_HOURS_MAX} (90 days)", field="link_hours")
    return float(hours)


class SupplierSettings(BaseModel):
    """Settings every supplier account takes."""

    model_config = ConfigDict(extra="forbid")
    rate_per_second: float | None = Field(None, gt=0, le=100)
    #: the prefix of this account's order references, when it is not the installation's (another
    #: installation places orders on the same account); fixed once its channels hold orders
    reference_prefix: str | None = Field(None, pattern=r"^[A-Za-z0-9]{1,12}$")
    carriers: list[str] | None = Field(None, min_length=1, max_length=20)
    language: str | None = None
    #: calls per hour on each catalogue list (BigBuy allows about 10)
    catalogue_calls_per_hour: float | None = Field(None, gt=0, le=3600)
    catalogue_page_size: int | None = Field(None, ge=1, le=100_000)
    #: resubmit the orders held for the wallet, oldest first, as soon as a balance read covers them
    auto_resubmit_wallet: bool | None = None

    @field_validator("carriers")
    @classmethod
    def _carriers(cls, value: list[str] | None) -> list[str] | None:
        if value is not None and any(not c.strip() or len(c) > 100 or _CONTROL.search(c) for c in value):
            raise ValueError("each carrier is a name of 1 to 100 characters")
        return value

    @field_validator("language")
    @classmethod
    def _language(cls, value: str | None) -> str | None:
        if value is not None and (len(value) != 2 or pycountry.languages.get(alpha_2=value.lower()) is None):
            raise ValueError("a two-letter ISO 639-1 language code, e.g. en")
        return value.lower() if value else value


def parse_setting_value(key: str, text: str) -> Any:
    """``--setting KEY=VALUE``: a JSON value (number, true/false, list) or else the text itself."""
    try:
        value = json.loads(text)
    except RecursionError:
        raise FieldError(f"setting {key}: the value is nested too deeply", field=key) from None
    except ValueError:
        return text
    if isinstance(value, float) and not math.isfinite(value):
        raise FieldError(f"setting {key}: expected a finite number", field=key)
    return value


def check_url(url: str) -> str:
    url = url.strip()
    if len(url) > URL_MAX:
        raise FieldError(f"the URL is longer than {URL_MAX} characters", field="url")
    try:
        parts = urlsplit(url)
        port = parts.port  # raises on a port that is no number or out of range
    except ValueError as exc:
        raise FieldError(f"{_shown(url)} is not a URL: {exc}", field="url") from None
    if parts.scheme not in ("http", "https") or not parts.hostname or _CONTROL.search(url) or " " in url:
        raise FieldError(f"{_shown(url)} is not an http(s) URL such as https://shop.example", field="url")
    if parts.username or parts.password:
        raise FieldError("the URL must not carry a user or password: give them with --credential", field="url")
    if parts.query or parts.fragment:
        raise FieldError("the URL is the shop's or API's base address, with no query or fragment", field="url")
    del port
    return url.rstrip("/")


def check_name(name: str) -> str:
    name = name.strip()
    if not name or len(name) > NAME_MAX or _CONTROL.search(name):
        raise FieldError(f"an account name has 1 to {NAME_MAX} printable characters", field="name")
    return name


def check_credentials(kind: str, credentials: dict[str, str], *, partial: bool = False) -> dict[str, str]:
    """The kind's credential keys, each with a value; ``partial`` for an edit of some of them.
    Messages name keys, never values."""
    cls = _connector(kind)
    for key, value in credentials.items():
        if not value.strip() or len(value) > CREDENTIAL_MAX or _CONTROL.search(value):
            raise FieldError(f"credential {key}: expected a value of 1 to {CREDENTIAL_MAX} printable characters",
                             field=f"credentials.{key}")
    keys = cls.credential_keys
    if keys is None:
        return dict(credentials)
    taken = (*keys, *cls.optional_credential_keys)
    unknown = sorted(set(credentials) - set(taken))
    if unknown:
        raise FieldError(f"{kind} takes no credential {unknown[0]!r} (it takes: {', '.join(taken)})",
                         field=f"credentials.{unknown[0]}")
    missing = [k for k in keys if k not in credentials]
    if missing and not partial:
        raise FieldError(f"{kind} needs --credential {missing[0]}=... (it takes: {', '.join(keys)})",
                         field=f"credentials.{missing[0]}")
    return {k: v.strip() for k, v in credentials.items()}


def check_settings(kind: str, role: str, settings: dict[str, Any]) -> dict[str, Any]:
    """Each setting known to the role or to the kind, with a value it can use."""
    if kind == "messenger":  # a store the seller keeps by hand: no connector, settings of its own
        models: list[type[BaseModel]] = [MessengerStoreSettings]
    else:
        cls = _connector(kind)
        common: type[BaseModel] = ChannelSettings if role == "channel" else SupplierSettings
        models = [m for m in (common, cls.settings_model) if m is not None]
    known = [name for m in models for name in m.model_fields]
    checked: dict[str, Any] = {}
    for key in settings:
        if key not in known:
            raise FieldError(f"{kind} has no setting {key[:40]!r} (settings: {', '.join(known)})", field=key)
    for model in models:
        mine = {k: v for k, v in settings.items() if k in model.model_fields}
        try:
            parsed = model.model_validate(mine)
        except ValidationError as exc:
            first = exc.errors()[0]
            key = str(first["loc"][0]) if first.get("loc") else "settings"
            raise FieldError(f"setting {key}: {first['msg']}", field=key) from None
        checked.update(parsed.model_dump(exclude_unset=True))
    return checked


def _connector(kind: str) -> Any:
    try:
        return connector_class(kind)
    except UnknownConnector as exc:
        raise FieldError(str(exc), field="kind") from None


# A delivery address ------------------------------------------------------------------------

#: names, phone and e-mail as long as the customer's columns hold them; the rest as the supplier's
#: widest field holds them (its single address line is checked by the address_too_long rule)
ADDRESS_MAX: dict[str, int] = {
    "first_name": _column_length(Customer.__table__.c.first_name),
    "last_name": _column_length(Customer.__table__.c.last_name),
    "email": _column_length(Customer.__table__.c.email),
    "phone": _column_length(Customer.__table__.c.phone),
    "company": 200, "address1": 200, "address2": 200, "city": 200, "region": 200, "postcode": 20,
    "country_code": 2,
}


def check_address_changes(changes: dict[str, str], current: dict[str, Any] | None) -> dict[str, str | None]:
    """The operator's corrections to a delivery address, normalised; an empty value clears a field."""
    unknown = sorted(set(changes) - set(EDITABLE))
    if unknown:
        raise FieldError(f"unknown address field: {unknown[0][:40]} (fields: {', '.join(EDITABLE)})",
                         field=unknown[0])
    out: dict[str, str | None] = {}
    for key, raw in changes.items():
        value = raw.strip()
        if _CONTROL.search(value):
            raise FieldError(f"{key}: control characters are not allowed", field=key)
        if len(value) > ADDRESS_MAX[key]:
            raise FieldError(f"{key}: at most {ADDRESS_MAX[key]} characters", field=key)
        out[key] = value or None
    if country := out.get("country_code"):
        out["country_code"] = _country(country)
    if email := out.get("email"):
        out["email"] = _email(email)
    if phone := out.get("phone"):
        out["phone"] = check_phone(phone, out.get("country_code") or (current or {}).get("country_code"))
    return out


def _country(value: str) -> str:
    country = pycountry.countries.get(alpha_2=value.upper()) if len(value) == 2 else None
    if country is None:
        raise FieldError(f"country_code: {_shown(value)} is not an ISO 3166-1 alpha-2 code such as ES",
                         field="country_code")
    return str(country.alpha_2)


def _email(value: str) -> str:
    try:
        return str(validate_email(value, check_deliverability=False).normalized)
    except EmailNotValidError as exc:
        raise FieldError(f"email: {exc}", field="email") from None


def check_phone(value: str, country: str | None) -> str:
    """The number in E.164 (+34600000001), or ``FieldError`` when no such number exists."""
    region = country.upper() if country else None
    try:
        number = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        where = f" for {region}" if region else " (give it with its +country code)"
        raise FieldError(f"phone: not a valid phone number{where}", field="phone")
    return str(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))


# The supplier's reference for an order placed by hand ----------------------------------------


def check_manual_reference(session: Session, order_id: int, reference: str) -> str:
    """A reference the order can be recorded under: of a length the store holds, and not the
    reference or supplier order id of another order (that order's tracking would be taken)."""
    reference = reference.strip()
    if not reference:
        raise FieldError("a supplier reference is needed to mark an order sent", field="reference")
    if len(reference) > REFERENCE_MAX or _CONTROL.search(reference):
        raise FieldError(f"the reference has 1 to {REFERENCE_MAX} printable characters", field="reference")
    other = session.scalar(
        select(SupplierOrderRow.order_id).where(
            or_(SupplierOrderRow.internal_reference == reference, SupplierOrderRow.supplier_order_id == reference),
            SupplierOrderRow.order_id != order_id).limit(1))
    if other is None:
        other = session.scalar(select(Order.id).where(Order.internal_reference == reference, Order.id != order_id))
    if other is not None:
        raise FieldError(f"reference {reference} belongs to order {other}", field="reference")
    return reference


# Closing an issue by hand ------------------------------------------------------------------

#: issues an operator settles outside OrderHub and then closes; every other open issue of an order
#: held for review is what holds it: it is fixed and resubmitted, or the order is marked sent
ACKNOWLEDGEABLE = frozenset({"changed_after_forwarding"})


def check_acknowledgeable(status: str, code: str) -> None:
    if code in ACKNOWLEDGEABLE or status != "pending_review":
        return
    raise FieldError(f"{code} holds the order for review: fix it and resubmit, or mark the order sent by hand",
                     field="code")
