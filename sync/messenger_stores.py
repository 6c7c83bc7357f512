"""Messenger stores (channels of kind ``messenger``, whose orders a seller types in from a chat)
and the seller's payment methods: added, changed and looked up by name."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from sync import messenger_fields as fields
from sync import supplier_accounts
from sync.fields import check_settings
from sync.messenger_fields import MessengerError
from sync.messenger_models import PaymentMethod
from sync.models import Channel

KIND = "messenger"
DEFAULT_CURRENCY = "EUR"


def add_store(session: Session, name: str, settings: dict[str, Any] | None = None,
              currency: str = DEFAULT_CURRENCY) -> Channel:
    """``settings``: the store's own (``sync.fields.MessengerStoreSettings``), checked; ``currency`` is
    its orders' currency unless an order says otherwise."""
    name = name.strip()
    if not name or len(name) > 100:
        raise MessengerError("store: a name of 1 to 100 characters", field="name")
    code = fields.currency(currency, DEFAULT_CURRENCY)
    checked = check_settings(KIND, "channel", {**(settings or {}), "currency": code})
    if session.scalar(select(Channel.id).where(Channel.name == name)) is not None:
        raise MessengerError(f"store: {name[:40]!r} exists already", field="name")
    _check_account(session, checked)
    store = Channel(name=name, kind=KIND, role="channel", url="", credentials={}, settings=checked)
    session.add(store)
    session.flush()
    return store


def edit_store(session: Session, name: str, changes: dict[str, Any]) -> Channel:
    """Change a store's settings; a value of None takes the setting away (the default applies)."""
    store = store_named(session, name)
    merged = {**(store.settings or {}), **changes}
    checked = check_settings(KIND, "channel", {k: v for k, v in merged.items() if v is not None})
    if supplier_accounts.named(checked) != supplier_accounts.named(store.settings):
        _check_account(session, checked, store)
    store.settings = checked
    session.flush()
    return store


def _check_account(session: Session, settings: dict[str, Any], store: Channel | None = None) -> None:
    """A supplier account the store names exists (and its orders' references keep their prefix);
    naming none is the seller's choice: self-delivered orders need no supplier."""
    name = supplier_accounts.named(settings)
    if name is None:
        return
    try:
        supplier_accounts.check_choice(session, name, channel=store)
    except ValueError as exc:
        raise MessengerError(f"supplier account: {exc}", field=supplier_accounts.SETTING) from None


def store_named(session: Session, name: str) -> Channel:
    store = session.scalar(select(Channel).where(Channel.name == name.strip(), Channel.kind == KIND))
    if store is None:
        raise MessengerError(f"store: no messenger store {name[:40]!r}", field="store")
    return store


def add_payment_method(session: Session, name: str, instructions: str = "", *,
                       needs_proof: bool = True) -> PaymentMethod:
    name = name.strip()
    if not name or len(name) > 100:
        raise MessengerError("payment method: a name of 1 to 100 characters", field="name")
    if session.scalar(select(PaymentMethod.id).where(PaymentMethod.name == name)) is not None:
        raise MessengerError(f"payment method: {name[:40]!r} exists already", field="name")
    method = PaymentMethod(name=name, instructions=instructions.strip()[:5000], needs_proof=needs_proof)
    session.add(method)
    session.flush()
    return method


def payment_method(session: Session, ref: str | int) -> PaymentMethod:
    stmt = select(PaymentMethod).where(PaymentMethod.enabled.is_(True))
    stmt = stmt.where(PaymentMethod.id == ref) if isinstance(ref, int) else stmt.where(PaymentMethod.name == ref)
    method = session.scalar(stmt)
    if method is None:
        raise MessengerError("payment method: choose one of the seller's payment methods", field="payment_method")
    return method
