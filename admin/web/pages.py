"""Rendering: the Jinja2 environment (autoescaped), and what every page gets (the operator, the
CSRF token, the pending-review count for the red dot)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from admin.web import words
from admin.web.auth import Operator, web_session
from admin.web.listing import pending_review_count
from sync.accounts import Permission
from sync.models import utcnow
from sync.money import rounded

HERE = Path(__file__).parent
templates = Jinja2Templates(directory=str(HERE / "templates"))
templates.env.autoescape = True  # every template, whatever its name: a buyer's name is text, never markup
templates.env.globals.update(reason=words.reason, state=words.state, age=words.age, P=Permission,
                             STATES=words.STATES, REASONS=words.REASONS, as_state=words.as_state,
                             as_kind=words.as_kind, AS_STATES=words.AFTER_SALES_STATES,
                             AS_KINDS=words.AFTER_SALES_KINDS)


def money(value: Any, currency: str | None = None) -> str:
    if value is None:
        return ""
    return f"{value:,.2f} {currency or ''}".strip()


def when(value: Any) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value is not None else ""


def minor(value: Any, currency: str) -> str:
    """An amount in its currency's minor unit (JPY 0 decimals, KWD 3)."""
    if value is None:
        return ""
    return f"{rounded(value, currency):,f} {currency}"


templates.env.filters.update(money=money, when=when, minor=minor)


def is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


def render(request: Request, name: str, context: dict[str, Any], *, who: Operator | None = None,
           status_code: int = 200) -> HTMLResponse:
    base: dict[str, Any] = {"who": who, "csrf": web_session(request).csrf, "now": utcnow()}
    # a page that counted the queue already (the order lists) hands its count over
    if who is not None and who.can(Permission.REVIEW_ORDERS) and not is_htmx(request) \
            and "review_count" not in context:
        with request.app.state.db.session() as session:
            base["review_count"] = pending_review_count(session)
    return templates.TemplateResponse(request, name, {**base, **context}, status_code=status_code)
