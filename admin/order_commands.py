"""``orderhub orders ...``: the pending-review queue and what an operator does with it."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable

from sqlalchemy import select

from admin import queries
from admin.commands_base import InputError, emit
from connectors import codes
from sync import fields
from sync.db import get_database
from sync.models import Order, OrderIssue
from sync.states import Status

ACTOR = "user:cli"


def run(args: argparse.Namespace) -> int:
    handlers: dict[str, Callable[[argparse.Namespace], int]] = {
        "list": list_orders, "show": show, "find": find, "resubmit": resubmit, "mark-sent": mark_sent,
        "edit": edit, "carrier": carrier, "acknowledge": acknowledge, "cancel": cancel,
        "confirm-payment": payment, "reject-payment": payment,
    }
    return handlers[args.orders_command](args)


def _print_rows(items: list[dict[str, object]], as_json: bool) -> None:
    if as_json:
        emit(items)
        return
    for i in items:
        codes = ",".join(str(c) for c in i["issues"])  # type: ignore[attr-defined]
        print(f"{i['id']:>6}  {i['channel']:<20} {i['number']!s:<14} {i['status']:<16} {codes}")


def _known_issue(code: str | None) -> None:
    if code is not None and code not in codes.ALL:
        raise InputError(f"unknown issue code {code[:40]!r} (one of: {', '.join(codes.ALL)})")


def list_orders(args: argparse.Namespace) -> int:
    _known_issue(args.issue)
    if args.status and args.status not in {s.value for s in Status}:
        raise InputError(f"unknown status {args.status[:40]!r} (one of: {', '.join(s.value for s in Status)})")
    _print_rows(queries.list_orders(status=args.status, issue=args.issue, channel=args.channel,
                                    limit=args.limit), args.json)
    return 0


def show(args: argparse.Namespace) -> int:
    data = queries.show_order(args.id)
    if data is None:
        raise InputError(f"order {args.id} does not exist")
    emit(data) if args.json else print(json.dumps(data, indent=2, default=str))
    return 0


def find(args: argparse.Namespace) -> int:
    """The shop's own order number (``#1001``, ``1001``) or its id on the channel."""
    items = queries.find_orders(args.number, channel=args.channel)
    if not items:
        raise InputError(f"no order numbered {args.number[:60]!r}")
    _print_rows(items, args.json)
    return 0


def resubmit(args: argparse.Namespace) -> int:
    from sync.review import ReviewError
    from sync.review import resubmit as check_again
    from workers.dispatch import forward_soon

    if bool(args.ids) == bool(args.issue):
        raise InputError("give the orders to resubmit: ID... or --issue CODE")
    _known_issue(args.issue)
    ids = list(args.ids) if args.ids else queries.held_for(args.issue)
    if not ids:
        print(f"no order is held for {args.issue}")
        return 0
    ready: list[int] = []
    failed = False
    for order_id in ids:
        try:
            with get_database().session() as session:
                r = check_again(session, order_id, actor=ACTOR)
        except ReviewError as exc:
            if len(ids) == 1:
                raise InputError(str(exc)) from None
            print(f"order {order_id}: not done: {exc}")
            failed = True
            continue
        print(f"order {order_id}: {r.status}" + (f" ({', '.join(r.issues)})" if r.issues else ""), flush=True)
        if r.status == Status.READY:
            ready.append(order_id)
    for order_id, outcome in zip(ready, forward_soon(ready), strict=True):
        print(f"order {order_id}: {outcome}")
    return 1 if failed else 0


def mark_sent(args: argparse.Namespace) -> int:
    from sync.review import ReviewError, mark_sent_manually

    try:
        with get_database().session() as session:
            reference = fields.check_manual_reference(session, args.id, args.reference)
            mark_sent_manually(session, args.id, reference, actor=ACTOR)
    except (ReviewError, fields.FieldError) as exc:
        raise InputError(str(exc)) from None
    print(f"order {args.id}: sent (manually, reference {reference})")
    return 0


