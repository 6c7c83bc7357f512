"""``orderhub channels ...`` and ``orderhub orders ...``."""

from __future__ import annotations

import argparse
from typing import Any

from sqlalchemy import select

from admin.commands_base import emit
from sync.db import get_database
from sync.models import Channel, Order, OrderEvent, OrderIssue, Shipment, SupplierOrderRow
from sync.states import Status


def channels(args: argparse.Namespace, InputError: type[Exception]) -> int:  # noqa: N803
    db = get_database()
    if args.channels_command == "list":
        with db.session() as session:
            rows = session.scalars(select(Channel).order_by(Channel.id)).all()
            data = [{"id": r.id, "name": r.name, "kind": r.kind, "role": r.role, "url": r.url,
                     "enabled": r.enabled, "cursor": r.cursor, "last_sync_at": r.last_sync_at,
                     "last_error": r.last_error} for r in rows]
        if args.json:
            emit(data)
        else:
            for d in data:
                print(f"{d['id']:>4}  {d['name']:<24} {d['role']:<8} {d['kind']:<12} {d['url']}  cursor={d['cursor']}")
        return 0
    if args.channels_command == "add":
        from connectors.registry import UnknownConnector, connector_class

        try:
            cls = connector_class(args.kind)
        except UnknownConnector as exc:
            raise InputError(str(exc)) from None
        role = args.role or cls.role
        if role != cls.role:
            raise InputError(f"{args.kind} is a {cls.role}, not a {role}")
        from sync.pull import first_pull_hours

        settings = _settings(dict(args.setting))
        try:
            hours = first_pull_hours(settings) if role == "channel" else None
        except ValueError as exc:
            raise InputError(str(exc)) from None
        with db.session() as session:
            if session.scalar(select(Channel.id).where(Channel.name == args.name)):
                raise InputError(f"an account named {args.name!r} exists already")
            row = Channel(name=args.name, kind=args.kind, role=role, url=args.url,
                          credentials=dict(args.credential), settings=settings)
            session.add(row)
            session.flush()
            print(f"added {role} {args.name} (id {row.id})")
        if hours is not None:
            print(f"first pull: orders updated in the last {hours:g} hours (setting first_pull_hours)")
        return 0
    if args.channels_command == "sync":
        from sync import connect, pull
        from workers.dispatch import forward_soon

        with db.session() as session:
            channel_id = session.scalar(select(Channel.id).where(Channel.name == args.name, Channel.role == "channel"))
        if channel_id is None:
            raise InputError(f"no channel named {args.name!r}")
        result = pull.pull_channel(db, channel_id, connect.channel_for)
        outcomes = forward_soon(result.ready)
        emit({"pages": result.pages, "inserted": result.inserted, "updated": result.updated,
              "unchanged": result.unchanged, "quarantined": result.quarantined,
              "ready": len(result.ready), "forwarding": _tally(outcomes)})
        return 0
    raise InputError(f"unknown channels command {args.channels_command}")


