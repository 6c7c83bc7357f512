"""``orderhub messenger ...``: messenger orders from the command line (the seller's actions).

The command line acts as the installation's owner: a price may be set (``--price``)."""

from __future__ import annotations

import argparse
import sys
from decimal import Decimal, InvalidOperation
from typing import Any

from admin.argtypes import kv, order_id
from admin.commands_base import emit

ACTOR = "cli"


def add_parsers(sub: Any, parser_class: type[argparse.ArgumentParser]) -> None:
    ms = sub.add_parser("messenger", help="messenger orders: taken in a chat, completed by the buyer through a link")
    m_sub = ms.add_subparsers(dest="messenger_command", required=True, parser_class=parser_class)
    st = m_sub.add_parser("store", help="add a messenger store (a channel of its own), or --edit its settings")
    st.add_argument("name")
    st.add_argument("--link-hours", type=_hours, metavar="HOURS",
                    help="how long its buyers' links work (1 to 2160; default: ORDERHUB_MESSENGER_LINK_HOURS)")
    st.add_argument("--default-link-hours", action="store_true", help="with --edit: the installation's lifetime")
    st.add_argument("--edit", action="store_true", help="change an existing store's settings")
    pm = m_sub.add_parser("payment-method", help="add a payment method the buyer may choose")
    pm.add_argument("name")
    pm.add_argument("--instructions", default="", help="shown to the buyer (account number, how to pay)")
    pm.add_argument("--no-proof", action="store_true", help="paid on delivery: no slip to confirm")
    cr = m_sub.add_parser("create", help="a new messenger order (waiting to add info unless --for-approval)")
    cr.add_argument("--store", required=True)
    cr.add_argument("--line", action="append", required=True, metavar="SKU:QTY[:PRICE]",
                    help="a SKU and quantity; the price list prices it unless a price is given")
    cr.add_argument("--customer", help="the buyer's customer code or id")
    cr.add_argument("--new-buyer", help="a new buyer's name (given the next customer code)")
    cr.add_argument("--buyer", action="append", type=kv, default=[], metavar="FIELD=VALUE",
                    help="first_name, last_name, phone, email, address1, address2, city, region, postcode, "
                         "country_code")
    cr.add_argument("--payment-method")
    cr.add_argument("--currency", default="EUR")
    cr.add_argument("--for-approval", action="store_true", help="the buyer's details are complete")
    cr.add_argument("--json", action="store_true")
    ln = m_sub.add_parser("link", help="a new link for the buyer (earlier links stop working)")
    ln.add_argument("id", type=order_id)
    ln.add_argument("--base-url", default="http://127.0.0.1:8000", help="the web admin's public address")
    ln.add_argument("--revoke", action="store_true", help="only stop the order's links")
    ln.add_argument("--hours", type=_hours, metavar="HOURS",
                    help="how long this link works (1 to 2160; default: the store's, else the installation's)")
    ap = m_sub.add_parser("approve", help="the order enters the pipeline")
    ap.add_argument("id", type=order_id)
    dis = m_sub.add_parser("disapprove", help="void the order, with a reason")
    dis.add_argument("id", type=order_id)
    dis.add_argument("--reason", required=True)
    cp = m_sub.add_parser("confirm-payment", help="the payment slip shows the payment (idempotent)")
    cp.add_argument("id", type=order_id)
    cp.add_argument("--reference", help="the slip's transaction reference (one order per reference)")
    rp = m_sub.add_parser("reject-payment", help="the slip does not show the payment; the buyer may send another")
    rp.add_argument("id", type=order_id)
    rp.add_argument("--reason", required=True)


def _hours(text: str) -> float:
    """Link hours within the bounds (argparse turns the error into one line and exit 2)."""
    from sync.fields import FieldError, check_link_hours

    try:
        return check_link_hours(float(text[:20]))
    except (ValueError, FieldError) as exc:
        message = str(exc) if isinstance(exc, FieldError) else f"{text[:20]!r} is not a number of hours"
        raise argparse.ArgumentTypeError(message) from None


def _line(text: str, input_error: type[Exception]) -> Any:
    from sync.messenger import LineInput

    parts = text.split(":")
    if len(parts) not in (2, 3) or not parts[0].strip() or not parts[1].strip().isdigit() or len(parts[1]) > 6:
        raise input_error(f"--line {text[:40]!r}: SKU:QUANTITY or SKU:QUANTITY:PRICE")
    price = None
    if len(parts) == 3:
        try:
            price = Decimal(parts[2])
        except InvalidOperation:
            raise input_error(f"--line {text[:40]!r}: {parts[2][:20]!r} is not an amount") from None
    return LineInput(parts[0].strip(), int(parts[1]), unit_price=price)


def cmd_messenger(args: argparse.Namespace, input_error: type[Exception]) -> int:
    from sync import messenger as m
    from sync import messenger_links as links
    from sync import messenger_payment as payment
    from sync.db import get_database
    from sync.fields import FieldError

    command = args.messenger_command
    try:
        with get_database().session() as s:
            if command == "store":
                _store(s, args, input_error)
            elif command == "payment-method":
                method = m.add_payment_method(s, args.name, args.instructions, needs_proof=not args.no_proof)
                print(f"payment method {method.name} added")
            elif command == "create":
                made = m.create(s, store=args.store, lines=[_line(x, input_error) for x in args.line], actor=ACTOR,
                                can_edit_prices=True, customer=args.customer,
                                new_buyer={"first_name": args.new_buyer} if args.new_buyer else None,
                                buyer=dict(args.buyer), payment_method_name=args.payment_method,
                                currency=args.currency, for_approval=args.for_approval)
                state = m.messenger_order(s, made).state
                emit({"id": made, "state": state}) if args.json else print(f"order {made} saved ({state})")
            elif command == "link":
                if args.revoke:
                    print(f"{links.revoke(s, args.id, actor=ACTOR)} link(s) revoked")
                else:
                    link = links.make_link(s, args.id, actor=ACTOR, hours=args.hours)
                    print(f"{args.base_url.rstrip('/')}/m/{link.token}")
                    print(f"works until {link.expires_at:%Y-%m-%d %H:%M} UTC", file=sys.stderr)
            elif command == "approve":
                print(f"order {args.id} approved: {m.approve(s, args.id, actor=ACTOR)}")
            elif command == "disapprove":
                m.disapprove(s, args.id, args.reason, actor=ACTOR)
                print(f"order {args.id} voided")
            elif command == "confirm-payment":
                done = payment.confirm(s, args.id, actor=ACTOR, reference=args.reference)
                print(f"order {args.id}: payment {'confirmed' if done.changed else 'was confirmed already'}; "
                      f"{done.status}")
            else:
                payment.reject(s, args.id, args.reason, actor=ACTOR)
                print(f"order {args.id}: payment rejected")
    except (FieldError, m.MessengerError) as exc:
        raise input_error(str(exc)) from None
    return 0


def _store(session: Any, args: argparse.Namespace, input_error: type[Exception]) -> None:
    from sync import messenger as m

    if args.default_link_hours and not args.edit:
        raise input_error("--default-link-hours goes with --edit")
    if not args.edit:
        extra = {"link_hours": args.link_hours} if args.link_hours is not None else {}
        print(f"store {m.add_store(session, args.name, extra).name} added")
        return
    if args.link_hours is None and not args.default_link_hours:
        raise input_error("--edit: give --link-hours HOURS or --default-link-hours")
    store = m.edit_store(session, args.name, {"link_hours": args.link_hours})
    hours = (store.settings or {}).get("link_hours")
    print(f"store {store.name}: links work {hours if hours is not None else 'the default number of'} hours")
