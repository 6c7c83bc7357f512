"""The dashboard: orders per day per channel (an SVG drawn on the server), orders per state, time
from ingest to sent, and the counts that need someone."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from admin.web import listing
from admin.web.auth import Operator, database, need
from admin.web.pages import render
from sync.accounts import Permission
from sync.models import Channel, Order, OrderEvent, QuarantinedBody, Shipment, utcnow
from sync.states import Status

router = APIRouter()
Reviewer = Annotated[Operator, Depends(need(Permission.REVIEW_ORDERS))]
DAYS = 14
PALETTE = ["#1f5fd6", "#15a36b", "#e08a00", "#9b51e0", "#d92d20", "#0e9fb5", "#6b7385"]
CHART_W, CHART_H, PAD = 700, 180, 24


def per_day(session: Session, since: datetime) -> tuple[list[str], dict[str, dict[str, int]]]:
    day = func.date(Order.created_at)
    counts: dict[str, dict[str, int]] = {}
    for name, on, n in session.execute(select(Channel.name, day, func.count())
                                       .join(Channel, Channel.id == Order.channel_id)
                                       .where(Order.created_at >= since).group_by(Channel.name, day)):
        counts.setdefault(name, {})[str(on)] = int(n)
    days = [str(since.date() + timedelta(days=i)) for i in range(DAYS)]
    return days, counts


def bars(days: list[str], counts: dict[str, dict[str, int]]) -> dict[str, Any]:
    """Stacked bars, one per day, one colour per channel, in the chart's coordinates."""
    totals = [sum(c.get(d, 0) for c in counts.values()) for d in days]
    top = max([1, *totals])
    step = (CHART_W - PAD) / len(days)
    rects = []
    for i, d in enumerate(days):
        y = float(CHART_H - PAD)
        for k, (name, c) in enumerate(sorted(counts.items())):
            h = (CHART_H - 2 * PAD) * c.get(d, 0) / top
            if h:
                y -= h
                rects.append({"x": PAD + i * step + 2, "y": y, "w": step - 4, "h": h,
                              "colour": PALETTE[k % len(PALETTE)], "title": f"{d} {name}: {c.get(d, 0)}"})
    labels = [{"x": PAD + i * step + step / 2, "text": date.fromisoformat(d).strftime("%d")}
              for i, d in enumerate(days)]
    legend = [{"name": n, "colour": PALETTE[k % len(PALETTE)]} for k, n in enumerate(sorted(counts))]
    return {"rects": rects, "labels": labels, "legend": legend, "top": top, "w": CHART_W, "h": CHART_H, "pad": PAD}


def time_to_sent(session: Session, since: datetime) -> dict[str, str]:
    rows = session.execute(select(Order.created_at, func.min(OrderEvent.at))
                           .join(OrderEvent, OrderEvent.order_id == Order.id)
                           .where(OrderEvent.to_status == Status.SENT, OrderEvent.at >= since)
                           .group_by(Order.id, Order.created_at).limit(20000)).all()
    waits = sorted(max(0.0, (sent - created).total_seconds()) for created, sent in rows if sent and created)
    if not waits:
        return {}

    def pick(q: float) -> str:
        return _duration(waits[min(len(waits) - 1, int(q * len(waits)))])
    return {"orders": str(len(waits)), "median": pick(0.5), "p90": pick(0.9)}


def _duration(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def attention(session: Session, now: datetime) -> list[dict[str, Any]]:
    oldest = session.scalar(select(func.min(Order.status_changed_at)).where(Order.status == Status.PENDING_REVIEW))
    stuck = session.scalar(select(func.count()).select_from(Order).where(
        Order.status.in_([Status.READY, Status.FORWARDING]), Order.status_changed_at < now - timedelta(minutes=15)))
    quarantined = session.scalar(select(func.count()).select_from(QuarantinedBody)
                                 .where(QuarantinedBody.resolved_at.is_(None)))
    unpushed = session.scalar(select(func.count()).select_from(Shipment).where(
        Shipment.pushed_at.is_(None), Shipment.push_error.is_not(None)))
    return [
        {"label": "Pending review", "value": listing.pending_review_count(session), "href": "/orders",
         "note": f"oldest waiting since {oldest:%Y-%m-%d %H:%M}" if oldest else ""},
        {"label": "Held for the wallet", "value": listing.count(session, listing.Filters(
            status=Status.PENDING_REVIEW.value, reason="insufficient_wallet")), "href": "/wallet", "note": ""},
        {"label": "Not sent after 15 min", "value": int(stuck or 0), "href": "/orders?status=ready", "note": ""},
        {"label": "Bodies a channel sent that could not be read", "value": int(quarantined or 0), "href": None,
         "note": ""},
        {"label": "Tracking not told to the channel", "value": int(unpushed or 0), "href": None, "note": ""},
    ]


@router.get("/dashboard", response_class=HTMLResponse)
def dashboard(request: Request, who: Reviewer) -> Response:
    now = utcnow()
    since = datetime.combine(now.date() - timedelta(days=DAYS - 1), datetime.min.time(), tzinfo=now.tzinfo)
    with database(request).session() as session:
        days, counts = per_day(session, since)
        context = {"chart": bars(days, counts), "states": listing.state_counts(session),
                   "speed": time_to_sent(session, now - timedelta(days=7)), "attention": attention(session, now),
                   "total_days": sum(sum(c.values()) for c in counts.values())}
    return render(request, "dashboard.html", context, who=who)
