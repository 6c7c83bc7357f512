"""``orderhub channels webhooks register|list NAME``: the channel's subscriptions on its platform.

The address subscribed is ``<public URL>/webhooks/<kind>/<channel name>`` on the web admin
(``orderhub admin``), which must be reachable from the platform (Shopify wants https)."""

from __future__ import annotations

import argparse
import secrets
from dataclasses import asdict
from urllib.parse import quote

from sqlalchemy import select
from sqlalchemy.orm import Session

from admin.commands_base import InputError, emit
from connectors.base import ChannelConnector
from connectors.errors import ConnectorError
from connectors.registry import channel_class
from connectors.webhooks import Subscription
from sync import connect, fields
from sync.db import get_database
from sync.models import Channel
from sync.settings import get_settings
from sync.webhooks import SECRET_KEY


def run(args: argparse.Namespace) -> int:
    return register(args) if args.webhooks_command == "register" else list_subscriptions(args)


def address_for(base: str, kind: str, name: str) -> str:
    return f"{base}/webhooks/{kind}/{quote(name, safe='')}"


def register(args: argparse.Namespace) -> int:
    base = args.url or get_settings().public_url
    if not base:
        raise InputError("give --url https://admin.example (where the platform reaches the web admin) "
                         "or set ORDERHUB_PUBLIC_URL")
    try:
        base = fields.check_url(base)
    except fields.FieldError as exc:
        raise InputError(f"--url: {exc}") from None
    with get_database().session() as session:
        row = _channel(session, args.name)
        cls = _webhook_class(row)
        secret = (row.credentials or {}).get(SECRET_KEY)
        if not secret:
            if not cls.webhook_secret_is_ours:
                raise InputError(f"{row.kind} signs deliveries with the app's client secret: set it first with "
                                 f"orderhub channels edit {row.name} --credential {SECRET_KEY}=...")
            # kept before the platform hears of it, so a failed registration is simply run again
            secret = secrets.token_urlsafe(32)
            row.credentials = {**(row.credentials or {}), SECRET_KEY: secret}
        address = address_for(base, row.kind, row.name)
        connector = connect.channel_for(row)
    try:
        found = connector.register_webhooks(address, str(secret))
    except ConnectorError as exc:
        raise InputError(f"{args.name}: the platform refused: {exc.__class__.__name__}: {exc}") from None
    print(f"{args.name}: {len(found)} webhook subscriptions to {address}")
    _print(found)
    missing = sorted(set(cls.webhook_topics) - {s.topic for s in found})
    if missing:
        raise InputError(f"{args.name}: the platform does not list {', '.join(missing)} after registering")
    return 0


def list_subscriptions(args: argparse.Namespace) -> int:
    with get_database().session() as session:
        row = _channel(session, args.name)
        _webhook_class(row)
        connector = connect.channel_for(row)
    try:
        found = connector.list_webhooks()
    except ConnectorError as exc:
        raise InputError(f"{args.name}: the platform refused: {exc.__class__.__name__}: {exc}") from None
    if args.json:
        emit([asdict(s) for s in found])
    elif found:
        _print(found)
    else:
        print(f"{args.name}: no webhook subscriptions (orderhub channels webhooks register {args.name})")
    return 0


def _print(found: list[Subscription]) -> None:
    for s in found:
        print(f"{s.id:>12}  {s.topic:<20} {s.status:<8} {s.address}")


def _channel(session: Session, name: str) -> Channel:
    row = session.scalar(select(Channel).where(Channel.name == name, Channel.role == "channel"))
    if row is None:
        raise InputError(f"no channel named {name[:100]!r}")
    return row


def _webhook_class(row: Channel) -> type[ChannelConnector]:
    cls = channel_class(row.kind)
    if not cls.webhook_topics:
        raise InputError(f"{row.kind} channels take no webhooks here: their pulls keep them current")
    return cls
