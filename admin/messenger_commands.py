"""``orderhub messenger ...``: messenger orders from the command line (the seller's actions).

The command line acts as the installation's owner: a price may be set (``--price``)."""

from __future__ import annotations

import argparse
import sys
from decimal import Decimal, InvalidOperation
from typing import Any

from admin.argtypes import kv, order_id
from admin.commands_base import emit
from sync.typed import digits

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
    st.add_argument("--currency", help="its orders' currency unless an order says otherwise (default EUR)")
    pm = m_sub.add_parser("payment-method", help="add a payment method the buyer may choose")
    pm.add_argument("name")
    pm.add_argument("--instructions", default="", help="shown to the buyer (account number, how to pay)")
    pm.add_argument("--no-proof", action="store_true", help="paid on delivery: no slip to confirm")
    cr = m_sub.add_parser("create", help="a new messenger order (waiting to add info unless --for-approval)")
    cr.add_argument("--store", required=True)
    cr.add_argument("--line", action="append", default=[], metavar="SKU:QTY[:PRICE[:WEIGHT]]",
                    help="a SKU and quantity; the price list prices it unless a price is given (SKU:2::0.5: "
                         "no price, 0.5 kg a unit)")
    cr.add_argument("--bulk", metavar="FILE", help="more lines from a list: SKU,quantity or SKU quantity a line "
                                                   "('-': standard input); unknown SKUs refuse the order")
    cr.add_argument("--logistics", choices=["supplier", "self_delivery"], default="supplier",
                    help="supplier: sent to the supplier once approved and paid; self_delivery: you ship it")
    cr.add_argument("--warehouse", help="the warehouse a self-delivered order leaves from")
    cr.add_argument("--customer", help="the buyer's customer code or id")
    cr.add_argument("--new-buyer", help="a new buyer's name (given the next customer code)")
    cr.add_argument("--buyer", action="append", type=kv, default=[], metavar="FIELD=VALUE",
                    help="first_name, last_name, phone, email, address1, address2, city, region, postcode, "
                         "country_code")
    cr.add_argument("--payment-method")
    cr.add_argument("--currency", help="ISO 4217 code (the store's when not given)")
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
    sh = m_sub.add_parser("ship", help="a self-delivered order was shipped: carrier and tracking number")
    sh.add_argument("id", type=order_id)
    sh.add_argument("--carrier", required=True)
    sh.add_argument("--tracking", required=True)
    el = m_sub.add_parser("edit-lines", help="replace the lines of an order not yet approved")
    el.add_argument("id", type=order_id)
    el.add_argument("--revision", type=int, required=True, help="the revision shown by 'messenger show'")
    el.add_argument("--line", action="append", required=True, metavar="SKU:QTY[:PRICE[:WEIGHT]]",
                    help="every line the order keeps; no price: the line keeps its price")
    sw = m_sub.add_parser("show", help="one messenger order: state, logistics, lines, weight, revision")
    sw.add_argument("id", type=order_id)
    sw.add_argument("--json", action="store_true")
    fp = m_sub.add_parser("find-product", help="catalogue entries by SKU, GTIN or title")
    fp.add_argument("term")


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
    from sync.messenger_fields import MessengerError, weight

    parts = text.split(":")
    if len(parts) not in (2, 3, 4) or not parts[0].strip() or not digits(parts[1].strip()) or len(parts[1]) > 6:
        raise input_error(f"--line {text[:40]!r}: SKU:QUANTITY, SKU:QUANTITY:PRICE or SKU:QUANTITY:PRICE:WEIGHT")
    price = None
    if len(parts) >= 3 and parts[2].strip():
        try:
            price = Decimal(parts[2])
        except InvalidOperation:
            raise input_error(f"--line {text[:40]!r}: {parts[2][:20]!r} is not an amount") from None
    try:
        kg = weight(parts[3], parts[0].strip()) if len(parts) == 4 else None
    except MessengerError as exc:
        raise input_error(f"--line {text[:40]!r}: {exc}") from None
    return LineInput(parts[0].strip(), int(parts[1]), unit_price=price, weight=kg)


def _bulk(session: Any, path: str | None, input_error: type[Exception]) -> list[Any]:
    import sys

    from sync.messenger import LineInput
    from sync.messenger_lines import read_bulk

    if not path:
        return []
    try:
        text = sys.stdin.read() if path == "-" else open(path, encoding="utf-8").read()  # noqa: SIM115
    except (OSError, UnicodeDecodeError) as exc:
        raise input_error(f"--bulk {path[:60]}: cannot be read ({type(exc).__name__})") from None
    bulk = read_bulk(session, text)
    if bulk.refused:
        raise input_error("--bulk: not added, fix or remove them: " + "; ".join(bulk.refused[:20]))
    return [LineInput(sku, quantity) for sku, quantity in bulk.lines]


