"""``orderhub after-sales ...``: after-sales orders from the command line.

The command line acts as the installation's owner (every permission: manual after-sales,
after-sales refund, edit prices). An after-sales order is named by its number (AS-000001) or id;
a refund order by its id."""

from __future__ import annotations

import argparse
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from admin.argtypes import kv, limit, order_id
from admin.commands_base import emit
from sync.after_sales_rules import KINDS, STATES
from sync.typed import digits

ACTOR = "cli"
OWNER = {"can_after_sales": True}
REFUNDS = {"can_refund": True}
MAX_PROOF_BYTES = 5 * 1024 * 1024


def _ref(text: str) -> str:
    if not text.strip() or len(text) > 30:
        raise argparse.ArgumentTypeError(f"expected an after-sales number (AS-000001) or id, got {text[:40]!r}")
    return text.strip()


def add_parsers(sub: Any, parser_class: type[argparse.ArgumentParser]) -> None:
    top = sub.add_parser("after-sales", help="after-sales orders: returns, refunds and exchanges entered by hand")
    a_sub = top.add_subparsers(dest="after_sales_command", required=True, parser_class=parser_class)
    cr = a_sub.add_parser("create", help="a new after-sales order (to confirm)")
    cr.add_argument("--type", required=True, choices=["return_refund", "refund_only", "exchange"], dest="kind")
    cr.add_argument("--order", type=order_id, help="the order's id (to pickup, shipped, completed or cancelled)")
    cr.add_argument("--channel-refund", metavar="REFUND_ID", help="start from this refund the channel reported")
    cr.add_argument("--offline-buyer", metavar="NAME", help="an offline sale: the buyer's name")
    cr.add_argument("--currency", help="an offline sale's currency (ISO 4217)")
    cr.add_argument("--buyer", action="append", type=kv, default=[], metavar="FIELD=VALUE",
                    help="an offline buyer's phone, email or customer (code)")
    cr.add_argument("--item", action="append", default=[], metavar="SKU:QTY[:PRICE]",
                    help="a returned (or refunded) item; none: every line of the order")
    cr.add_argument("--exchange-item", action="append", default=[], metavar="SKU:QTY[:PRICE]")
    cr.add_argument("--return-amount", help="the returned amount adjusted by hand")
    cr.add_argument("--warehouse", help="where returned units go (default: the first warehouse)")
    cr.add_argument("--return-tracking", help="the buyer's return tracking number")
    cr.add_argument("--note", default="")
    cr.add_argument("--json", action="store_true")
    co = a_sub.add_parser("confirm", help="confirm an order to confirm")
    co.add_argument("ref", type=_ref)
    co.add_argument("--stock-in", action="store_true", help="and take the returned units into stock now")
    co.add_argument("--warehouse")
    tr = a_sub.add_parser("tracking", help="enter the buyer's return tracking number")
    tr.add_argument("ref", type=_ref)
    tr.add_argument("number")
    si = a_sub.add_parser("stock-in", help="the returned parcel arrived: its units go into stock")
    si.add_argument("ref", type=_ref, nargs="?", help="the after-sales order (or --tracking)")
    si.add_argument("--tracking", help="find the order by the parcel's return tracking number")
    si.add_argument("--received", action="append", default=[], metavar="SKU:QTY", help="units received (default: all)")
    si.add_argument("--warehouse")
    rf = a_sub.add_parser("refund", help="a refund order for an order ready for one")
    rf.add_argument("ref", type=_ref)
    rf.add_argument("--amount", required=True)
    rf.add_argument("--payment-info", default="", help="where the money goes (account, method)")
    rf.add_argument("--proof", help="a JPEG, PNG or PDF of the payment")
    rf.add_argument("--json", action="store_true")
    cf = a_sub.add_parser("confirm-refund", help="the money went back: the after-sales order is completed")
    cf.add_argument("refund_id", type=order_id, metavar="REFUND_ID")
    rj = a_sub.add_parser("reject-refund", help="refuse a refund order, with a reason")
    rj.add_argument("refund_id", type=order_id, metavar="REFUND_ID")
    rj.add_argument("--reason", required=True)
    ei = a_sub.add_parser("exchange-items", help="change an exchange's items before its exchange order is made")
    ei.add_argument("ref", type=_ref)
    ei.add_argument("--exchange-item", action="append", default=[], metavar="SKU:QTY[:PRICE]",
                    help="an item going out to the buyer (every one: they replace the items before)")
    ei.add_argument("--json", action="store_true")
    ex = a_sub.add_parser("exchange", help="generate the exchange order (a messenger order to approve)")
    ex.add_argument("ref", type=_ref)
    ex.add_argument("--store", help="the messenger store (default: the original order's)")
    ex.add_argument("--json", action="store_true")
    for name, text in (("cancel", "cancel an order not yet stocked in nor refunded"),
                       ("complete", "complete an order that needs no refund order")):
        p = a_sub.add_parser(name, help=text)
        p.add_argument("ref", type=_ref)
        p.add_argument("--reason", required=True)
    ls = a_sub.add_parser("list", help="after-sales orders, oldest first")
    ls.add_argument("--state", choices=STATES)
    ls.add_argument("--type", dest="kind", choices=KINDS)
    ls.add_argument("--order", type=order_id)
    ls.add_argument("--limit", type=limit, default=200)
    ls.add_argument("--json", action="store_true")
    sh = a_sub.add_parser("show", help="one after-sales order: items, amounts, refund orders, history")
    sh.add_argument("ref", type=_ref)
    sh.add_argument("--json", action="store_true")


