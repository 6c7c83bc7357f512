"""``orderhub channels ...``: the accounts (sales channels and supplier accounts)."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from admin.commands_base import InputError, emit
from sync import channel_accounts, fields, supplier_accounts
from sync.db import get_database
from sync.models import Channel


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
                 "supplier_account": supplier_accounts.named(r.settings) if r.role == "channel" else None,
                 "last_sync_at": r.last_sync_at, "last_error": r.last_error} for r in rows]
    if args.json:
        emit(data)
    else:
        for d in data:
            state = "" if d["enabled"] else "  (disabled)"
            error = str(d["last_error"] or "")
            if error.startswith("auth_broken"):  # a revoked grant, an uninstalled app
                state += f"  {error[:160]}"
            to = f"  -> {d['supplier_account']}" if d["supplier_account"] else ""
            print(f"{d['id']:>4}  {d['name']:<24} {d['role']:<8} {d['kind']:<12} {d['url']}  "
                  f"cursor={d['cursor']}{to}{state}")
    return 0


def _checked(call: Callable[[], Any]) -> Any:
    try:
        return call()
    except fields.FieldError as exc:
        raise InputError(str(exc)) from None


def _settings(args: argparse.Namespace) -> dict[str, Any]:
    """``--setting`` pairs, with ``--supplier-account`` as the setting it stands for."""
    settings: dict[str, Any] = _checked(lambda: channel_accounts.settings_from_pairs(args.setting))
    if args.supplier_account is not None:
        if getattr(args, "role", None) == "supplier":
            raise InputError("--supplier-account names a channel's supplier account: a supplier account has none")
        settings[supplier_accounts.SETTING] = args.supplier_account
    return settings


def add(args: argparse.Namespace) -> int:
    draft = channel_accounts.Draft(name=args.name, kind=args.kind, url=args.url, role=args.role,
                                   credentials=dict(args.credential), settings=_settings(args))
    with get_database().session() as session:
        row = _checked(lambda: channel_accounts.add_account(session, draft))
        role, name, settings = row.role, row.name, dict(row.settings or {})
        account = supplier_accounts.named(settings)
        print(f"added {role} {name} (id {row.id})" + (f", forwarding to {account}" if account else ""))
    if role == "channel":
        from sync.pull import first_pull_hours

        hours = first_pull_hours(settings)
        print(f"first pull: orders updated in the last {hours:g} hours (setting first_pull_hours)")
    else:
        # orders are checked against the catalogue: without it every order is held as unknown_sku
        print("next: `orderhub catalogue sync` reads its products; run it before the first pull")
    return 0


def _account(session: Session, name: str) -> Channel:
    row: Channel = _checked(lambda: channel_accounts.find(session, name))
    return row


def edit(args: argparse.Namespace) -> int:
    from sync import connect

    change = channel_accounts.Change(
        rename=args.rename, url=args.url, credentials=dict(args.credential),
        settings=_settings(args), unset=tuple(args.unset or ()))
    if change.empty:
        raise InputError("nothing to change: give --url, --credential, --setting, --unset, --supplier-account "
                         "or --rename")
    with get_database().session() as session:
        row = _account(session, args.name)
        changed = _checked(lambda: channel_accounts.edit_account(session, row, change))
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
    with get_database().session() as session:
        row = _account(session, args.name)
        _checked(lambda: channel_accounts.remove_account(session, row))
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
