"""The JSON API under ``/api``: the admin's order actions for scripts, authenticated with a
token (``Authorization: Bearer ...``, made on the account page) or the browser's session. The
same permissions apply; amounts are left out for an account without "view prices"."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from admin.web import actions, detail, forms, listing
from admin.web.auth import Operator, RowId, database, need
from admin.web.views_orders import filters_from
from admin.web.words import hide_amounts
from sync import messenger as m
from sync import messenger_links as links
from sync.accounts import Permission

router = APIRouter(prefix="/api", tags=["orders"])
Reviewer = Annotated[Operator, Depends(need(Permission.REVIEW_ORDERS))]
Q = Annotated[str | None, Query(max_length=200)]


class Problem(BaseModel):
    detail: str
    field: str | None = None


class Reason(BaseModel):
    code: str
    message: str


class OrderSummary(BaseModel):
    id: int
    channel: str
    number: str
    buyer: str
    status: str
    since: datetime
    reasons: list[Reason]
    total: Decimal | None = None
    currency: str | None = None


class OrderList(BaseModel):
    orders: list[OrderSummary]
    #: pass as ``after`` for the next page; absent on the last page
    next_after: str | None = None


class Count(BaseModel):
    pending_review: int


class Result(BaseModel):
    order_id: RowId
    ok: bool
    message: str


class MarkSent(BaseModel):
    reference: str = Field(min_length=1, max_length=64)


class ConfirmPayment(BaseModel):
    #: the payment's transaction reference: it confirms one order only
    reference: str | None = Field(None, max_length=100)


class RejectPayment(BaseModel):
    reason: str = Field(min_length=1, max_length=500)


PROBLEMS: dict[int | str, dict[str, Any]] = {409: {"model": Problem}, 422: {"model": Problem}}


def _problem(status: int, message: str, field: str | None = None) -> JSONResponse:
    return JSONResponse(Problem(detail=message, field=field).model_dump(), status_code=status)


@router.get("/orders", response_model=OrderList, response_model_exclude_none=True)
def list_orders(request: Request, who: Reviewer, status: Q = None, channel: Q = None, reason: Q = None,
                age: Q = None, q: Q = None, after: Q = None) -> OrderList:
    f = filters_from(status, channel, reason, age, q, after)
    text = (lambda s: s) if who.sees_prices else hide_amounts
    with database(request).session() as session:
        page = listing.list_orders(session, f, prices=who.sees_prices)
    return OrderList(orders=[OrderSummary(id=r.id, channel=r.channel, number=r.number, buyer=r.buyer, status=r.status,
                                          since=r.since, total=r.total, currency=r.currency,
                                          reasons=[Reason(code=c, message=text(m)) for c, m in r.reasons])
                             for r in page.rows], next_after=page.next_after)


@router.get("/pending-review/count", response_model=Count)
def pending_review_count(request: Request, who: Reviewer) -> Count:
    with database(request).session() as session:
        return Count(pending_review=listing.pending_review_count(session))


@router.get("/orders/{order_id}", responses={404: {"model": Problem}})
def get_order(request: Request, order_id: RowId, who: Reviewer) -> Any:
    with database(request).session() as session:
        view = detail.load(session, order_id, prices=who.sees_prices)
    if view is None:
        return _problem(404, f"there is no order {order_id}")
    data = {**view.order, "address": view.address, "lines": view.lines, "issues": view.issues,
            "supplier_orders": view.supplier_orders, "shipments": view.shipments, "history": view.history,
            "payment_confirmation": view.payment}
    # the order's content as read: ``If-Match`` of an address edit (PUT /orders/{id}/address)
    return JSONResponse(jsonable_encoder(data, custom_encoder={Decimal: str}),  # money stays exact
                        headers={"ETag": f'"{view.order["content_fingerprint"]}"'})


@router.post("/orders/{order_id}/resubmit", response_model=Result, responses=PROBLEMS)
async def resubmit(request: Request, order_id: RowId,
                   who: Annotated[Operator, Depends(need(Permission.RESUBMIT))]) -> Any:
    [outcome] = await run_in_threadpool(actions.resubmit, database(request), [order_id], who.actor,
                                        request.app.state.forward)
    message = outcome.message if who.sees_prices else hide_amounts(outcome.message)
    if not outcome.ok and "still pending review" not in message:
        return _problem(409, message)
    return Result(order_id=order_id, ok=outcome.ok, message=message)


@router.post("/orders/{order_id}/mark-sent", response_model=Result, responses=PROBLEMS)
async def mark_sent(request: Request, order_id: RowId, body: MarkSent,
                    who: Annotated[Operator, Depends(need(Permission.MARK_SENT_MANUALLY))]) -> Any:
    try:
        await run_in_threadpool(actions.mark_sent_manually, database(request), order_id, body.reference, who.actor)
    except actions.ActionFailed as exc:
        return _problem(409, str(exc), exc.field)
    return Result(order_id=order_id, ok=True, message=f"sent manually, reference {body.reference}")


@router.post("/orders/{order_id}/cancel", response_model=Result, responses=PROBLEMS)
async def cancel(request: Request, order_id: RowId,
                 who: Annotated[Operator, Depends(need(Permission.CANCEL))]) -> Any:
    try:
        await run_in_threadpool(actions.cancel, database(request), order_id, who.actor)
    except actions.ActionFailed as exc:
        return _problem(409, str(exc), exc.field)
    return Result(order_id=order_id, ok=True, message="cancelled")


@router.put("/orders/{order_id}/address", response_model=Result, responses={**PROBLEMS, 412: {"model": Problem}})
async def edit_address(request: Request, order_id: RowId, body: dict[str, str | None],
                       who: Annotated[Operator, Depends(need(Permission.EDIT_ORDERS))],
                       if_match: Annotated[str | None, Header(max_length=200)] = None) -> Any:
    """Replaces the whole delivery address (a field left out is emptied), as the page's form does.
    ``If-Match``: the order's ``ETag`` (its ``content_fingerprint``) as read (``GET /api/orders/{id}``);
    when the address or the lines changed since, nothing is saved (412) instead of another edit being
    lost. ``*`` or no header: not checked."""
    form, errors = forms.read(forms.AddressForm, body)
    if form is None:
        field, message = next(iter(errors.items()))
        return _problem(422, f"{field}: {message}", field)
    try:
        await run_in_threadpool(actions.edit_address, database(request), order_id, form.model_dump(), who.actor,
                                _entity_tag(if_match))
    except actions.ActionFailed as exc:
        if exc.lost_race and _entity_tag(if_match) is not None:
            return _problem(412, str(exc), exc.field)
        return _problem(409, str(exc), exc.field)
    return Result(order_id=order_id, ok=True, message="delivery address saved; resubmit to send it")


def _entity_tag(header: str | None) -> str | None:
    """The tag an ``If-Match`` names (weak or strong; the first of a list), None for none or ``*``."""
    first = (header or "").split(",")[0].strip().removeprefix("W/").strip('"')
    return None if first in ("", "*") else first


class LinkMade(BaseModel):
    order_id: RowId
    #: the buyer's link, shown once (only its hash is kept)
    url: str
    expires_at: datetime


def _made_link(request: Request, order_id: int, hours: float | None, actor: str) -> links.Made:
    with database(request).session() as session:
        return links.make_link(session, order_id, actor=actor, hours=hours, settings=request.app.state.settings)


@router.post("/messenger/orders/{order_id}/link", response_model=LinkMade, responses=PROBLEMS, tags=["messenger"])
async def make_messenger_link(request: Request, order_id: RowId,
                              who: Annotated[Operator, Depends(need(Permission.MESSENGER_ORDERS))],
                              hours: Annotated[float | None, Query()] = None) -> Any:
    """A new link for a waiting messenger order (earlier links stop working). It works ``hours``
    (1 to 2160) when given, else as long as its store's ``link_hours``, else the installation's."""
    try:
        made = await run_in_threadpool(_made_link, request, order_id, hours, who.actor)
    except m.MessengerError as exc:
        return _problem(422 if exc.field == "link_hours" else 409, str(exc), exc.field)
    return LinkMade(order_id=order_id, url=str(request.base_url).rstrip("/") + f"/m/{made.token}",
                    expires_at=made.expires_at)


Seller = Annotated[Operator, Depends(need(Permission.MESSENGER_ORDERS))]


@router.post("/orders/{order_id}/confirm-payment", response_model=Result, responses=PROBLEMS)
async def confirm_payment(request: Request, order_id: RowId, body: ConfirmPayment, who: Seller) -> Any:
    """Idempotent: an order confirmed already answers ok with nothing changed."""
    try:
        done = await run_in_threadpool(actions.confirm_payment, database(request), order_id, body.reference or "",
                                       who.actor)
    except actions.ActionFailed as exc:
        return _problem(409, str(exc), exc.field)
    await run_in_threadpool(actions.after_confirmation, order_id, done, request.app.state.forward,
                            request.app.state.payment_confirmed)
    return Result(order_id=order_id, ok=True,
                  message="payment confirmed" if done.changed else "payment was confirmed already")


@router.post("/orders/{order_id}/reject-payment", response_model=Result, responses=PROBLEMS)
async def reject_payment(request: Request, order_id: RowId, body: RejectPayment, who: Seller) -> Any:
    try:
        await run_in_threadpool(actions.reject_payment, database(request), order_id, body.reason, who.actor)
    except actions.ActionFailed as exc:
        return _problem(409, str(exc), exc.field)
    return Result(order_id=order_id, ok=True, message="payment rejected; the order keeps waiting")