def _settings(raw: dict[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in raw.items():
        try:
            out[key] = __import__("json").loads(value)
        except ValueError:
            out[key] = value
    return out


def _tally(items: list[str]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for item in items:
        counts[item] = counts.get(item, 0) + 1
    return counts


def orders(args: argparse.Namespace, InputError: type[Exception]) -> int:  # noqa: N803
    from sync.review import ReviewError, mark_sent_manually, resubmit
    from workers.dispatch import forward_soon

    db = get_database()
    command = args.orders_command
    if command == "list":
        if args.status and args.status not in {s.value for s in Status}:
            raise InputError(f"unknown status {args.status!r} (one of: {', '.join(s.value for s in Status)})")
        items = list_orders(status=args.status, issue=args.issue, channel=args.channel, limit=args.limit)
        if args.json:
            emit(items)
        else:
            for i in items:
                codes = ",".join(i["issues"])
                print(f"{i['id']:>6}  {i['channel']:<20} {i['external_id']:<14} {i['status']:<16} {codes}")
        return 0
    if command == "show":
        data = show_order(args.id)
        if data is None:
            raise InputError(f"order {args.id} does not exist")
        emit(data) if args.json else print(__import__("json").dumps(data, indent=2, default=str))
        return 0
    if command in ("resubmit", "mark-sent"):
        ready: list[int] = []
        failed = False
        ids = args.ids if command == "resubmit" else [args.id]
        for order_id in ids:
            try:
                with db.session() as session:
                    if command == "resubmit":
                        r = resubmit(session, order_id, actor="user:cli")
                        print(f"order {order_id}: {r.status}" + (f" ({', '.join(r.issues)})" if r.issues else ""))
                        if r.status == Status.READY:
                            ready.append(order_id)
                    else:
                        mark_sent_manually(session, order_id, args.reference, actor="user:cli")
                        print(f"order {order_id}: sent (manually, reference {args.reference})")
            except ReviewError as exc:
                if len(ids) == 1:
                    raise InputError(str(exc)) from None
                print(f"order {order_id}: not done: {exc}")
                failed = True
        for order_id, outcome in zip(ready, forward_soon(ready), strict=True):
            print(f"order {order_id}: {outcome}")
        return 1 if failed else 0
    if command in ("edit", "carrier", "acknowledge"):
        from sync.review import acknowledge, edit_address, set_carrier

        if command == "edit" and not args.changes:
            raise InputError("nothing to change: give --set FIELD=VALUE")
        try:
            with db.session() as session:
                if command == "edit":
                    address = edit_address(session, args.id, dict(args.changes), actor="user:cli")
                    print(f"order {args.id}: delivery address now {address.model_dump(exclude_none=True)}")
                elif command == "carrier":
                    set_carrier(session, args.id, args.carrier, actor="user:cli")
                    print(f"order {args.id}: shipping method {args.carrier or 'default'}")
                else:
                    acknowledge(session, args.id, args.code, actor="user:cli", note_text=args.note)
                    print(f"order {args.id}: {args.code} closed")
        except ReviewError as exc:
            raise InputError(str(exc)) from None
        return 0
    raise InputError(f"unknown orders command {command}")


def list_orders(*, status: str | None = None, issue: str | None = None, channel: str | None = None,
                limit: int = 200) -> list[dict[str, Any]]:
    db = get_database()
    with db.session() as session:
        stmt = select(Order.id, Channel.name, Order.external_id, Order.number, Order.status, Order.total,
                      Order.currency, Order.status_changed_at).join(Channel, Channel.id == Order.channel_id)
        if status:
            stmt = stmt.where(Order.status == status)
        if channel:
            stmt = stmt.where(Channel.name == channel)
        if issue:
            stmt = stmt.where(Order.id.in_(select(OrderIssue.order_id).where(
                OrderIssue.code == issue, OrderIssue.closed_at.is_(None))))
        rows = session.execute(stmt.order_by(Order.id).limit(limit)).all()
        ids = [r.id for r in rows]
        codes: dict[int, list[str]] = {i: [] for i in ids}
        if ids:
            for oid, code in session.execute(select(OrderIssue.order_id, OrderIssue.code).where(
                    OrderIssue.order_id.in_(ids), OrderIssue.closed_at.is_(None)).order_by(OrderIssue.id)):
                codes[oid].append(code)
        return [{"id": r.id, "channel": r.name, "external_id": r.external_id, "number": r.number,
                 "status": r.status, "total": str(r.total), "currency": r.currency,
                 "since": r.status_changed_at.isoformat(), "issues": codes[r.id]} for r in rows]


def show_order(order_id: int) -> dict[str, Any] | None:
    db = get_database()
    with db.session() as session:
        o = session.get(Order, order_id)
        if o is None:
            return None
        issues = session.scalars(select(OrderIssue).where(OrderIssue.order_id == order_id).order_by(OrderIssue.id))
        events = session.scalars(select(OrderEvent).where(OrderEvent.order_id == order_id).order_by(OrderEvent.id))
        supplier = session.scalars(select(SupplierOrderRow).where(SupplierOrderRow.order_id == order_id))
        shipments = session.scalars(select(Shipment).where(Shipment.order_id == order_id))
        return {
            "id": o.id, "channel": o.channel.name, "external_id": o.external_id, "number": o.number,
            "status": o.status, "channel_status": o.channel_status, "payment_status": o.payment_status,
            "internal_reference": o.internal_reference, "currency": o.currency, "total": str(o.total),
            "placed_at": o.placed_at, "shipping_address": o.shipping_address, "carrier": o.carrier,
            "lines": [{"sku": ln.sku, "quantity": ln.quantity, "unit_price": str(ln.unit_price), "title": ln.title}
                      for ln in o.lines],
            "issues": [{"code": i.code, "field": i.field, "message": i.message, "open": i.closed_at is None}
                       for i in issues],
            "supplier_orders": [{"id": s.supplier_order_id, "reference": s.internal_reference,
                                 "warehouse": s.warehouse, "skus": s.skus, "source": s.source} for s in supplier],
            "shipments": [{"tracking_number": s.tracking_number, "carrier": s.carrier, "url": s.url,
                           "pushed_at": s.pushed_at} for s in shipments],
            "history": [{"at": e.at, "actor": e.actor, "from": e.from_status, "to": e.to_status, "reason": e.reason}
                        for e in events],
        }
