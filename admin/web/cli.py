"""``orderhub admin`` (the web admin alone, for production behind a proxy) and ``orderhub users``
(accounts from the command line: the first main account is made here)."""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import Any

from sync.accounts import Permission

COMMANDS = ("admin", "users")


def add_parsers(sub: Any) -> None:
    admin = sub.add_parser("admin", help="serve the web admin (any number of instances: no state in the process)")
    admin.add_argument("--host", default="127.0.0.1")
    admin.add_argument("--port", type=int, default=8000)
    admin.add_argument("--workers", type=int, default=1, help="processes (all share the database)")
    admin.add_argument("--forwarded-allow-ips", default="127.0.0.1",
                       help="proxies trusted for X-Forwarded-For/-Proto (the address sign-in limits count)")

    users = sub.add_parser("users", help="admin accounts")
    u_sub = users.add_subparsers(dest="users_command", required=True, parser_class=type(users))
    add = u_sub.add_parser("add", help="add an account (the first one with --main)")
    add.add_argument("name")
    kind = add.add_mutually_exclusive_group(required=True)
    kind.add_argument("--main", action="store_true", help="the main account: every permission")
    kind.add_argument("--role", help="a sub-account with this role")
    add.add_argument("--password-stdin", action="store_true", help="read the password from the first line of stdin")
    u_sub.add_parser("list", help="list accounts")
    role = u_sub.add_parser("role", help="create or change a role")
    role.add_argument("name")
    role.add_argument("--permission", action="append", default=[], choices=[p.value for p in Permission],
                      help="repeat for each permission")


def dispatch(args: argparse.Namespace, input_error: type[Exception]) -> int:
    if args.command == "admin":
        return _serve(args, input_error)
    return _users(args, input_error)


def _serve(args: argparse.Namespace, input_error: type[Exception]) -> int:
    import uvicorn

    if not 0 < args.port < 65536:
        raise input_error(f"--port must be a port number, got {args.port}")
    if args.workers < 1:
        raise input_error("--workers must be 1 or more")
    from sqlalchemy import inspect

    from sync.db import get_database

    db = get_database()
    if not inspect(db.engine).has_table("accounts"):
        raise input_error("the database has no account tables yet: run `orderhub db upgrade` first")
    from admin.web.server import bind_socket

    # bound here, not by uvicorn: a port in use is then one line and exit 2 (uvicorn logs and exits 3)
    sock = bind_socket(args.host, args.port)
    uvicorn.run("admin.web.app:create_app", factory=True, fd=sock.fileno(), workers=args.workers,
                proxy_headers=True, forwarded_allow_ips=args.forwarded_allow_ips, log_level="warning")
    return 0


def _password(args: argparse.Namespace, input_error: type[Exception]) -> str:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    if not sys.stdin.isatty():
        raise input_error("give the password with --password-stdin (or run in a terminal to be asked)")
    first = getpass.getpass("password: ")
    if getpass.getpass("again: ") != first:
        raise input_error("the two passwords differ")
    return first


def _users(args: argparse.Namespace, input_error: type[Exception]) -> int:
    from sqlalchemy import select

    from sync import accounts
    from sync.account_models import Account
    from sync.db import get_database

    db = get_database()
    try:
        if args.users_command == "add":
            password = _password(args, input_error)
            with db.session() as session:
                account = accounts.create_account(session, args.name, password, main=args.main, role=args.role)
                print(f"added {'main account' if account.is_main else 'sub-account'} {account.username}")
        elif args.users_command == "role":
            with db.session() as session:
                role = accounts.save_role(session, args.name, args.permission)
                print(f"role {role.name}: {', '.join(role.permissions) or 'no permission'}")
        else:
            with db.session() as session:
                for a in session.scalars(select(Account).order_by(Account.username)):
                    kind = "main" if a.is_main else (a.role.name if a.role else "-")
                    print(f"{a.username:<24} {kind:<16} {'enabled' if a.enabled else 'switched off'}")
    except accounts.AccountError as exc:
        raise input_error(str(exc)) from None
    return 0
