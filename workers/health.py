"""``orderhub health``: can this installation do its job right now?

Plain functions, each answering one ``Check``: the database (``SELECT 1``), the broker (a Redis
``PING``, or "embedded" for the in-process default), and every enabled sales channel and supplier
account: its connector's ``check()`` (one cheap authenticated call, short timeout, no retry).

Details never carry a credential: every value of the account's credentials is masked out of
whatever an error said, on top of the connectors' own redaction.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from functools import partial
from typing import Any
from urllib.parse import urlsplit

import httpx
from sqlalchemy import select, text

from connectors.base import Connector, ConnectorConfig
from connectors.errors import AuthenticationFailed
from connectors.http import redact
from connectors.registry import channel_class, supplier_class
from sync.connect import config_for
from sync.db import Database, get_database
from sync.models import Channel
from sync.settings import Settings, get_settings

DEFAULT_TIMEOUT = 5.0


@dataclass(frozen=True)
class Check:
    ok: bool
    detail: str


def database(db: Database) -> Check:
    try:
        with db.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:
        return Check(False, f"unreachable: {_first_line(exc)}")
    return Check(True, f"SELECT 1 answered ({db.engine.dialect.name})")


def broker(url: str, *, timeout: float = DEFAULT_TIMEOUT) -> Check:
    if not url:
        return Check(True, "embedded (in-process broker)")
    where = _safe_url(url)
    if not url.startswith("redis"):
        return Check(False, f"unsupported broker {where}")
    import redis

    client = redis.Redis.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout)
    try:
        client.ping()
    except Exception as exc:
        return Check(False, f"{where}: {_first_line(exc)}")
    finally:
        client.close()
    return Check(True, f"PING answered ({where})")


def account(config: ConnectorConfig, role: str, *, timeout: float = DEFAULT_TIMEOUT) -> Check:
    """One cheap authenticated read against the account, through its connector."""
    secrets = [v.get_secret_value() for v in config.credentials.values()]
    try:
        cls = channel_class(config.kind) if role == "channel" else supplier_class(config.kind)
        connector: Connector = cls(config)
    except Exception as exc:  # unknown kind, missing credential...
        return Check(False, redact(f"not usable: {_first_line(exc)}", *secrets))
    try:
        connector.client.timeout = httpx.Timeout(timeout)
        what = connector.check()
    except AuthenticationFailed as exc:
        return Check(False, redact(f"credentials refused: {_first_line(exc)}", *secrets))
    except Exception as exc:
        return Check(False, redact(f"{type(exc).__name__}: {_first_line(exc)}", *secrets))
    finally:
        connector.close()
    return Check(True, redact(what, *secrets))


def accounts(db: Database) -> list[tuple[str, str, ConnectorConfig]]:
    """(check name, role, config) of every enabled account."""
    with db.session() as session:
        # a messenger store has no platform to reach: its orders are taken by hand
        rows = session.scalars(select(Channel).where(Channel.enabled.is_(True), Channel.kind != "messenger")
                               .order_by(Channel.id)).all()
        return [(f"{row.role}:{row.name}", row.role, config_for(row)) for row in rows]


def run(db: Database | None = None, settings: Settings | None = None, *,
        timeout: float = DEFAULT_TIMEOUT) -> dict[str, Any]:
    """``{"ok": bool, "checks": {name: {"ok": bool, "detail": str}}}``"""
    db = db or get_database()
    settings = settings or get_settings()
    checks: dict[str, Check] = {"database": database(db), "broker": broker(settings.broker_url, timeout=timeout)}
    if checks["database"].ok:
        try:
            found = accounts(db)
        except Exception as exc:
            checks["accounts"] = Check(False, f"cannot list the accounts: {_first_line(exc)}")
            found = []
        probes: list[tuple[str, Callable[[], Check]]] = [
            (name, partial(account, config, role, timeout=timeout)) for name, role, config in found
        ]
        with ThreadPoolExecutor(max_workers=max(1, min(8, len(probes)))) as pool:
            results = [(name, pool.submit(probe)) for name, probe in probes]
            for name, future in results:
                checks[name] = future.result()
    else:
        checks["accounts"] = Check(False, "not checked: the database is unreachable")
    return {"ok": all(c.ok for c in checks.values()), "checks": {k: asdict(c) for k, c in checks.items()}}


def run_local(db: Database | None = None, settings: Settings | None = None, *,
              timeout: float = DEFAULT_TIMEOUT) -> dict[str, Any]:
    """The database and the broker only: what a liveness probe asks, at no cost to any account."""
    db = db or get_database()
    settings = settings or get_settings()
    checks = {"database": database(db), "broker": broker(settings.broker_url, timeout=timeout)}
    return {"ok": all(c.ok for c in checks.values()), "checks": {k: asdict(c) for k, c in checks.items()}}


def _first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return (lines[0] if lines else type(exc).__name__)[:300]


def _safe_url(url: str) -> str:
    """scheme://host:port/db, without any user or password."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}{parts.path}"
