"""``orderhub``: the command line. Misuse exits 2 with one clear line on stderr."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import NoReturn

from admin import commands
from admin.logs import configure
from sync.settings import get_settings


class UsageError(Exception):
    """Bad input at the command line: exit code 2, one line."""


class Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{self.prog}: {message}")


def _kv(text: str) -> tuple[str, str]:
    if "=" not in text:
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {text!r}")
    key, value = text.split("=", 1)
    return key.strip(), value


def build_parser() -> Parser:
    p = Parser(prog="orderhub", description="Pull orders from sales channels, forward them to the supplier once, "
                                            "bring tracking back.")
    sub = p.add_subparsers(dest="command", required=True, parser_class=Parser)

    demo = sub.add_parser("demo", help="run the whole pipeline against the sandbox servers, embedded")
    demo.add_argument("--json", action="store_true", help="print one JSON object")
    demo.add_argument("--threads", type=int, default=4)
    demo.add_argument("--workdir", help="where the demo database goes (default: a new temporary folder)")

    db = sub.add_parser("db", help="database")
    db_sub = db.add_subparsers(dest="db_command", required=True, parser_class=Parser)
    db_sub.add_parser("upgrade", help="apply migrations up to the newest")

    worker = sub.add_parser("worker", help="run workers on the configured broker until interrupted")
    worker.add_argument("--threads", type=int, default=4)
    worker.add_argument("--queues", nargs="*", help="only these queues (pull, forward, track, default)")
    worker.add_argument("--metrics-port", type=int, default=None, metavar="N",
                        help="serve this process's Prometheus metrics on port N (one port per worker process)")
    worker.add_argument("--metrics-host", default="0.0.0.0", help="the address the metrics port listens on")
    sub.add_parser("scheduler", help="send the periodic jobs (pulls, tracking, reconciler)")
    health = sub.add_parser("health", help="check the database, the broker and every enabled account "
                                           "(exit 1 if any check fails)")
    health.add_argument("--json", action="store_true", help="print one JSON object")

    ch = sub.add_parser("channels", help="sales channels and supplier accounts")
    ch_sub = ch.add_subparsers(dest="channels_command", required=True, parser_class=Parser)
    ch_sub.add_parser("list", help="list accounts").add_argument("--json", action="store_true")
    add = ch_sub.add_parser("add", help="add an account")
    add.add_argument("name")
    add.add_argument("--kind", required=True, help="shopify, woocommerce, bigbuy, ...")
    add.add_argument("--url", required=True)
    add.add_argument("--role", choices=["channel", "supplier"], default=None)
    add.add_argument("--credential", action="append", type=_kv, default=[], metavar="KEY=VALUE")
    add.add_argument("--setting", action="append", type=_kv, default=[], metavar="KEY=VALUE")
    sync = ch_sub.add_parser("sync", help="pull a channel now and enqueue what is ready")
    sync.add_argument("name")

    orders = sub.add_parser("orders", help="orders")
    o_sub = orders.add_subparsers(dest="orders_command", required=True, parser_class=Parser)
    ls = o_sub.add_parser("list", help="list orders")
    ls.add_argument("--status")
    ls.add_argument("--issue", help="only orders with this open issue code")
    ls.add_argument("--channel")
    ls.add_argument("--limit", type=int, default=200)
    ls.add_argument("--json", action="store_true")
    show = o_sub.add_parser("show", help="one order with its lines, issues and history")
    show.add_argument("id", type=int)
    show.add_argument("--json", action="store_true")
    rs = o_sub.add_parser("resubmit", help="check flagged orders again and forward them if nothing is left")
    rs.add_argument("ids", type=int, nargs="+", metavar="ID")
    ms = o_sub.add_parser("mark-sent", help="record an order placed at the supplier by hand")
    ms.add_argument("id", type=int)
    ms.add_argument("--reference", required=True, help="the reference the order carries at the supplier")
    ed = o_sub.add_parser("edit", help="correct the delivery address of a flagged order")
    ed.add_argument("id", type=int)
    ed.add_argument("--set", action="append", type=_kv, default=[], metavar="FIELD=VALUE", dest="changes",
                    help="first_name, last_name, company, address1, address2, city, region, postcode, "
                         "country_code, phone, email")
    ca = o_sub.add_parser("carrier", help="choose the shipping method the supplier is asked for")
    ca.add_argument("id", type=int)
    ca.add_argument("carrier", help="a carrier name the supplier knows (empty: the account's default)")
    ack = o_sub.add_parser("acknowledge", help="close an issue dealt with outside OrderHub")
    ack.add_argument("id", type=int)
    ack.add_argument("code", help="e.g. changed_after_forwarding")
    ack.add_argument("--note", default="", help="what was done")

    insp = sub.add_parser("inspect", help="read a channel's body from a file and show the order and its issues")
    insp.add_argument("channel")
    insp.add_argument("file")

    sb = sub.add_parser("sandbox", help="serve the sandbox Shopify, WooCommerce, Amazon and BigBuy until interrupted")
    commands.add_sandbox_flags(sb)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        settings = get_settings()
        quiet = args.command in ("demo", "inspect") and getattr(args, "json", False) or args.command == "inspect"
        configure("WARNING" if quiet else settings.log_level, json=settings.log_json)
        return commands.dispatch(args)
    except UsageError as exc:
        print(str(exc).splitlines()[0], file=sys.stderr)
        return 2
    except commands.InputError as exc:
        print(f"orderhub: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
