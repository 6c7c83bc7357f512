"""The account form: its fields drawn from what the kind declares (its connector's
``credential_keys``, the role's settings and the kind's ``settings_model``), and a submitted form
read back into the ``Draft``/``Change`` that ``sync.channel_accounts`` checks, like the command line.

Secrets are never sent to the browser: a stored credential shows as "set", a blank field keeps it.
"""

from __future__ import annotations

import typing
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from connectors.registry import available, connector_class
from sync import fields
from sync.channel_accounts import Change, Draft

#: how a setting is typed in: yes/no, one of a few words, a comma-separated list, or text
BOOL, CHOICE, LIST, TEXT = "bool", "choice", "list", "text"
#: a channel's supplier account: chosen among the stored ones (blank: the only one)
ACCOUNT = "supplier_account"


@dataclass(frozen=True)
class SettingField:
    key: str
    widget: str
    choices: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        return self.key.replace("_", " ").capitalize()


def kinds() -> list[tuple[str, str]]:
    """(kind, role) of every registered connector, channels first."""
    return sorted(((kind, cls.role) for kind, cls in available().items()), key=lambda kr: (kr[1] != "channel", kr[0]))


def credential_keys(kind: str) -> tuple[str, ...]:
    return tuple(connector_class(kind).credential_keys or ())


def optional_credential_keys(kind: str) -> tuple[str, ...]:
    """Credentials the kind takes but can work without (a webhook's signing secret)."""
    return tuple(connector_class(kind).optional_credential_keys or ())


def setting_fields(kind: str, supplier_accounts: tuple[str, ...] = ()) -> list[SettingField]:
    """``supplier_accounts``: the names a channel's ``supplier_account`` is chosen from."""
    cls = connector_class(kind)
    common: type[BaseModel] = fields.ChannelSettings if cls.role == "channel" else fields.SupplierSettings
    models = [m for m in (common, cls.settings_model) if m is not None]
    return [SettingField(key, CHOICE, supplier_accounts) if key == ACCOUNT and supplier_accounts
            else _field(key, info.annotation) for m in models for key, info in m.model_fields.items()]


def _field(key: str, annotation: Any) -> SettingField:
    args = [a for a in (typing.get_args(annotation) or (annotation,)) if a is not type(None)]
    if args == [bool]:
        return SettingField(key, BOOL, ("true", "false"))
    literal = [a for a in args if typing.get_origin(a) is typing.Literal]
    if literal:
        return SettingField(key, CHOICE, tuple(str(c) for c in typing.get_args(literal[0])))
    if any(typing.get_origin(a) is list for a in args):
        return SettingField(key, LIST)
    if args == [str]:
        return SettingField(key, TEXT, ("str",))
    return SettingField(key, TEXT)


def shown(value: Any) -> str:
    """A stored setting as the form shows it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def _value(field: SettingField, text: str) -> Any:
    if field.widget == LIST:
        return [part.strip() for part in text.split(",") if part.strip()]
    if field.widget == TEXT and field.choices == ("str",) or field.widget == CHOICE:
        return text  # text settings stay text, even when they look like a number
    return fields.parse_setting_value(field.key, text)


@dataclass
class Submitted:
    """A form as typed: ``values`` is what goes back into the form (never a secret)."""

    values: dict[str, str]
    credentials: dict[str, str]
    settings: dict[str, Any]
    blank_settings: tuple[str, ...]
    errors: dict[str, str]


def read(kind: str, form: dict[str, str]) -> Submitted:
    values = {k: v for k, v in form.items() if k != "csrf_token" and not k.startswith("credentials.")}
    credentials = {key: form[f"credentials.{key}"] for key in (*credential_keys(kind), *optional_credential_keys(kind))
                   if form.get(f"credentials.{key}", "").strip()}
    settings: dict[str, Any] = {}
    blank: list[str] = []
    errors: dict[str, str] = {}
    for field in setting_fields(kind):
        text = form.get(f"settings.{field.key}", "").strip()
        if not text:
            blank.append(field.key)
            continue
        try:
            settings[field.key] = _value(field, text)
        except fields.FieldError as exc:
            errors[field.key] = str(exc)
    return Submitted(values, credentials, settings, tuple(blank), errors)


def draft(kind: str, submitted: Submitted) -> Draft:
    return Draft(name=submitted.values.get("name", ""), kind=kind, url=submitted.values.get("url", ""),
                 credentials=submitted.credentials, settings=submitted.settings)


def change(current: dict[str, Any], current_name: str, current_url: str, submitted: Submitted) -> Change:
    """Only what differs from the stored account; a blank setting that was set is dropped."""
    name = submitted.values.get("name", "").strip()
    url = submitted.values.get("url", "").strip()
    settings = {k: v for k, v in submitted.settings.items() if current.get(k) != v}
    return Change(rename=name if name != current_name else None,
                  url=url if url.rstrip("/") != current_url else None,
                  credentials=submitted.credentials or None, settings=settings or None,
                  unset=tuple(k for k in submitted.blank_settings if k in current))

