"""After-sales orders in the admin: the lists (one tab per state, with counts, type filter and a
search by AS number, order number or return tracking), one after-sales order with its items,
amounts, refund orders and history, and the actions its state allows. Every action needs "manual
after-sales" (refund orders "after-sales refund"), checked here and again by ``sync``; a refused
action shows the page again with the reason (a lost race as a 409), never a 500."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from admin.web import after_sales_detail as detail
from admin.web.auth import Operator, RowId, database, need
from admin.web.pages import render
from admin.web.words import hide_amounts
from sync import after_sales as a
from sync import after_sales_exchange as exchange
from sync import after_sales_refunds as refunds
from sync import after_sales_rules as r
from sync import blobs
from sync import messenger_payment as payment
from sync.accounts import Permission
from sync.fields import FieldError
from sync.models import Channel
from sync.review import LostRace, ReviewError
from sync.stock_models import Warehouse
from sync.typed import digits

router = APIRouter()
Clerk = Annotated[Operator, Depends(need(Permission.MANUAL_AFTER_SALES))]
Refunder = Annotated[Operator, Depends(need(Permission.AFTER_SALES_REFUND))]
Q = Annotated[str, Query(max_length=100)]
#: what an action refuses with: the domain's reasons, a field's, a lost race
REFUSED = (ReviewError, FieldError)
MAX_PROOF_FORM = 5_400_000
#: an amount as typed: digits, and up to 4 decimals (the currency's own minor unit is checked by sync)
AMOUNT_TEXT = re.compile(r"\d{1,12}(\.\d{1,4})?")


def message(exc: Exception, who: Operator) -> str:
    # a KeyError's str() is quoted; other messages may start or end with a quoted value of their own
    text = str(exc.args[0]) if isinstance(exc, KeyError) and exc.args else str(exc)
    return text if who.sees_prices else hide_amounts(text)


def status_of(exc: Exception) -> int:
    return 409 if isinstance(exc, LostRace) else 400


async def form_of(request: Request) -> dict[str, str]:
    return {k: str(v) for k, v in (await request.form()).items() if isinstance(v, str) and k != "csrf_token"}


@router.get("/after-sales", response_class=HTMLResponse)
def lists(request: Request, who: Clerk, state: Q = r.TO_CONFIRM, kind: Q = "", q: Q = "") -> Response:
    state = state if state in r.STATES or state == "all" else r.TO_CONFIRM
    kind = kind if kind in r.KINDS else ""
    with database(request).session() as s:
        counts = detail.counts(s, kind=kind or None, q=q)
        found = detail.rows(s, state=None if state == "all" else state, kind=kind or None, q=q,
                            prices=who.sees_prices)
    return render(request, "after_sales.html", {"counts": counts, "rows": found, "current": state, "kind": kind,
                                                "q": q}, who=who)


CSV_COLUMNS = ("number", "type", "state", "order_number", "buyer_name", "return_tracking", "created_by",
               "created_at", "currency")
CSV_AMOUNTS = ("returned_amount", "exchange_amount", "return_amount")


def _cell(value: Any) -> str:
    text = "" if value is None else value.isoformat() if hasattr(value, "isoformat") else str(value)
    # a spreadsheet must not read a buyer's name as a formula
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


@router.get("/after-sales.csv")
def lists_csv(request: Request, who: Clerk, state: Q = "all", kind: Q = "", q: Q = "") -> Response:
    """The list as shown (state, type, search), amounts only for an account with "view prices"."""
    with database(request).session() as s:
        found = detail.rows(s, state=state if state in r.STATES else None, kind=kind if kind in r.KINDS else None,
                            q=q, prices=who.sees_prices)
    columns = CSV_COLUMNS + (CSV_AMOUNTS if who.sees_prices else ())
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(columns)
    for row in found:
        writer.writerow([_cell(row.get(c)) for c in columns])
    return Response(out.getvalue(), media_type="text/csv",
                    headers={"Content-Disposition": 'attachment; filename="after-sales.csv"'})


def _warehouses(s: Session) -> list[str]:
    return list(s.scalars(select(Warehouse.name).where(Warehouse.enabled.is_(True)).order_by(Warehouse.id)))


def page(request: Request, who: Operator, as_id: int, *, error: str | None = None, field: str | None = None,
         values: dict[str, str] | None = None, status_code: int = 200) -> Response:
    with database(request).session() as s:
        found = detail.load(s, as_id, prices=who.sees_prices)
        warehouses = _warehouses(s)
        stores = list(s.scalars(select(Channel.name).where(Channel.kind == "messenger").order_by(Channel.name)))
    if found is None:
        return render(request, "error.html", {"title": "No such after-sales order",
                                              "message": f"There is no after-sales order {as_id}."},
                      who=who, status_code=404)
    done = str(request.query_params.get("done", ""))
    return render(request, "after_sales_order.html", {
        "a": found, "warehouses": warehouses, "stores": stores, "error": error, "field": field,
        "values": values or {}, "done": DONE.get(done), "R": r, "refund_from": r.REFUND_FROM[found["type"]],
        "generate_from": exchange.GENERATE_FROM}, who=who, status_code=status_code)


#: what a redirect after an action says (a fixed set: nothing from the URL is echoed)
DONE = {"created": "After-sales order created.", "confirmed": "Confirmed.", "tracking": "Return tracking saved.",
        "stocked": "Stocked in: the returned units are in stock.", "exchange": "Exchange order generated.",
        "cancelled": "Cancelled.", "completed": "Completed.", "refund": "Refund order created.",
        "refund_confirmed": "Refund confirmed: the after-sales order is completed.",
        "refund_rejected": "Refund rejected."}


@router.get("/after-sales/orders/{as_id}", response_class=HTMLResponse)
def order(request: Request, who: Clerk, as_id: RowId) -> Response:
    return page(request, who, as_id)


def act(request: Request, who: Operator, as_id: int, action: Callable[[Session], Any], done: str,
        data: dict[str, str] | None = None) -> Response:
    try:
        with database(request).session() as s:
            action(s)
    except REFUSED as exc:
        return page(request, who, as_id, error=message(exc, who), field=getattr(exc, "field", None),
                    values=data, status_code=status_of(exc))
    return RedirectResponse(f"/after-sales/orders/{as_id}?done={done}", status_code=303)


@router.post("/after-sales/orders/{as_id}/confirm", response_class=HTMLResponse)
async def confirm(request: Request, who: Clerk, as_id: RowId) -> Response:
    data = await form_of(request)
    return act(request, who, as_id, lambda s: a.confirm(
        s, as_id, actor=who.actor, can_after_sales=True, stock_in=data.get("stock_in") == "yes",
        warehouse=data.get("warehouse") or None), "confirmed", data)


@router.post("/after-sales/orders/{as_id}/tracking", response_class=HTMLResponse)
async def tracking(request: Request, who: Clerk, as_id: RowId) -> Response:
    data = await form_of(request)
    return act(request, who, as_id, lambda s: a.set_return_tracking(
        s, as_id, data.get("return_tracking", ""), actor=who.actor, can_after_sales=True), "tracking", data)


def received_units(data: dict[str, str]) -> dict[str, int] | None:
    """``sku_N``/``received_N`` pairs as typed on a stock-in form; None when every unit arrived."""
    if data.get("all") == "yes":
        return None
    found: dict[str, int] = {}
    for key, sku in data.items():
        if not key.startswith("sku_"):
            continue
        units = data.get("received_" + key[4:], "0").strip() or "0"
        if not digits(units) or len(units) > 6:
            raise r.AfterSalesError(f"received of {sku[:40]}: a whole number from 0", field="received")
        found[sku] = found.get(sku, 0) + int(units)
    return found


@router.post("/after-sales/orders/{as_id}/stock-in", response_class=HTMLResponse)
async def stock_in(request: Request, who: Clerk, as_id: RowId) -> Response:
    data = await form_of(request)
    return act(request, who, as_id, lambda s: a.stock_in(
        s, as_id, actor=who.actor, can_after_sales=True, received=received_units(data),
        warehouse=data.get("warehouse") or None), "stocked", data)


@router.post("/after-sales/orders/{as_id}/exchange", response_class=HTMLResponse)
async def generate_exchange(request: Request, who: Clerk, as_id: RowId) -> Response:
    data = await form_of(request)
    return act(request, who, as_id, lambda s: exchange.generate_exchange(
        s, as_id, actor=who.actor, can_after_sales=True, store=data.get("store") or None), "exchange", data)


@router.post("/after-sales/orders/{as_id}/cancel", response_class=HTMLResponse)
async def cancel(request: Request, who: Clerk, as_id: RowId) -> Response:
    data = await form_of(request)
    return act(request, who, as_id, lambda s: a.cancel(
        s, as_id, data.get("reason", ""), actor=who.actor, can_after_sales=True), "cancelled", data)


@router.post("/after-sales/orders/{as_id}/complete", response_class=HTMLResponse)
async def complete(request: Request, who: Clerk, as_id: RowId) -> Response:
    data = await form_of(request)
    return act(request, who, as_id, lambda s: a.complete_without_refund(
        s, as_id, data.get("reason", ""), actor=who.actor, can_after_sales=True), "completed", data)


async def _proof(request: Request) -> bytes | None:
    upload = (await request.form()).get("proof")
    if upload is None or isinstance(upload, str):
        return None
    data = await upload.read(MAX_PROOF_FORM + 1)
    return data or None


@router.post("/after-sales/orders/{as_id}/refunds", response_class=HTMLResponse)
async def create_refund(request: Request, who: Refunder, as_id: RowId) -> Response:
    data = await form_of(request)
    proof = await _proof(request)
    return act(request, who, as_id, lambda s: refunds.create_refund(
        s, as_id, amount=data.get("amount", "").strip(), actor=who.actor, can_refund=True,
        payment_info=data.get("payment_info", ""), proof=proof, settings=request.app.state.settings), "refund", data)


def _decide(request: Request, who: Operator, refund_id: int, data: dict[str, str],
            action: Callable[[Session], Any], done: str) -> Response:
    with database(request).session() as s:
        found = s.get(refunds.RefundOrder, refund_id)
        as_id = found.after_sales_id if found is not None else None
    back_to_list = data.get("back") == "refunds"
    try:
        with database(request).session() as s:
            action(s)
    except REFUSED as exc:
        if back_to_list or as_id is None:
            return refunds_page(request, who, error=message(exc, who), status_code=status_of(exc))
        return page(request, who, as_id, error=message(exc, who), field=getattr(exc, "field", None),
                    values=data, status_code=status_of(exc))
    target = f"/after-sales/refunds?done={done}" if back_to_list else f"/after-sales/orders/{as_id}?done={done}"
    return RedirectResponse(target, status_code=303)


@router.post("/after-sales/refunds/{refund_id}/confirm", response_class=HTMLResponse)
async def confirm_refund(request: Request, who: Refunder, refund_id: RowId) -> Response:
    data = await form_of(request)
    return _decide(request, who, refund_id, data, lambda s: refunds.confirm_refund(
        s, refund_id, actor=who.actor, can_refund=True), "refund_confirmed")


@router.post("/after-sales/refunds/{refund_id}/reject", response_class=HTMLResponse)
async def reject_refund(request: Request, who: Refunder, refund_id: RowId) -> Response:
    data = await form_of(request)
    return _decide(request, who, refund_id, data, lambda s: refunds.reject_refund(
        s, refund_id, data.get("reason", ""), actor=who.actor, can_refund=True), "refund_rejected")


@router.get("/after-sales/refunds/{refund_id}/proof")
def proof(request: Request, who: Refunder, refund_id: RowId) -> Response:
    """The payment proof as the type its bytes are, to be saved (never rendered in the admin's origin)."""
    with database(request).session() as s:
        found = s.get(refunds.RefundOrder, refund_id)
        kept = refunds.proof(s, found.proof_key) if found is not None and found.proof_key else None
        if kept is None or kept.content_type not in payment.ALLOWED:
            return Response("no payment proof", status_code=404, media_type="text/plain")
        content_type, name = kept.content_type, kept.name
        try:
            data = refunds.proof_bytes(s, kept, request.app.state.settings)
        except blobs.BlobError as exc:
            return Response(f"the payment proof cannot be read just now: {exc}", status_code=503,
                            media_type="text/plain")
    return Response(data, media_type=content_type, headers={
        "Content-Disposition": f'attachment; filename="refund-proof-{name}.{payment.ALLOWED[content_type]}"',
        "X-Content-Type-Options": "nosniff", "Cache-Control": "no-store",
        "Content-Security-Policy": "default-src 'none'; sandbox"})


REFUND_STATES = (refunds.REQUESTED, refunds.CONFIRMED, refunds.REJECTED)


def refunds_page(request: Request, who: Operator, state: str = refunds.REQUESTED, *, error: str | None = None,
                 status_code: int = 200) -> Response:
    state = state if state in (*REFUND_STATES, "all") else refunds.REQUESTED
    with database(request).session() as s:
        found = detail.refund_list(s, state=None if state == "all" else state, prices=who.sees_prices)
    return render(request, "after_sales_refunds.html", {
        "rows": found, "current": state, "states": REFUND_STATES, "error": error,
        "done": DONE.get(str(request.query_params.get("done", "")))}, who=who, status_code=status_code)


@router.get("/after-sales/refunds", response_class=HTMLResponse)
def refunds_list(request: Request, who: Refunder, state: Q = refunds.REQUESTED) -> Response:
    """Refund orders across after-sales orders: requested, confirmed or rejected."""
    return refunds_page(request, who, state)
