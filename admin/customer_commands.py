"""``orderhub customers ...`` and ``orderhub prices ...``: the customer list, levels and prices."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from admin.argtypes import kv
from admin.commands_base import emit

CUSTOMER_FIELDS = "first_name, last_name, phone, email, note, level, customer_code"


def add_parsers(sub: Any, parser_class: type[argparse.ArgumentParser]) -> None:
    cu = sub.add_parser("customers", help="the customer list: every channel's buyers, with codes and figures")
    c_sub = cu.add_subparsers(dest="customers_command", required=True, parser_class=parser_class)
    ls = c_sub.add_parser("list", help="newest first; --search by name, phone, code, order, tracking or package")
    ls.add_argument("--search", default="")
    ls.add_argument("--limit", type=int, default=50)
    ls.add_argument("--json", action="store_true")
    show = c_sub.add_parser("show", help="one customer (code or id) with addresses and order history")
    show.add_argument("customer")
    show.add_argument("--json", action="store_true")
    add = c_sub.add_parser("add", help="add a customer by hand (the next code unless customer_code is set)")
    add.add_argument("--set", action="append", type=kv, default=[], metavar="FIELD=VALUE", dest="changes",
                     help=CUSTOMER_FIELDS)
    ed = c_sub.add_parser("edit", help="change a customer's details")
    ed.add_argument("customer")
    ed.add_argument("--set", action="append", type=kv, default=[], metavar="FIELD=VALUE", dest="changes",
                    help=CUSTOMER_FIELDS)
    mg = c_sub.add_parser("merge", help="one person on two channels as one customer (the older code stays)")
    mg.add_argument("customer")
    mg.add_argument("other")
    er = c_sub.add_parser("erase", help="replace a customer's personal data (a GDPR request); figures stay")
    er.add_argument("customer")
    dl = c_sub.add_parser("delete", help="remove a customer from the list; their orders stay")
    dl.add_argument("customer")

    pr = sub.add_parser("prices", help="customer levels, tiered and wholesale prices")
    p_sub = pr.add_subparsers(dest="prices_command", required=True, parser_class=parser_class)
    imp = p_sub.add_parser("import", help="a CSV of sku,level,price (tiered) or sku,min_quantity,max_quantity,"
                                          "price (wholesale) rows (all or nothing)")
    imp.add_argument("file")
    lv = p_sub.add_parser("level", help="add a customer level (e.g. VIP, Wholesale)")
    lv.add_argument("name")
    q = p_sub.add_parser("quote", help="the price order entry would use for a SKU, customer and quantity")
    q.add_argument("sku")
    q.add_argument("--customer", default=None)
    q.add_argument("--quantity", type=int, default=1)


def _changes(pairs: list[tuple[str, str]]) -> dict[str, str]:
    return dict(pairs)


def cmd_customers(args: argparse.Namespace, input_error: type[Exception]) -> int:
    from sync import customer_book as book
    from sync.customer_list import list_customers, order_history, view
    from sync.db import get_database
    from sync.fields import FieldError

    try:
        with get_database().session() as s:
            command = args.customers_command
            if command == "list":
                if not 1 <= args.limit <= 1000:
                    raise input_error("--limit: from 1 to 1000")
                rows = list_customers(s, args.search, limit=args.limit)
                _print_list(rows, args.json)
            elif command == "show":
                v = view(s, book.find(s, args.customer))
                history = order_history(s, v.id)
                _print_one(v, history, args.json)
            elif command == "add":
                c = book.add(s, _changes(args.changes))
                print(f"{c.customer_code} added")
            elif command == "edit":
                if not args.changes:
                    raise input_error("nothing to change: give --set FIELD=VALUE")
                c = book.edit(s, args.customer, _changes(args.changes))
                print(f"{c.customer_code} changed")
            elif command == "merge":
                m = book.merge(s, args.customer, args.other)
                print(f"{m.gone_code} merged into {m.kept.customer_code}")
            elif command == "erase":
                c = book.erase(s, args.customer)
                print(f"{c.customer_code}: personal data erased")
            else:
                print(f"{book.delete(s, args.customer)} deleted (orders kept)")
    except (FieldError, book.CustomerNotFound, book.LostRace) as exc:
        raise input_error(str(exc)) from None
    return 0


def _print_list(rows: list[Any], as_json: bool) -> None:
    if as_json:
        emit({"customers": [r.as_json(amounts=True) for r in rows]})
        return
    for r in rows:
        spend = ", ".join(f"{f.spend} {f.currency}" for f in r.figures) or "-"
        print(f"{r.customer_code}\t{r.name or '-'}\t{r.phone or '-'}\t{r.email or '-'}\t{r.total_orders} orders\t"
              f"{spend}\t{r.source}")


def _print_one(v: Any, history: list[Any], as_json: bool) -> None:
    if as_json:
        emit({**v.as_json(amounts=True), "orders": [
            {"id": h.id, "number": h.number, "status": h.status, "channel": h.channel,
             "currency": h.currency, "total": str(h.total), "cancelled": h.cancelled_on_channel,
             "placed_at": h.placed_at.isoformat() if h.placed_at else None} for h in history]})
        return
    print(f"{v.customer_code}  {v.name or '-'}  ({v.source}{', ' + v.level if v.level else ''})")
    print(f"phone {v.phone or '-'}  email {v.email or '-'}")
    for f in v.figures:
        print(f"{f.currency}: {f.orders} orders, spend {f.spend}, average {f.average}")
    for currency, amount in sorted(v.refunded.items()):
        print(f"{currency}: refunded {amount}")
    for a in v.addresses:
        print("address: " + ", ".join(str(a[k]) for k in ("address1", "city", "postcode", "country_code") if a.get(k)))
    for h in history:
        print(f"order {h.number} ({h.channel}) {h.status} {h.total} {h.currency}")


def cmd_prices(args: argparse.Namespace, input_error: type[Exception]) -> int:
    from admin.catalogue import _read
    from sync import customer_book as book
    from sync import prices
    from sync.db import get_database
    from sync.fields import FieldError

    try:
        with get_database().session() as s:
            if args.prices_command == "import":
                done = prices.import_csv(s, _read(Path(args.file), input_error))
                print(f"{done.rows} {done.kind} price{'s' if done.rows != 1 else ''} imported")
            elif args.prices_command == "level":
                print(f"level {prices.add_level(s, args.name).name} added")
            else:
                if args.quantity < 1:
                    raise input_error("--quantity: 1 or more")
                cid = book.find(s, args.customer).id if args.customer else None
                quote = prices.price_for(s, args.sku, cid, args.quantity)
                last = prices.last_unit_price(s, args.sku, cid) if cid else None
                print(f"{args.sku} x{args.quantity}: {quote.price if quote.price is not None else '-'} "
                      f"({quote.source}); last unit price {last if last is not None else '-'}")
    except (FieldError, book.CustomerNotFound) as exc:
        raise input_error(str(exc)) from None
    return 0
