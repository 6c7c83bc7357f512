"""Channels and supplier accounts: last successful sync, cursor, the last error, bodies a channel
sent that could not be read, "sync now", switch on/off. Credentials are never shown."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import func, select, update

from admin.web.auth import Operator, RowId, database, need
from admin.web.pages import render
from admin.web.words import hide_amounts
from sync.accounts import Permission
from sync.models import Channel, QuarantinedBody

router = APIRouter()
Manager = Annotated[Operator, Depends(need(Permission.MANAGE_CHANNELS))]
RECENT = 20


@router.get("/channels", response_class=HTMLResponse)
def channels(request: Request, who: Manager) -> Response:
    with database(request).session() as session:
        waiting = dict(session.execute(select(QuarantinedBody.channel_id, func.count())
                                       .where(QuarantinedBody.resolved_at.is_(None))
                                       .group_by(QuarantinedBody.channel_id)).all())
        rows = [{"id": c.id, "name": c.name, "kind": c.kind, "role": c.role, "url": c.url, "enabled": c.enabled,
                 "last_sync_at": c.last_sync_at, "cursor": c.cursor, "last_error": c.last_error,
                 "quarantined": int(waiting.get(c.id, 0))}
                for c in session.scalars(select(Channel).order_by(Channel.role, Channel.name))]
        names = {r["id"]: r["name"] for r in rows}
        text = (lambda s: s) if who.sees_prices else hide_amounts
        bodies = [{"channel": names.get(q.channel_id, "?"), "external_id": q.external_id, "error": text(q.error),
                   "received_at": q.received_at,
                   # a body holds buyers' data and prices: only an account that may see prices reads it
                   "excerpt": q.body[:400] if who.sees_prices else None}
                  for q in session.scalars(select(QuarantinedBody).where(QuarantinedBody.resolved_at.is_(None))
                                           .order_by(QuarantinedBody.id.desc()).limit(RECENT))]
    done = {"sync": "Sync asked for: the channel is pulled in the background."}.get(
        str(request.query_params.get("done", "")))
    return render(request, "channels.html", {"channels": rows, "bodies": bodies, "done": done}, who=who)


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
