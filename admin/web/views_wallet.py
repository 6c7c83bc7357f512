"""The supplier wallet: the balance as last read, what the orders held for it add up to, and
"resubmit every order held for insufficient wallet" (oldest first; the supplier's shared rate
limit paces the sends), and the account's switch to do that by itself when a balance read covers
them (``sync.wallet_auto``)."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from admin.web import actions, listing
from admin.web.auth import Operator, RowId, database, need
from admin.web.pages import render
from admin.web.words import hide_amounts
from sync import supplier_accounts
from sync.accounts import Permission
from sync.models import Channel, Order, OrderIssue
from sync.states import Status
from sync.wallet_auto import is_on, set_auto_resubmit
from sync.wallet_held import held_for_wallet

router = APIRouter()
Reviewer = Annotated[Operator, Depends(need(Permission.REVIEW_ORDERS))]
HELD = listing.Filters(status=Status.PENDING_REVIEW.value, reason="insufficient_wallet")


@router.get("/wallet", response_class=HTMLResponse)
def wallet(request: Request, who: Reviewer) -> Response:
    with database(request).session() as session:
        suppliers = [_account(session, c, who.sees_prices) for c in supplier_accounts.accounts(session)]
        held = select(OrderIssue.order_id).where(OrderIssue.code == "insufficient_wallet",
                                                 OrderIssue.closed_at.is_(None))
        totals = session.execute(select(Order.currency, func.count(), func.sum(Order.total))
                                 .where(Order.status == Status.PENDING_REVIEW, Order.id.in_(held))
                                 .group_by(Order.currency)).all()
        page = listing.list_orders(session, HELD, prices=who.sees_prices)
    count = sum(int(n) for _, n, _ in totals)
    sums = [(currency, Decimal(total or 0)) for currency, _, total in totals] if who.sees_prices else []
    return render(request, "wallet.html", {"suppliers": suppliers, "count": count, "sums": sums, "page": page,
                                           "f": HELD}, who=who)


def _account(session: Session, row: Channel, prices: bool) -> dict[str, Any]:
    """One supplier account's wallet, the channels it pays for and the orders held for it."""
    channel_ids = supplier_accounts.channel_ids(session, row)
    names = [n for n in session.scalars(select(Channel.name).where(Channel.id.in_(channel_ids)).order_by(Channel.name))]
    return {"name": row.name, "balance": row.wallet_balance if prices else None, "read_at": row.wallet_read_at,
            "id": row.id, "auto": is_on(row.settings), "enabled": row.enabled, "channels": names,
            "held": len(held_for_wallet(session, channel_ids=channel_ids)) if channel_ids else 0}


@router.post("/wallet/resubmit-held", response_class=HTMLResponse)
async def resubmit_held(request: Request,
                        who: Annotated[Operator, Depends(need(Permission.RESUBMIT))]) -> Response:
    db = database(request)
    with db.session() as session:
        ids = listing.matching_ids(session, HELD)
    outcomes = await run_in_threadpool(actions.resubmit, db, ids, who.actor, request.app.state.forward)
    if not who.sees_prices:
        outcomes = [replace(o, message=hide_amounts(o.message)) for o in outcomes]
    return render(request, "bulk_done.html", {"action": "resubmit", "outcomes": outcomes}, who=who)


@router.post("/wallet/{supplier_id}/auto-resubmit", response_class=HTMLResponse)
async def auto_resubmit(request: Request, supplier_id: RowId,
                        who: Annotated[Operator, Depends(need(Permission.MANAGE_CHANNELS))]) -> Response:
    on = (await request.form()).get("on") == "1"
    try:
        with database(request).session() as session:
            set_auto_resubmit(session, supplier_id, on)
    except LookupError:
        return render(request, "error.html", {"title": "No such account",
                                              "message": "Only a supplier account resubmits by itself."},
                      who=who, status_code=404)
    return RedirectResponse("/wallet", status_code=303)