def edit(args: argparse.Namespace) -> int:
    from sync.review import ReviewError, edit_address

    if not args.changes:
        raise InputError("nothing to change: give --set FIELD=VALUE")
    try:
        with get_database().session() as session:
            order = session.get(Order, args.id)
            if order is None:
                raise InputError(f"order {args.id} does not exist")
            changes = fields.check_address_changes(dict(args.changes), order.shipping_address)
            address = edit_address(session, args.id, changes, actor=ACTOR)
    except (ReviewError, fields.FieldError) as exc:
        raise InputError(str(exc)) from None
    # the fields changed, not the whole address: the buyer's phone and email stay off the screen
    where = " ".join(v for v in (address.postcode, address.city, address.country_code) if v)
    print(f"order {args.id}: delivery address updated ({', '.join(sorted(changes))}); now {where}")
    return 0


def carrier(args: argparse.Namespace) -> int:
    from sync import connect
    from sync.carrier import choose_carrier
    from sync.review import ReviewError

    if len(args.carrier) > 100:
        raise InputError("a carrier name has at most 100 characters")
    try:
        chosen = choose_carrier(get_database(), args.id, args.carrier, connect.supplier_for, actor=ACTOR)
    except ReviewError as exc:
        raise InputError(str(exc)) from None
    print(f"order {args.id}: shipping method {chosen or 'default'}")
    return 0


def acknowledge(args: argparse.Namespace) -> int:
    from sync.review import ReviewError
    from sync.review import acknowledge as close_issue

    try:
        with get_database().session() as session:
            status = session.scalar(select(Order.status).where(Order.id == args.id))
            if status is None:
                raise InputError(f"order {args.id} does not exist")
            if not session.scalar(select(OrderIssue.id).where(
                    OrderIssue.order_id == args.id, OrderIssue.code == args.code,
                    OrderIssue.closed_at.is_(None)).limit(1)):
                raise InputError(f"order {args.id} has no open {args.code[:60]} issue")
            fields.check_acknowledgeable(status, args.code)
            close_issue(session, args.id, args.code, actor=ACTOR, note_text=args.note)
    except (ReviewError, fields.FieldError) as exc:
        raise InputError(str(exc)) from None
    print(f"order {args.id}: {args.code} closed")
    return 0


#: an operator cancels what nothing is in flight for; an order at the supplier is cancelled there
CANCELLABLE = (Status.NEW.value, Status.AWAITING_PAYMENT.value, Status.READY.value, Status.PENDING_REVIEW.value)


def cancel(args: argparse.Namespace) -> int:
    from sync.review import ReviewError
    from sync.review import cancel as cancel_order

    try:
        with get_database().session() as session:
            cancel_order(session, args.id, actor=ACTOR, reason=args.reason[:400])
    except ReviewError as exc:
        raise InputError(str(exc)) from None
    print(f"order {args.id}: cancelled")
    return 0


def payment(args: argparse.Namespace) -> int:
    """Confirm or reject an order's payment, the order named by its id, number or reference."""
    from sync import payment_confirmation as pc
    from sync.messenger_models import MessengerOrder
    from sync.review import ReviewError
    from workers.dispatch import forward_soon, mark_paid_soon

    try:
        with get_database().session() as session:
            order_id = pc.find_order(session, args.order)
            if args.orders_command == "reject-payment":
                pc.reject(session, order_id, args.reason, actor=ACTOR)
                print(f"order {order_id}: payment rejected; it keeps waiting")
                return 0
            mark_paid = session.get(MessengerOrder, order_id) is not None
            done = pc.confirm(session, order_id, actor=ACTOR, reference=args.reference, mark_paid=mark_paid)
    except ReviewError as exc:
        raise InputError(str(exc)) from None
    print(f"order {order_id}: payment {'confirmed' if done.changed else 'was confirmed already'}; {done.status}")
    if done.changed and done.status == Status.READY:
        for outcome in forward_soon([order_id]):
            print(f"order {order_id}: {outcome}")
    if done.changed and (told := mark_paid_soon(order_id)) in ("marked paid", "queued"):
        print(f"order {order_id}: the channel is told the payment arrived ({told})")
    return 0
