"""Adding, changing and removing accounts (sales channels and supplier accounts): the one place
``orderhub channels add|edit|remove`` and the web admin's channel forms go through, so both refuse
the same things with the same words before anything is stored.

Every check runs before a row is written; each refusal names its field (``AccountRefused.errors``
maps field -> message, ``credentials.KEY`` for a credential), so a form can mark every field at
once and a command can print the first. Messages name credential keys, never their values.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sync import fields, supplier_accounts
from sync.fields import FieldError
from sync.models import Channel, Order, SupplierOrderRow


class AccountRefused(FieldError):
    """One or more fields cannot be stored; ``str()`` is the first problem."""

    def __init__(self, errors: dict[str, str]) -> None:
        first_field, first = next(iter(errors.items()))
        super().__init__(first, field=first_field)
        self.errors = errors


@dataclass(frozen=True)
class Draft:
    """An account as typed: credentials and settings already split into keys."""

    name: str
    kind: str
    url: str
    credentials: dict[str, str]
    settings: dict[str, Any]
    role: str | None = None


def settings_from_pairs(pairs: Iterable[tuple[str, str]]) -> dict[str, Any]:
    """``--setting KEY=VALUE`` pairs as values (a JSON number, true/false or list, else the text)."""
    return {key: fields.parse_setting_value(key, value) for key, value in pairs}


def find(session: Session, name: str) -> Channel:
    row = session.scalar(select(Channel).where(Channel.name == name))
    if row is None:
        raise FieldError(f"no account named {name[:100]!r}", field="name")
    return row


def add_account(session: Session, draft: Draft) -> Channel:
    """The new account, flushed (its id set), or ``AccountRefused`` with nothing stored."""
    from connectors.registry import UnknownConnector, connector_class

    errors: dict[str, str] = {}
    try:
        cls = connector_class(draft.kind)
    except UnknownConnector as exc:
        raise AccountRefused({"kind": str(exc)}) from None
    role = draft.role or cls.role
    if role != cls.role:
        raise AccountRefused({"role": f"{draft.kind} is a {cls.role}, not a {role}"})
    name = _collect(errors, lambda: fields.check_name(draft.name))
    if name and session.scalar(select(Channel.id).where(Channel.name == name)):
        errors["name"] = f"an account named {name!r} exists already"
    url = _collect(errors, lambda: fields.check_url(draft.url))
    credentials = _credentials(errors, draft.kind, draft.credentials, partial=False)
    settings = _settings(errors, draft.kind, role, draft.settings)
    if not errors:  # each setting was fine alone: now together
        settings = _collect(errors, lambda: fields.check_settings(draft.kind, role, draft.settings))
    if not errors and role == "channel":
        settings = _with_account(errors, session, settings, settings.get(supplier_accounts.SETTING))
    if errors:
        raise AccountRefused(errors)
    if role == "supplier":
        _name_the_only_account(session)
    row = Channel(name=name, kind=draft.kind, role=role, url=url, credentials=credentials, settings=settings)
    session.add(row)
    session.flush()
    return row


def _with_account(errors: dict[str, str], session: Session, settings: dict[str, Any], name: Any,
                  channel: Channel | None = None) -> dict[str, Any]:
    """``settings`` with the supplier account checked (the only one filled in when none is named)."""
    try:
        chosen = supplier_accounts.check_choice(session, name, channel=channel)
    except ValueError as exc:
        errors[supplier_accounts.SETTING] = str(exc)
        return settings
    settings = {k: v for k, v in settings.items() if k != supplier_accounts.SETTING}
    return {**settings, supplier_accounts.SETTING: chosen} if chosen else settings


def _name_the_only_account(session: Session) -> None:
    """A second supplier account is being added: the channels that named none went to the only
    one so far, and keep going there."""
    every = supplier_accounts.accounts(session)
    if len(every) != 1:
        return
    for channel in session.scalars(select(Channel).where(Channel.role == "channel")):
        if supplier_accounts.named(channel.settings) is None:
            channel.settings = {**(channel.settings or {}), supplier_accounts.SETTING: every[0].name}


@dataclass(frozen=True)
class Change:
    """What an edit changes: ``None`` leaves a part as it is (an empty name or URL is checked, and
    refused). ``credentials`` holds only the keys being replaced; ``unset`` drops settings."""

    rename: str | None = None
    url: str | None = None
    credentials: dict[str, str] | None = None
    settings: dict[str, Any] | None = None
    unset: tuple[str, ...] = ()

    @property
    def empty(self) -> bool:
        return self.rename is None and self.url is None and not (self.credentials or self.settings or self.unset)


def edit_account(session: Session, row: Channel, change: Change) -> list[str]:
    """Apply ``change`` to ``row`` after checking all of it; answers what changed."""
    if change.empty:
        raise FieldError("nothing to change", field="form")
    errors: dict[str, str] = {}
    new_name = _collect(errors, lambda: fields.check_name(change.rename or "")) if change.rename is not None else None
    if new_name and session.scalar(select(Channel.id).where(Channel.name == new_name, Channel.id != row.id)):
        errors["name"] = f"an account named {new_name!r} exists already"
    url = _collect(errors, lambda: fields.check_url(change.url or "")) if change.url is not None else None
    given = _credentials(errors, row.kind, change.credentials or {}, partial=True)
    settings = {k: v for k, v in (row.settings or {}).items() if k not in set(change.unset)}
    settings.update(_settings(errors, row.kind, row.role, change.settings or {}))
    if not errors:
        settings = _collect(errors, lambda: fields.check_settings(row.kind, row.role, settings))
    if not errors:
        _check_account_change(errors, session, row, change, settings)
    if not errors and row.role == "channel" and _touches(change, supplier_accounts.SETTING):
        settings = _with_account(errors, session, settings, settings.get(supplier_accounts.SETTING), row)
    if errors:
        raise AccountRefused(errors)
    if new_name and row.role == "supplier":
        _follow_rename(session, row.name, new_name)
    if new_name:
        row.name = new_name
    if url:
        row.url = url
    if given:
        row.credentials = {**(row.credentials or {}), **given}
    row.settings = settings
    return [what for what, done in (("name", new_name), ("url", url), ("credentials", given),
                                    ("settings", change.settings or change.unset)) if done]


def _touches(change: Change, key: str) -> bool:
    return key in (change.settings or {}) or key in change.unset


def _check_account_change(errors: dict[str, str], session: Session, row: Channel, change: Change,
                          settings: dict[str, Any]) -> None:
    """A supplier account's reference prefix is fixed once its channels hold orders: those orders'
    references were made with it, and the supplier finds them by reference."""
    key = supplier_accounts.PREFIX_SETTING
    if row.role != "supplier" or not _touches(change, key) or settings.get(key) == (row.settings or {}).get(key):
        return
    channels = supplier_accounts.channel_ids(session, row)
    if channels and session.scalar(select(Order.id).where(Order.channel_id.in_(channels)).limit(1)):
        errors[key] = (f"the orders of {row.name}'s channels carry references made with the present prefix: "
                       "it cannot change now")


def _follow_rename(session: Session, old: str, new: str) -> None:
    """The channels that name a supplier account by name keep naming it after a rename."""
    for channel in session.scalars(select(Channel).where(Channel.role == "channel")):
        if supplier_accounts.named(channel.settings) == old:
            channel.settings = {**(channel.settings or {}), supplier_accounts.SETTING: new}


def remove_account(session: Session, row: Channel) -> None:
    """Only an account nothing refers to: the orders of a channel, and what a supplier holds, are
    the history operators and tracking need. Such an account is disabled instead."""
    orders = session.scalar(select(func.count()).select_from(Order).where(Order.channel_id == row.id)) or 0
    placed = session.scalar(select(func.count()).select_from(SupplierOrderRow)
                            .where(SupplierOrderRow.supplier_id == row.id)) or 0
    if orders or placed:
        held = f"{orders} orders" if orders else f"{placed} supplier orders"
        raise FieldError(f"{row.name} holds {held}: disable it instead (orderhub channels disable {row.name})",
                         field="name")
    if row.role == "supplier":
        naming = [c.name for c in session.scalars(select(Channel).where(Channel.role == "channel"))
                  if supplier_accounts.named(c.settings) == row.name]
        if naming:
            raise FieldError(f"channel {naming[0]} forwards to {row.name}: give it another supplier account first",
                             field="name")
    session.delete(row)


def _collect(errors: dict[str, str], check: Any) -> Any:
    try:
        return check()
    except FieldError as exc:
        errors.setdefault(exc.field or "form", str(exc))
        return None


def _credentials(errors: dict[str, str], kind: str, given: dict[str, str], *, partial: bool) -> dict[str, str]:
    """Each credential checked on its own (every bad one is marked), then the set as a whole."""
    checked: dict[str, str] = {}
    for key, value in given.items():
        one = _collect(errors, lambda k=key, v=value: fields.check_credentials(kind, {k: v}, partial=True))
        if one:
            checked.update(one)
    if not partial and len(checked) == len(given):
        _collect(errors, lambda: fields.check_credentials(kind, given))
    return checked


def _settings(errors: dict[str, str], kind: str, role: str, given: dict[str, Any]) -> dict[str, Any]:
    checked: dict[str, Any] = {}
    for key, value in given.items():
        one = _collect(errors, lambda k=key, v=value: fields.check_settings(kind, role, {k: v}))
        if one is not None:
            checked.update(one)
    return checked
