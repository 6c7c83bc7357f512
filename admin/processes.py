"""The long-running commands: ``worker``, ``scheduler`` and ``serve``."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from typing import TYPE_CHECKING

from admin.checks import require_schema
from admin.commands_base import InputError

if TYPE_CHECKING:
    from admin.web.server import AdminServer
    from sync.db import Database


def wait_for_signal() -> threading.Event:
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    return stop


def _shared_broker_url() -> str:
    from workers.broker import BrokerRequired, shared_broker_url

    try:
        return shared_broker_url()
    except BrokerRequired as exc:
        raise InputError(str(exc)) from None


def cmd_worker(args: argparse.Namespace) -> int:
    """Workers on the configured broker. ``--metrics-port N`` serves this process's metrics (the
    pipeline's and dramatiq's queue metrics) on N; several worker processes on one machine each
    take their own port (see ``workers.exposition``)."""
    import dramatiq

    from workers import actors
    from workers.broker import make_broker
    from workers.embedded import QUEUES

    url = _shared_broker_url()
    queues = set(args.queues) if args.queues else set(QUEUES)
    unknown = queues - set(QUEUES)
    if unknown:
        raise InputError(f"unknown queue: {sorted(unknown)[0]} (queues: {', '.join(QUEUES)})")
    require_schema()
    middleware = []
    if args.metrics_port is not None:
        from workers import exposition

        middleware.append(exposition.queue_metrics())
        try:
            exposition.serve(args.metrics_port, args.metrics_host)
        except OSError as exc:
            where = f"{args.metrics_host}:{args.metrics_port}"
            raise InputError(f"cannot serve metrics on {where}: {exc.strerror or exc}") from None
    broker = actors.install(make_broker(url), middleware)
    worker = dramatiq.Worker(broker, queues=queues, worker_threads=args.threads)
    from workers import account_gate

    account_gate.configure(args.threads)
    stop = wait_for_signal()
    worker.start()
    where = f", metrics on :{args.metrics_port}" if args.metrics_port is not None else ""
    print(f"worker running ({args.threads} threads, queues: {', '.join(sorted(queues))}{where})",
          file=sys.stderr, flush=True)
    stop.wait()
    worker.stop()
    broker.close()
    return 0


def cmd_scheduler(args: argparse.Namespace) -> int:
    from sync.db import get_database
    from sync.settings import get_settings
    from workers import actors, scheduler
    from workers.broker import make_broker

    actors.install(make_broker(_shared_broker_url()))
    require_schema()
    stop = wait_for_signal()
    scheduler.run(get_database(), get_settings(), should_stop=stop.is_set)
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    """Workers, scheduler and reconciler, and the web admin beside them unless ``--no-admin``."""
    from sync.db import get_database
    from sync.settings import get_settings
    from workers.serve import serve

    require_schema()
    db = get_database()
    admin = None if args.no_admin else start_admin(db, args.admin_host, args.admin_port)
    stop = wait_for_signal()
    try:
        if admin is not None:
            print(f"web admin on {admin.url}{_first_account_hint(db)}", file=sys.stderr, flush=True)
        serve(db, get_settings(), threads=args.threads, should_stop=stop.is_set,
              started=lambda line: print(line, file=sys.stderr, flush=True))
    finally:
        if admin is not None:
            admin.stop()
    return 0


def start_admin(db: Database, host: str, port: int) -> AdminServer:
    from admin.web.server import AdminServer

    try:
        return AdminServer(db, host=host, port=port).start()
    except OSError as exc:
        raise InputError(f"cannot serve the web admin on {host[:60]}:{port}: {exc.strerror or exc} "
                         "(--admin-port N, or --no-admin)") from None


def _first_account_hint(db: Database) -> str:
    from sqlalchemy import func, select

    from sync.account_models import Account

    with db.session() as session:
        accounts = session.scalar(select(func.count()).select_from(Account)) or 0
    return "" if accounts else " (no account yet: `orderhub users add NAME --main` makes the first)"


def add_serve_flags(serve: argparse.ArgumentParser, *, port: int = 8000, optional: bool = True) -> None:
    from admin.argtypes import port as port_type

    serve.add_argument("--admin-host", default="127.0.0.1", help="the address the web admin listens on")
    serve.add_argument("--admin-port", type=port_type, default=port,
                       help=f"the web admin's port (default {port}; 0: any free one)")
    if optional:
        serve.add_argument("--no-admin", action="store_true", help="no web admin in this process")
