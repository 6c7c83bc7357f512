"""``orderhub``: the command line. Misuse exits 2 with one clear line on stderr."""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Sequence
from typing import Any, NoReturn

import structlog

from admin import after_sales_commands, catalogue, commands, customer_commands, messenger_commands
from admin.argtypes import kv as _kv
from admin.argtypes import limit, order_id, port_number, threads
from admin.checks import explain
from admin.logs import configure
from admin.processes import add_serve_flags
from admin.web import cli as web_cli
from sync.settings import get_settings


class UsageError(Exception):
    """Bad input at the command line: exit code 2, one line."""


class Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{self.prog}: {self._in_words(message)}")

    def _in_words(self, message: str) -> str:
        """argparse names a missing command by its internal name (``channels_command``): name the
        commands to choose from instead."""
        for action in self._actions:
            if isinstance(action, argparse._SubParsersAction) and action.choices and \
                    message == f"the following arguments are required: {action.dest}":
                return f"a command is needed, one of: {', '.join(action.choices)}"
        return message


def build_parser() -> Parser:
    p = Parser(prog="orderhub", description="Pull orders from sales channels, forward them to the supplier once, "
                                            "bring tracking back.")
    sub = p.add_subparsers(dest="command", required=True, parser_class=Parser)

    demo = sub.add_parser("demo", help="run the whole pipeline against the sandbox servers, embedded")
    demo.add_argument("--json", action="store_true", help="print one JSON object")
    demo.add_argument("--threads", type=threads, default=4)
    demo.add_argument("--workdir", help="where the demo database goes (default: a new temporary folder)")
    demo.add_argument("--serve", action="store_true",
                      help="then keep the shops, the workers and the web admin up, with two accounts, until Ctrl-C")
    add_serve_flags(demo, optional=False)

    _add_process_commands(sub)
    _add_channel_commands(sub)
    _add_order_commands(sub)

    insp = sub.add_parser("inspect", help="read a channel's body from a file and show the order and its issues")
    insp.add_argument("channel")
    insp.add_argument("file")

    catalogue.add_parser(sub, Parser)
    customer_commands.add_parsers(sub, Parser)
    messenger_commands.add_parsers(sub, Parser)
    after_sales_commands.add_parsers(sub, Parser)

    sb = sub.add_parser("sandbox", help="serve the sandbox channels and supplier until interrupted")
    commands.add_sandbox_flags(sb)
    web_cli.add_parsers(sub)
    return p


def _add_process_commands(sub: Any) -> None:
    db = sub.add_parser("db", help="database")
    db_sub = db.add_subparsers(dest="db_command", required=True, parser_class=Parser)
    db_sub.add_parser("upgrade", help="apply migrations up to the newest")

    worker = sub.add_parser("worker", help="run workers on the configured broker until interrupted")
    worker.add_argument("--threads", type=threads, default=4)
    worker.add_argument("--queues", nargs="*", help="only these queues (pull, forward, track, default)")
    worker.add_argument("--metrics-port", type=port_number, default=None, metavar="N",
                        help="serve this process's Prometheus metrics on port N (one port per worker process)")
    worker.add_argument("--metrics-host", default="0.0.0.0", help="the address the metrics port listens on")
    sub.add_parser("scheduler", help="send the periodic jobs (pulls, tracking, reconciler)")
    serve = sub.add_parser("serve", help="everything in one process: worker threads, the scheduler, the "
                                         "reconciler and the web admin (the embedded default: no Redis needed)")
    serve.add_argument("--threads", type=threads, default=4)
    add_serve_flags(serve)
    health = sub.add_parser("health", help="check the database, the broker and every enabled account "
                                           "(exit 1 if any check fails)")
    health.add_argument("--json", action="store_true", help="print one JSON object")


def _add_channel_commands(sub: Any) -> None:
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
    add.add_argument("--supplier-account", metavar="ACCOUNT",
                     help="a channel: the supplier account its orders go to (default: the only one)")
    sync = ch_sub.add_parser("sync", help="pull a channel now and enqueue what is ready")
    sync.add_argument("name")
    edit = ch_sub.add_parser("edit", help="change an account's URL, credentials or settings")
    edit.add_argument("name")
    edit.add_argument("--url")
    edit.add_argument("--rename", metavar="NEW_NAME")
    edit.add_argument("--credential", action="append", type=_kv, default=[], metavar="KEY=VALUE")
    edit.add_argument("--setting", action="append", type=_kv, default=[], metavar="KEY=VALUE")
    edit.add_argument("--unset", action="append", default=[], metavar="KEY", help="drop a setting")
    edit.add_argument("--supplier-account", metavar="ACCOUNT", help="a channel: forward its orders to this account")
    ch_sub.add_parser("disable", help="stop pulling a channel (or using a supplier)").add_argument("name")
    ch_sub.add_parser("enable", help="start again").add_argument("name")
    ch_sub.add_parser("remove", help="remove an account that holds no orders").add_argument("name")
    hooks = ch_sub.add_parser("webhooks", help="the channel's webhook subscriptions on its platform")
    h_sub = hooks.add_subparsers(dest="webhooks_command", required=True, parser_class=Parser)
    register = h_sub.add_parser("register", help="subscribe the web admin to the channel's order changes")
    register.add_argument("name")
    register.add_argument("--url", help="the web admin's public base URL (default: ORDERHUB_PUBLIC_URL)")
    listing = h_sub.add_parser("list", help="the channel's webhook subscriptions on its platform")
    listing.add_argument("name")
    listing.add_argument("--json", action="store_true")