def cmd_after_sales(args: argparse.Namespace, input_error: type[Exception]) -> int:
    from admin import after_sales_view as view
    from sync.db import get_database
    from sync.fields import FieldError
    from sync.review import ReviewError

    try:
        with get_database().session() as s:
            _run(s, args, input_error, view)
    except (FieldError, ReviewError) as exc:
        raise input_error(str(exc)) from None
    return 0


def _run(s: Any, args: argparse.Namespace, input_error: type[Exception], view: Any) -> None:
    from sync import after_sales as a
    from sync import after_sales_refunds as refunds
    from sync.after_sales_exchange import generate_exchange

    command = args.after_sales_command
    if command == "create":
        found = _create(s, args, input_error)
        emit(view.brief(s, found)) if args.json else print(f"{found.number} created ({found.state})")
    elif command == "confirm":
        found = a.confirm(s, args.ref, actor=ACTOR, stock_in=args.stock_in, warehouse=args.warehouse, **OWNER)
        print(f"{found.number} confirmed ({found.state})")
    elif command == "tracking":
        print(f"{a.set_return_tracking(s, args.ref, args.number, actor=ACTOR, **OWNER).number}: tracking saved")
    elif command == "stock-in":
        found = _stock_in(s, args, input_error)
        print(f"{found.number} stocked in ({found.state})")
    elif command == "refund":
        refund = refunds.create_refund(s, args.ref, amount=_amount(args.amount, "--amount", input_error),
                                       actor=ACTOR, payment_info=args.payment_info,
                                       proof=_proof(args.proof, input_error), can_refund=True)
        emit(view.refund(refund)) if args.json else print(f"refund order {refund.id} requested ({refund.amount:f})")
    elif command == "confirm-refund":
        print(f"refund order {refunds.confirm_refund(s, args.refund_id, actor=ACTOR, **REFUNDS).id} confirmed")
    elif command == "reject-refund":
        refunds.reject_refund(s, args.refund_id, args.reason, actor=ACTOR, **REFUNDS)
        print(f"refund order {args.refund_id} rejected")
    elif command == "exchange-items":
        found = _exchange_items(s, args, input_error)
        emit(view.brief(s, found)) if args.json else print(
            f"{found.number}: exchange items changed ({found.exchange_amount:f} {found.currency})")
    elif command == "exchange":
        made = generate_exchange(s, args.ref, actor=ACTOR, store=args.store, **OWNER)
        emit({"order_id": made}) if args.json else print(f"exchange order {made} generated")
    elif command in ("cancel", "complete"):
        act = a.cancel if command == "cancel" else a.complete_without_refund
        print(f"{act(s, args.ref, args.reason, actor=ACTOR, **OWNER).number} {command.rstrip('e')}ed")
    elif command == "list":
        view.print_list(s, a.listing(s, state=args.state, kind=args.kind, order_id=args.order, limit=args.limit),
                        args.json)
    else:
        view.print_one(s, args.ref, args.json)


