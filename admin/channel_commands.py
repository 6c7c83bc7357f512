"""``orderhub channels ...``: the accounts (sales channels and supplier accounts)."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from admin.commands_base import InputError, emit
from sync import fields
from sync.db import get_database
from sync.models import Channel, Order, SupplierOrderRow


def run(args: argparse.Namespace) -> int:
    handlers: dict[str, Callable[[argparse.Namespace], int]] = {
        "list": list_accounts, "add": add, "edit": edit, "disable": disable, "enable": enable,
        "remove": remove, "sync": sync_now, "webhooks": _webhooks,
    }
    return handlers[args.channels_command](args)


def _webhooks(args: argparse.Namespace) -> int:
    from admin import webhook_commands

    return webhook_commands.run(args)


def list_accounts(args: argparse.Namespace) -> int:
    with get_database().session() as session:
        rows = session.scalars(select(Channel).order_by(Channel.id)).all()
        data = [{"id": r.id, "name": r.name, "kind": r.kind, "role": r.role, "url": r.url,
                 "enabled": r.enabled, "settings": r.settings, "cursor": r.cursor,
                 "last_sync_at": r.last_sync_at, "last_error": r.last_error} for r in rows]
    if args.json:
        emit(data)
    else:
        for d in data:
            state = "" if d["enabled"] else "  (disabled)"
            error = str(d["last_error"] or "")
            if error.startswith("auth_broken"):  # a revoked grant, an uninstalled app
                state += f"  {error[:160]}"
            print(f"{d['id']:>4}  {d['name']:<24} {d['role']:<8} {d['kind']:<12} {d['url']}  "
                  f"cursor={d['cursor']}{state}")
    return 0


def _checked(call: Callable[[], Any]) -> Any:
    try:
        return call()
    except fields.FieldError as exc:
        raise InputError(str(exc)) from None


def _settings(kind: str, role: str, pairs: list[tuple[str, str]]) -> dict[str, Any]:
    try:
        raw = {key: fields.parse_setting_value(key, value) for key, value in pairs}
        return fields.check_settings(kind, role, raw)
    except fields.FieldError as exc:
        raise InputError(str(exc)) from None


def add(args: argparse.Namespace) -> int:
    from connectors.registry import UnknownConnector, connector_class

    try:
        cls = connector_class(args.kind)
    except UnknownConnector as exc:
        raise InputError(str(exc)) from None
    role = args.role or cls.role
    if role != cls.role:
        raise InputError(f"{args.kind} is a {cls.role}, not a {role}")
    name = _checked(lambda: fields.check_name(args.name))
    with get_database().session() as session:
        if session.scalar(select(Channel.id).where(Channel.name == name)):
            raise InputError(f"an account named {name!r} exists already")
        url = _checked(lambda: fields.check_url(args.url))
        credentials = _checked(lambda: fields.check_credentials(args.kind, dict(args.credential)))
        settings = _settings(args.kind, role, args.setting)
        row = Channel(name=name, kind=args.kind, role=role, url=url, credentials=credentials, settings=settings)
        session.add(row)
        session.flush()
        print(f"added {role} {name} (id {row.id})")
    if role == "channel":
        from sync.pull import first_pull_hours

        hours = first_pull_hours(settings)
        print(f"first pull: orders updated in the last {hours:g} hours (setting first_pull_hours)")
    else:
        # orders are checked against the catalogue: without it every order is held as unknown_sku
        print("next: `orderhub catalogue sync` reads its products; run it before the first pull")
    return 0


def _account(session: Session, name: str) -> Channel:
    row = session.scalar(select(Channel).where(Channel.name == name))
    if row is None:
        raise InputError(f"no account named {name[:100]!r}")
    return row


def edit(args: argparse.Namespace) -> int:
    from sync import connect

    if not (args.url or args.credential or args.setting or args.unset or args.rename):
        raise InputError("nothing to change: give --url, --credential, --setting, --unset or --rename")
    with get_database().session() as session:
        row = _account(session, args.name)
        if args.rename:
            new_name = _checked(lambda: fields.check_name(args.rename))
            if session.scalar(select(Channel.id).where(Channel.name == new_name, Channel.id != row.id)):
                raise InputError(f"an account named {new_name!r} exists already")
            row.name = new_name
        if args.url:
            row.url = _checked(lambda: fields.check_url(args.url))
        if args.credential:
            given = _checked(lambda: fields.check_credentials(row.kind, dict(args.credential), partial=True))
            row.credentials = {**(row.credentials or {}), **given}
        settings = {k: v for k, v in (row.settings or {}).items() if k not in set(args.unset or [])}
        settings.update(_settings(row.kind, row.role, args.setting))
        row.settings = _checked(lambda: fields.check_settings(row.kind, row.role, settings))
        changed = [what for what, given in (("name", args.rename), ("url", args.url),
                                            ("credentials", args.credential),
                                            ("settings", args.setting or args.unset)) if given]
        print(f"{row.role} {row.name}: {', '.join(changed)} changed")
    connect.forget()
    return 0


def _set_enabled(name: str, enabled: bool) -> int:
    with get_database().session() as session:
        row = _account(session, name)
        row.enabled = enabled
        print(f"{row.role} {row.name}: {'enabled' if enabled else 'disabled (no pulls until enabled again)'}")
    return 0


def disable(args: argparse.Namespace) -> int:
    return _set_enabled(args.name, False)


def enable(args: argparse.Namespace) -> int:
    return _set_enabled(args.name, True)


def remove(args: argparse.Namespace) -> int:
    """Only an account nothing refers to: the orders of a channel, and what a supplier holds, are
    the history operators and tracking need. Such an account is disabled instead."""
    with get_database().session() as session:
        row = _account(session, args.name)
        orders = session.scalar(select(func.count()).select_from(Order).where(Order.channel_id == row.id)) or 0
        placed = session.scalar(select(func.count()).select_from(SupplierOrderRow)
                                .where(SupplierOrderRow.supplier_id == row.id)) or 0
        if orders or placed:
            held = f"{orders} orders" if orders else f"{placed} supplier orders"
            raise InputError(f"{row.name} holds {held}: disable it instead (orderhub channels disable {row.name})")
        session.delete(row)
        print(f"removed {row.role} {row.name}")
    return 0


def sync_now(args: argparse.Namespace) -> int:
    from sync import connect, pull
    from workers.dispatch import forward_soon

    db = get_database()
    with db.session() as session:
        channel_id = session.scalar(select(Channel.id).where(Channel.name == args.name, Channel.role == "channel"))
    if channel_id is None:
        raise InputError(f"no channel named {args.name[:100]!r}")
    result = pull.pull_channel(db, channel_id, connect.channel_for)
    outcomes = forward_soon(result.ready)
    emit({"pages": result.pages, "inserted": result.inserted, "updated": result.updated,
          "unchanged": result.unchanged, "quarantined": result.quarantined,
          "ready": len(result.ready), "forwarding": tally(outcomes)})
    return 0


def tally(items: list[str]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for item in items:
        counts[item] = counts.get(item, 0) + 1
    return counts
