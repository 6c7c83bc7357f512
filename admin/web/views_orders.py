"""The order lists: pending review (the default tab), every state with counts, the red dot,
bulk actions and the CSV export."""

from __future__ import annotations

import csv
import io
from dataclasses import replace
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from admin.web import actions, listing
from admin.web.auth import NotAllowed, Operator, database, need, operator
from admin.web.pages import is_htmx, render
from admin.web.words import STATES, hide_amounts
from sync.accounts import Permission
from sync.states import Status
from sync.typed import row_id

router = APIRouter()
Reviewer = Annotated[Operator, Depends(need(Permission.REVIEW_ORDERS))]


def filters_from(status: str | None, channel: str | None, reason: str | None, age: str | None, q: str | None,
                 after: str | None = None, supplier: str | None = None) -> listing.Filters:
    chosen = status if status in STATES else (None if status == "all" else Status.PENDING_REVIEW.value)
    return listing.Filters(status=chosen, channel=_id(channel), supplier=_id(supplier),
                           reason=reason or None, age=age or None, q=(q or "").strip()[:200] or None,
                           after=after or None)


def _id(text: str | None) -> int | None:
    return int(text) if text and text.isascii() and text.isdigit() and len(text) < 19 else None


FilterQuery = Annotated[str | None, Query()]
#: "every order matching" is counted up to here: a bulk action takes BULK_LIMIT orders at a time anyway
MATCHING_CAP = 1_000


@router.get("/")
def home() -> Response:
    return RedirectResponse("/orders", status_code=303)


@router.get("/orders", response_class=HTMLResponse)
def orders(request: Request, who: Reviewer, status: FilterQuery = None, channel: FilterQuery = None,
           reason: FilterQuery = None, age: FilterQuery = None, q: FilterQuery = None,
           after: FilterQuery = None, supplier: FilterQuery = None) -> Response:
    f = filters_from(status, channel, reason, age, q, after, supplier)
    with database(request).session() as session:
        page = listing.list_orders(session, f, prices=who.sees_prices, count_up_to=MATCHING_CAP)
        matching = page.matching or 0
        counts = listing.tab_counts(session)
        context = {"f": f, "page": page, "counts": counts, "review_count": counts.by_state.get("pending_review", 0),
                   "matching": f"{MATCHING_CAP}+" if matching > MATCHING_CAP else str(matching),
                   "channels": listing.channels(session), "suppliers": listing.suppliers(session),
                   "reasons": listing.open_reason_codes(session)}
    if not who.sees_prices:
        for row in page.rows:
            row.reasons = [(code, hide_amounts(message)) for code, message in row.reasons]
    if is_htmx(request) and request.headers.get("hx-target") == "rows":
        return render(request, "_rows.html", context, who=who)
    return render(request, "orders.html", context, who=who)


@router.get("/fragments/review-count", response_class=HTMLResponse)
def review_count(request: Request, who: Annotated[Operator, Depends(operator)]) -> Response:
    count = None
    if who.can(Permission.REVIEW_ORDERS):
        with database(request).session() as session:
            count = listing.pending_review_count(session)
    return render(request, "_badge.html", {"review_count": count}, who=who)


@router.get("/orders.csv")
def orders_csv(request: Request, who: Reviewer, status: FilterQuery = None, channel: FilterQuery = None,
               reason: FilterQuery = None, age: FilterQuery = None, q: FilterQuery = None,
               supplier: FilterQuery = None) -> Response:
    f = filters_from(status, channel, reason, age, q, None, supplier)
    out = io.StringIO()
    writer = csv.writer(out)
    header = ["id", "channel", "number", "buyer", "status", "since", "reasons"]
    writer.writerow(header + (["total", "currency"] if who.sees_prices else []))
    with database(request).session() as session:
        while True:
            page = listing.list_orders(session, f, prices=who.sees_prices)
            for r in page.rows:
                cells = [r.id, r.channel, r.number, r.buyer, r.status, r.since.isoformat(),
                         "; ".join(code for code, _ in r.reason_codes)]
                writer.writerow(cells + ([r.total, r.currency] if who.sees_prices else []))
            if page.next_after is None:
                break
            f = listing.Filters(**{**f.__dict__, "after": page.next_after})
    return Response(out.getvalue(), media_type="text/csv",
                    headers={"Content-Disposition": 'attachment; filename="orders.csv"'})


@router.post("/orders/bulk", response_class=HTMLResponse)
async def bulk(request: Request, who: Reviewer) -> Response:
    form = await request.form()
    action = str(form.get("action", ""))
    ids = sorted({i for v in form.getlist("ids") if (i := row_id(str(v))) is not None})
    if form.get("scope") == "matching":
        given = {k: str(form.get(k) or "") or None for k in ("status", "channel", "reason", "age", "q", "supplier")}
        chosen = filters_from(**given)
        with database(request).session() as session:
            ids = listing.matching_ids(session, chosen)
    needed = {"resubmit": Permission.RESUBMIT, "cancel": Permission.CANCEL}.get(action)
    if needed is None:
        return render(request, "error.html", {"title": "Unknown action", "message": "Choose resubmit or cancel."},
                      who=who, status_code=400)
    if not who.can(needed):
        raise NotAllowed(needed)
    if not ids:
        return render(request, "error.html", {"title": "Nothing selected",
                                              "message": "Tick the orders to act on first."},
                      who=who, status_code=400)
    db = database(request)
    if action == "resubmit":
        outcomes = await run_in_threadpool(actions.resubmit, db, ids, who.actor, request.app.state.forward)
    else:
        outcomes = await run_in_threadpool(actions.cancel_many, db, ids, who.actor)
    if not who.sees_prices:
        outcomes = [replace(o, message=hide_amounts(o.message)) for o in outcomes]
    return render(request, "bulk_done.html", {"action": action, "outcomes": outcomes}, who=who)