def _create(s: Any, args: argparse.Namespace, input_error: type[Exception]) -> Any:
    from sync import after_sales as a
    from sync.channel_refunds import start_after_sales

    if args.channel_refund:
        if args.order is None or args.item or args.exchange_item or args.offline_buyer:
            raise input_error("--channel-refund: with --order only (the items come from the channel's refund)")
        return start_after_sales(s, args.order, args.channel_refund, kind=args.kind, actor=ACTOR,
                                 warehouse=args.warehouse, **OWNER)
    if (args.order is None) == (args.offline_buyer is None):
        raise input_error("create: --order ID or --offline-buyer NAME (with --currency)")
    offline = None
    if args.offline_buyer is not None:
        if not args.currency:
            raise input_error("create: an offline sale needs --currency")
        extra = dict(args.buyer)
        unknown = set(extra) - {"phone", "email", "customer"}
        if unknown:
            raise input_error(f"--buyer: {sorted(unknown)[0]} is not phone, email or customer")
        offline = a.OfflineSale(buyer_name=args.offline_buyer, currency=args.currency,
                                buyer_phone=extra.get("phone", ""), buyer_email=extra.get("email", ""),
                                customer=extra.get("customer"))
    items = [_item(x, a.RETURNED, input_error) for x in args.item]
    items += [_item(x, a.EXCHANGED, input_error) for x in args.exchange_item]
    amount = _amount(args.return_amount, "--return-amount", input_error) if args.return_amount else None
    return a.create(s, kind=args.kind, actor=ACTOR, order_id=args.order, offline=offline,
                    items=items or None, can_edit_prices=True, return_amount=amount, warehouse=args.warehouse,
                    return_tracking=args.return_tracking, note=args.note, **OWNER)


def _exchange_items(s: Any, args: argparse.Namespace, input_error: type[Exception]) -> Any:
    from sync import after_sales as a
    from sync.after_sales_exchange import set_exchange_items

    if not args.exchange_item:
        raise input_error("exchange-items: at least one --exchange-item SKU:QTY[:PRICE]")
    items = [_item(x, a.EXCHANGED, input_error) for x in args.exchange_item]
    return set_exchange_items(s, args.ref, items, actor=ACTOR, can_edit_prices=True, **OWNER)


def _stock_in(s: Any, args: argparse.Namespace, input_error: type[Exception]) -> Any:
    from sync import after_sales as a

    if (args.ref is None) == (args.tracking is None):
        raise input_error("stock-in: an after-sales order, or --tracking NUMBER")
    received: dict[str, int] | None = None
    if args.received:
        received = {}
        for text in args.received:
            sku, _, qty = text.rpartition(":")
            if not sku.strip() or not digits(qty) or len(qty) > 6:
                raise input_error(f"--received {text[:40]!r}: SKU:QUANTITY")
            received[sku.strip()] = received.get(sku.strip(), 0) + int(qty)
    if args.tracking is not None:
        return a.stock_in_by_tracking(s, args.tracking, actor=ACTOR, received=received, warehouse=args.warehouse,
                                      **OWNER)
    return a.stock_in(s, args.ref, actor=ACTOR, received=received, warehouse=args.warehouse, **OWNER)


def _item(text: str, kind: str, input_error: type[Exception]) -> Any:
    from sync.after_sales import ItemInput

    parts = text.split(":")
    if len(parts) not in (2, 3) or not parts[0].strip() or not parts[1].strip().isdigit() or len(parts[1]) > 6:
        raise input_error(f"item {text[:40]!r}: SKU:QUANTITY or SKU:QUANTITY:PRICE")
    price = _amount(parts[2], f"item {parts[0][:40]!r}", input_error) if len(parts) == 3 else None
    return ItemInput(parts[0].strip(), int(parts[1]), kind=kind, unit_price=price)


def _amount(text: str, what: str, input_error: type[Exception]) -> Decimal:
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        raise input_error(f"{what}: {text[:20]!r} is not an amount") from None
    if not value.is_finite():
        raise input_error(f"{what}: {text[:20]!r} is not an amount")
    return value


def _proof(path: str | None, input_error: type[Exception]) -> bytes | None:
    if path is None:
        return None
    try:
        with Path(path).open("rb") as f:
            data = f.read(MAX_PROOF_BYTES + 1)
    except OSError as exc:
        raise input_error(f"--proof: cannot read {path[:80]!r} ({exc.strerror or exc.__class__.__name__})") from None
    return data
