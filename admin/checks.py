"""Turning what goes wrong around a command (the database, the network, the terminal) into one line
an operator can act on, instead of a traceback."""

from __future__ import annotations

import errno

from sqlalchemy import exc as sa_exc
from sqlalchemy import inspect

from admin.commands_base import InputError
from connectors.errors import ConnectorError, RetryLater

#: a table every migrated OrderHub database has
_MARKER_TABLE = "orders"
UPGRADE_HINT = "the database has no OrderHub tables yet: run `orderhub db upgrade`"


def require_schema() -> None:
    """Refuse to start a long-running process on a database nobody migrated."""
    from sync.db import get_database

    db = get_database()
    if not inspect(db.engine).has_table(_MARKER_TABLE):
        raise InputError(UPGRADE_HINT)


def _first_line(exc: BaseException) -> str:
    text = str(getattr(exc, "orig", None) or exc).strip()
    return text.splitlines()[0] if text else exc.__class__.__name__


def explain(exc: BaseException) -> str | None:
    """One line for an error met outside the command's own checks, or None when it is not one we
    know (then it is a bug, and says so)."""
    if isinstance(exc, sa_exc.ArgumentError | sa_exc.NoSuchModuleError):
        return "ORDERHUB_DATABASE_URL is not a database URL this build can use " \
               "(e.g. sqlite:///var/orderhub.sqlite3 or postgresql+psycopg://user@host/orderhub)"
    if isinstance(exc, sa_exc.DBAPIError):
        text = _first_line(exc)
        lowered = text.lower()
        if "no such table" in lowered or ("relation" in lowered and "does not exist" in lowered):
            return UPGRADE_HINT
        if isinstance(exc, sa_exc.OperationalError | sa_exc.InterfaceError):
            # the driver's words name the host and the reason, never the password
            return f"cannot use the database: {text}"
        return f"the database refused the command: {text}"
    if isinstance(exc, ModuleNotFoundError) and exc.name in {"psycopg", "psycopg2", "pymysql", "MySQLdb"}:
        return f"ORDERHUB_DATABASE_URL needs the {exc.name} driver, which is not installed"
    if isinstance(exc, ConnectorError):  # connectors' messages name no credential and no buyer data
        later = " (try again later)" if isinstance(exc, RetryLater) else ""
        return f"the platform could not be used: {_first_line(exc)}{later}"
    if isinstance(exc, RecursionError):
        return "the input is nested too deeply to read"
    if isinstance(exc, OSError):
        if exc.errno == errno.EADDRINUSE:
            return f"a port is already in use: {exc.strerror}"
        if exc.filename is not None:
            return f"cannot use {str(exc.filename)[:200]}: {exc.strerror or exc.__class__.__name__}"
        if exc.errno in (errno.EACCES, errno.EADDRNOTAVAIL):
            return f"cannot listen there: {exc.strerror}"
    return None
