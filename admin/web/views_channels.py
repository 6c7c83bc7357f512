"""Channels and supplier accounts: last successful sync (a supplier's: its catalogue and stock),
cursor, the credentials' health, the last error, bodies a channel sent that could not be read,
"sync now", "check the connection", switch on/off, remove. Credentials are never shown."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from admin.web.auth import Operator, RowId, database, need
from admin.web.pages import render
from admin.web.words import hide_amounts
from sync import channel_accounts
from sync.accounts import Permission
from sync.credential_health import health
from sync.fields import FieldError
from sync.models import Channel, QuarantinedBody, SupplierProduct, utcnow

router = APIRouter()
Manager = Annotated[Operator, Depends(need(Permission.MANAGE_CHANNELS))]
RECENT = 20
DONE = {"sync": "Sync asked for: the channel is pulled in the background.",
        "added": "Account added.", "saved": "Account saved.", "unchanged": "Nothing was changed.",
        "removed": "Account removed."}


def _catalogue_times(session: Session) -> dict[int, tuple[Any, Any]]:
    """Supplier id -> (products last read, stock last read): a supplier's sync is its catalogue's."""
    rows = session.execute(select(SupplierProduct.supplier_id, func.max(SupplierProduct.seen_at),
                                  func.max(SupplierProduct.stock_at)).group_by(SupplierProduct.supplier_id))
    return {sid: (seen, stock) for sid, seen, stock in rows}


def _row(c: Channel, waiting: dict[int, int], catalogue: dict[int, tuple[Any, Any]], now: Any) -> dict[str, Any]:
    seen, stock = catalogue.get(c.id, (None, None))
    last_sync = c.last_sync_at if c.role == "channel" else max((t for t in (seen, stock, c.last_sync_at) if t),
                                                               default=None)
    return {"id": c.id, "name": c.name, "kind": c.kind, "role": c.role, "url": c.url, "enabled": c.enabled,
            "last_sync_at": last_sync, "catalogue_at": seen, "stock_at": stock, "cursor": c.cursor,
            "last_error": c.last_error, "quarantined": int(waiting.get(c.id, 0)),
            "health": health(role=c.role, settings=c.settings, last_error=c.last_error,
                             last_sync_at=last_sync, now=now)}


def channels_page(request: Request, who: Operator, *, status_code: int = 200, **extra: Any) -> Response:
    now = utcnow()
    with database(request).session() as session:
        waiting = dict(session.execute(select(QuarantinedBody.channel_id, func.count())
                                       .where(QuarantinedBody.resolved_at.is_(None))
                                       .group_by(QuarantinedBody.channel_id)).all())
        catalogue = _catalogue_times(session)
        rows = [_row(c, waiting, catalogue, now)
                for c in session.scalars(select(Channel).order_by(Channel.role, Channel.name))]
        names = {r["id"]: r["name"] for r in rows}
        text = (lambda s: s) if who.sees_prices else hide_amounts
        for r in rows:
            r["last_error"] = text(r["last_error"]) if r["last_error"] else None
        bodies = [{"channel": names.get(q.channel_id, "?"), "external_id": q.external_id, "error": text(q.error),
                   "received_at": q.received_at,
                   # a body holds buyers' data and prices: only an account that may see prices reads it
                   "excerpt": q.body[:400] if who.sees_prices else None}
                  for q in session.scalars(select(QuarantinedBody).where(QuarantinedBody.resolved_at.is_(None))
                                           .order_by(QuarantinedBody.id.desc()).limit(RECENT))]
    done = DONE.get(str(request.query_params.get("done", "")))
    context = {"channels": rows, "bodies": bodies, "done": done, "error": None, "checked": None, **extra}
    return render(request, "channels.html", context, who=who, status_code=status_code)


@router.get("/channels", response_class=HTMLResponse)
def channels(request: Request, who: Manager) -> Response:
    return channels_page(request, who)


@router.post("/channels/{channel_id}/sync", response_class=HTMLResponse)
def sync_now(request: Request, channel_id: RowId, who: Manager) -> Response:
    with database(request).session() as session:
        row = session.get(Channel, channel_id)
        if row is None or row.role != "channel" or not row.enabled:
            return render(request, "error.html", {"title": "Cannot sync",
                                                  "message": "Only a channel that is switched on is synced."},
                          who=who, status_code=409)
    request.app.state.sync_now(channel_id)
    return RedirectResponse("/channels?done=sync", status_code=303)


@router.post("/channels/{channel_id}/enabled", response_class=HTMLResponse)
async def set_enabled(request: Request, channel_id: RowId, who: Manager) -> Response:
    enabled = (await request.form()).get("enabled") == "1"
    with database(request).session() as session:
        session.execute(update(Channel).where(Channel.id == channel_id).values(enabled=enabled))
    return RedirectResponse("/channels", status_code=303)


@router.post("/channels/{channel_id}/remove", response_class=HTMLResponse)
def remove(request: Request, channel_id: RowId, who: Manager) -> Response:
    try:
        with database(request).session() as session:
            row = session.get(Channel, channel_id)
            if row is None:
                raise FieldError("this account no longer exists", field="name")
            channel_accounts.remove_account(session, row)
    except FieldError as exc:
        return channels_page(request, who, status_code=409, error=f"Not removed: {exc}")
    request.app.state.forget_connectors()
    return RedirectResponse("/channels?done=removed", status_code=303)


@router.post("/channels/{channel_id}/check", response_class=HTMLResponse)
async def check(request: Request, channel_id: RowId, who: Manager) -> Response:
    """One cheap authenticated call through the account's connector (its ``check()``), no retry."""
    with database(request).session() as session:
        row = session.get(Channel, channel_id)
        if row is None:
            return channels_page(request, who, status_code=404, error="This account no longer exists.")
        session.expunge(row)
    ok, detail = await run_in_threadpool(request.app.state.check_account, row)
    if not who.sees_prices:
        detail = hide_amounts(detail)  # a supplier answers with its wallet
    return channels_page(request, who, checked={"id": channel_id, "name": row.name, "ok": ok, "detail": detail})
