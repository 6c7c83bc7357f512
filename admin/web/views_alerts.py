"""Alerts: the conditions raised now, the recent ones, whether each notice reached its
destination, and the settings that decide when operators are told and where (never a password,
a secret or the webhook's address, which can carry a token)."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import func, select

from admin.web.auth import Operator, database, need
from admin.web.pages import render
from admin.web.words import hide_amounts
from sync.accounts import Permission
from sync.alert_models import Alert, AlertNotice
from sync.settings import Settings, get_settings

router = APIRouter()
Reviewer = Annotated[Operator, Depends(need(Permission.REVIEW_ORDERS))]
RECENT = 50


def settings_shown(settings: Settings) -> dict[str, Any]:
    webhook = settings.alert_webhook_url.get_secret_value()
    to = [a.strip() for a in settings.smtp_to.split(",") if a.strip()]
    return {
        "every_seconds": settings.alert_every_seconds,
        "review_after_minutes": settings.alert_review_after_minutes or None,
        "channel_silent_minutes": settings.alert_channel_silent_minutes or None,
        "no_orders_hours": settings.alert_no_orders_hours or None,
        "wallet_below": settings.alert_wallet_below or None,
        "email": (f"{settings.smtp_host}:{settings.smtp_port}" if settings.smtp_host and to else None),
        "email_to": ", ".join(to), "email_login": bool(settings.smtp_user),
        "email_password": bool(settings.smtp_password.get_secret_value()), "starttls": settings.smtp_starttls,
        "webhook": urlsplit(webhook).hostname if webhook else None,
        "webhook_signed": bool(settings.alert_webhook_secret.get_secret_value()),
    }


@router.get("/alerts", response_class=HTMLResponse)
def alerts(request: Request, who: Reviewer) -> Response:
    text = (lambda s: s) if who.sees_prices else hide_amounts
    with database(request).session() as session:
        rows = session.scalars(select(Alert).order_by(Alert.active.desc(), Alert.raised_at.desc())
                               .limit(RECENT)).all()
        waiting = dict(session.execute(select(AlertNotice.alert_key, func.count())
                                       .where(AlertNotice.sent_at.is_(None)).group_by(AlertNotice.alert_key)).all())
        errors = dict(session.execute(select(AlertNotice.alert_key, AlertNotice.last_error)
                                      .where(AlertNotice.sent_at.is_(None), AlertNotice.last_error.is_not(None))
                                      .order_by(AlertNotice.id)).all())
        shown = [{"key": a.key, "kind": a.kind, "active": a.active, "raised_at": a.raised_at,
                  "cleared_at": a.cleared_at, "summary": text(a.summary), "waiting": int(waiting.get(a.key, 0)),
                  "error": errors.get(a.key)} for a in rows]
    settings = getattr(request.app.state, "settings", None) or get_settings()
    return render(request, "alerts.html", {"alerts": shown, "active": sum(1 for a in shown if a["active"]),
                                           "settings": settings_shown(settings)}, who=who)