def cmd_messenger(args: argparse.Namespace, input_error: type[Exception]) -> int:
    from sync import messenger as m
    from sync import messenger_links as links
    from sync import messenger_payment as payment
    from sync.db import get_database
    from sync.fields import FieldError
    from sync.review import ReviewError

    command = args.messenger_command
    try:
        with get_database().session() as s:
            if command == "store":
                _store(s, args, input_error)
            elif command == "payment-method":
                method = m.add_payment_method(s, args.name, args.instructions, needs_proof=not args.no_proof)
                print(f"payment method {method.name} added")
            elif command == "create":
                unknown = sorted(set(dict(args.buyer)) - set(m.BUYER_FIELDS))
                if unknown:
                    raise input_error(f"--buyer: {unknown[0][:40]} is not one of {', '.join(m.BUYER_FIELDS)}")
                lines = [_line(x, input_error) for x in args.line] + _bulk(s, args.bulk, input_error)
                if not lines:
                    raise input_error("create: give --line or --bulk")
                made = m.create(s, store=args.store, lines=lines, actor=ACTOR,
                                can_edit_prices=True, customer=args.customer,
                                new_buyer={"first_name": args.new_buyer} if args.new_buyer else None,
                                buyer=dict(args.buyer), payment_method_name=args.payment_method,
                                currency=args.currency, for_approval=args.for_approval,
                                logistics=args.logistics, warehouse=args.warehouse)
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
            elif command == "reject-payment":
                payment.reject(s, args.id, args.reason, actor=ACTOR)
                print(f"order {args.id}: payment rejected")
            else:
                _more(s, args, input_error)
    except (FieldError, ReviewError) as exc:
        raise input_error(str(exc)) from None
    return 0


def _store(session: Any, args: argparse.Namespace, input_error: type[Exception]) -> None:
    from sync import messenger as m

    if args.default_link_hours and not args.edit:
        raise input_error("--default-link-hours goes with --edit")
    if not args.edit:
        extra = {"link_hours": args.link_hours} if args.link_hours is not None else {}
        print(f"store {m.add_store(session, args.name, extra, args.currency or 'EUR').name} added")
        return
    if args.link_hours is None and not args.default_link_hours and not args.currency:
        raise input_error("--edit: give --link-hours HOURS, --default-link-hours or --currency CODE")
    changes: dict[str, Any] = {}
    if args.link_hours is not None or args.default_link_hours:
        changes["link_hours"] = args.link_hours
    if args.currency:
        from sync.messenger_fields import currency

        changes["currency"] = currency(args.currency, "EUR")
    store = m.edit_store(session, args.name, changes)
    hours = (store.settings or {}).get("link_hours")
    print(f"store {store.name}: links work {hours if hours is not None else 'the default number of'} hours")


def _more(s: Any, args: argparse.Namespace, input_error: type[Exception]) -> None:
    """ship, edit-lines, show, find-product."""
    from sync import messenger as m
    from sync import messenger_delivery as delivery
    from sync import messenger_lines as lines_
    from sync.models import Order

    command = args.messenger_command
    if command == "ship":
        shipment = delivery.ship(s, args.id, carrier=args.carrier, tracking=args.tracking, actor=ACTOR)
        print(f"order {args.id} shipped with {shipment.carrier}, tracking {shipment.tracking_number}")
    elif command == "edit-lines":
        revision = lines_.edit_lines(s, args.id, [_line(x, input_error) for x in args.line],
                                     seen_revision=args.revision, actor=ACTOR, can_edit_prices=True)
        print(f"order {args.id}: lines saved (revision {revision})")
    elif command == "find-product":
        for p in lines_.search_products(s, args.term):
            print("\t".join((p.sku, p.title, (p.gtin or "").lstrip("0"))))
    else:
        mo = m.messenger_order(s, args.id)
        order = s.get(Order, args.id)
        weight = lines_.total_weight(order.lines)
        shown = {"id": args.id, "number": order.number, "state": mo.state, "status": order.status,
                 "logistics": mo.logistics, "warehouse": delivery.warehouse_name(s, mo), "currency": order.currency,
                 "total": str(order.total), "weight_kg": str(weight) if weight is not None else None,
                 "revision": mo.revision,
                 "lines": [{"sku": ln.sku, "quantity": ln.quantity, "unit_price": str(ln.unit_price),
                            "weight_kg": str(ln.weight) if ln.weight is not None else None} for ln in order.lines]}
        if args.json:
            emit(shown)
            return
        print(f"order {order.number} ({args.id}): {mo.state}, {order.status}; {mo.logistics} from "
              f"{shown['warehouse']}; {order.total} {order.currency}; revision {mo.revision}")
        for ln in shown["lines"]:
            print(f"  {ln['sku']} x{ln['quantity']} at {ln['unit_price']}"
                  + (f", {ln['weight_kg']} kg" if ln["weight_kg"] else ""))
        if weight is not None:
            print(f"  total weight {weight} kg")