def _add_order_commands(sub: Any) -> None:
    orders = sub.add_parser("orders", help="orders")
    o_sub = orders.add_subparsers(dest="orders_command", required=True, parser_class=Parser)
    ls = o_sub.add_parser("list", help="list orders")
    ls.add_argument("--status")
    ls.add_argument("--issue", help="only orders with this open issue code")
    ls.add_argument("--channel")
    ls.add_argument("--limit", type=limit, default=200)
    ls.add_argument("--json", action="store_true")
    find = o_sub.add_parser("find", help="orders by the shop's order number (or the channel's order id)")
    find.add_argument("number")
    find.add_argument("--channel")
    find.add_argument("--json", action="store_true")
    cancel = o_sub.add_parser("cancel", help="cancel an order that was not sent to the supplier")
    cancel.add_argument("id", type=order_id)
    cancel.add_argument("--reason", default="", help="why, for the order's history")
    show = o_sub.add_parser("show", help="one order with its lines, issues and history")
    show.add_argument("id", type=order_id)
    show.add_argument("--json", action="store_true")
    rs = o_sub.add_parser("resubmit", help="check flagged orders again and forward them if nothing is left")
    rs.add_argument("ids", type=order_id, nargs="*", metavar="ID")
    rs.add_argument("--issue", metavar="CODE", help="every order held for this issue code, oldest first")
    ms = o_sub.add_parser("mark-sent", help="record an order placed at the supplier by hand")
    ms.add_argument("id", type=order_id)
    ms.add_argument("--reference", required=True, help="the reference the order carries at the supplier")
    ed = o_sub.add_parser("edit", help="correct the delivery address of a flagged order")
    ed.add_argument("id", type=order_id)
    ed.add_argument("--set", action="append", type=_kv, default=[], metavar="FIELD=VALUE", dest="changes",
                    help="first_name, last_name, company, address1, address2, city, region, postcode, "
                         "country_code, phone, email")
    ca = o_sub.add_parser("carrier", help="choose the shipping method the supplier is asked for")
    ca.add_argument("id", type=order_id)
    ca.add_argument("carrier", help="a carrier name the supplier knows (empty: the account's default)")
    cp = o_sub.add_parser("confirm-payment", help="the payment arrived: the order goes on (idempotent)")
    cp.add_argument("order", help="the order's id, number (#1001) or reference")
    cp.add_argument("--reference", help="the payment's transaction reference (one order per reference)")
    rp = o_sub.add_parser("reject-payment", help="the payment is not there: the order keeps waiting")
    rp.add_argument("order", help="the order's id, number (#1001) or reference")
    rp.add_argument("--reason", required=True)
    ack = o_sub.add_parser("acknowledge", help="close an issue dealt with outside OrderHub")
    ack.add_argument("id", type=order_id)
    ack.add_argument("code", help="e.g. changed_after_forwarding")
    ack.add_argument("--note", default="", help="what was done")


def main(argv: Sequence[str] | None = None) -> int:
    try:
        try:
            code = _run(argv)
        except SystemExit:  # argparse's --help: what it printed must still reach the reader
            sys.stdout.flush()
            raise
        sys.stdout.flush()
        return code
    except BrokenPipeError:
        # the reader went away (``| head``): nothing more can be written to it
        _silence_stdout()
        return _fail("the output was closed before everything was written")
    except KeyboardInterrupt:
        return 130


def _run(argv: Sequence[str] | None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        settings = get_settings()
        # the demo shows its own progress; inspect prints only its JSON
        # the demo's summary reports what its workers could not do (a tracking number a shop refused)
        level = "CRITICAL" if args.command == "demo" else "WARNING" if args.command == "inspect" else settings.log_level
        configure(level, json=settings.log_json)
        if args.command in web_cli.COMMANDS:
            return web_cli.dispatch(args, commands.InputError)
        return commands.dispatch(args)
    except UsageError as exc:
        return _fail(str(exc), prefix="")
    except commands.InputError as exc:
        return _fail(str(exc))
    except (KeyboardInterrupt, BrokenPipeError):
        raise
    except Exception as exc:
        known = explain(exc)
        if known is not None:
            return _fail(known)
        # a fault of OrderHub itself: still one line, with the traceback for whoever debugs it in the log
        structlog.get_logger(__name__).debug("command.crashed", exc_info=True)
        return _fail(f"unexpected error: {exc.__class__.__name__}: {_first_line(exc)} "
                     "(ORDERHUB_LOG_LEVEL=DEBUG shows where)", code=1)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0][:200] if text else ""


def _fail(message: str, *, prefix: str = "orderhub: ", code: int = 2) -> int:
    line = (message.strip().splitlines() or [""])[0]
    with contextlib.suppress(BrokenPipeError, ValueError):  # stderr closed too: the exit code still says it
        print(f"{prefix}{line}", file=sys.stderr, flush=True)
    return code


def _silence_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's own flush at exit does not fail again."""
    with contextlib.suppress(OSError, ValueError):
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


if __name__ == "__main__":
    sys.exit(main())
