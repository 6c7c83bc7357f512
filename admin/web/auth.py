"""Who is asking, and may they: checked on the server for every page, fragment and action."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Path, Request

from admin.web.session import SAFE_METHODS, WebSession
from sync.accounts import Permission, account_for_token, load_account, permissions_of
from sync.db import Database
from sync.models import MAX_ID

#: a row id in a path: bounded like the database's 64-bit keys, so a huge number is a 422, not a 500
RowId = Annotated[int, Path(ge=1, le=MAX_ID)]


class NotSignedIn(Exception):
    pass


class NotAllowed(Exception):
    def __init__(self, permission: Permission) -> None:
        super().__init__(permission.value)
        self.permission = permission


class BadCsrf(Exception):
    pass


@dataclass(frozen=True)
class Operator:
    id: int
    username: str
    is_main: bool
    permissions: frozenset[Permission]

    def can(self, permission: Permission | str) -> bool:
        return Permission(permission) in self.permissions

    @property
    def sees_prices(self) -> bool:
        return Permission.VIEW_PRICES in self.permissions

    @property
    def actor(self) -> str:
        return f"user:{self.username}"


def database(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


def web_session(request: Request) -> WebSession:
    session: WebSession = request.state.web_session
    return session


async def csrf_protect(request: Request) -> None:
    """Every state-changing request carries the session's token, in the form or (htmx) a header."""
    if request.method in SAFE_METHODS:
        return
    if request.headers.get("authorization", "").lower().startswith("bearer "):
        return  # API tokens are not sent by browsers on their own: no cross-site forgery to stop
    token = request.headers.get("x-csrf-token")
    if token is None:
        content_type = request.headers.get("content-type", "")
        if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            token = str((await request.form()).get("csrf_token") or "")
    if not web_session(request).csrf_ok(token):
        raise BadCsrf()


def operator(request: Request) -> Operator:
    cached: Operator | None = getattr(request.state, "operator", None)
    if cached is not None:
        return cached
    db = database(request)
    with db.session() as session:
        bearer = request.headers.get("authorization", "")
        if bearer.lower().startswith("bearer "):
            account = account_for_token(session, bearer[7:].strip())
        else:
            ws = web_session(request)
            account = load_account(session, ws.account_id, ws.epoch) if ws.account_id is not None else None
        if account is None:
            raise NotSignedIn()
        found = Operator(account.id, account.username, account.is_main, permissions_of(account))
    request.state.operator = found
    return found


def need(permission: Permission) -> Callable[..., Operator]:
    """A dependency: the signed-in operator, if they hold ``permission``."""

    def check(who: Operator = Depends(operator)) -> Operator:  # noqa: B008
        if not who.can(permission):
            raise NotAllowed(permission)
        return who

    check.permission = permission  # type: ignore[attr-defined]  # read by the route-table test
    return check
