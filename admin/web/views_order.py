"""One order: its page, and the actions on it. An action that fails (bad input, or another
operator or a worker got there first) shows the page again with the reason and what was typed."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from admin.web import actions, after_sales_detail, detail, forms
from admin.web.auth import Operator, RowId, database, need
from admin.web.pages import render
from sync.accounts import Permission
from sync.models import Order
from sync.states import SETTLED

router = APIRouter()
Reviewer = Annotated[Operator, Depends(need(Permission.REVIEW_ORDERS))]
Editor = Annotated[Operator, Depends(need(Permission.EDIT_ORDERS))]

#: what a redirect after a successful action says (a fixed set: nothing from the URL is echoed)
DONE = {
    "address": "Delivery address saved. Resubmit the order to check it again and send it.",
    "carrier": "Shipping method saved.",
    "resubmitted": "Order checked again.",
    "sent": "Marked as sent manually. Tracking will follow from the supplier.",
    "cancelled": "Order cancelled.",
    "mapped": "SKU mapped to the supplier product. Resubmit the order to check it again and send it.",
    "payment-confirmed": "Payment confirmed: the order goes on.",
    "payment-rejected": "Payment rejected: the order keeps waiting. Confirm it later, or cancel the order.",
}
#: confirming a payment is the seller's, as for messenger orders
Seller = Annotated[Operator, Depends(need(Permission.MESSENGER_ORDERS))]


def _page(request: Request, who: Operator, order_id: RowId, *, status_code: int = 200, **extra: Any) -> Response:
    with database(request).session() as session:
        view = detail.load(session, order_id, prices=who.sees_prices)
        after_sales = after_sales_detail.for_order(session, order_id, prices=who.sees_prices)
    if view is None:
        return render(request, "error.html", {"title": "No such order",
                                              "message": f"There is no order {order_id}."}, who=who, status_code=404)
    context: dict[str, Any] = {"v": view, "o": view.order, "settled": view.order["status"] in SETTLED,
                               "fields": detail.ADDRESS_FIELDS, "labels": detail.LABELS,
                               "values": view.address, "errors": {}, "error": None, "edit_open": False,
                               "after_sales": after_sales,
                               "done": DONE.get(str(request.query_params.get("done", ""))), **extra}
    return render(request, "order.html", context, who=who, status_code=status_code)


@router.get("/orders/{order_id}", response_class=HTMLResponse)
def order_page(request: Request, order_id: RowId, who: Reviewer) -> Response:
    return _page(request, who, order_id)


@router.get("/orders/{order_id}/status", response_class=HTMLResponse)
def order_status(request: Request, order_id: RowId, who: Reviewer, was: str = "") -> Response:
    """Polled by the page while a worker sends the order: the state, until it settles; then the
    whole page is loaded again (supplier orders, issues and history changed with it)."""
    with database(request).session() as session:
        view = detail.load(session, order_id, prices=who.sees_prices)
    if view is None:
        return Response(status_code=404)
    settled = view.order["status"] in SETTLED
    answer = render(request, "_status.html", {"o": view.order, "settled": settled}, who=who)
    if settled and was and was != view.order["status"]:
        answer.headers["HX-Refresh"] = "true"
    return answer


def _done(order_id: RowId, what: str) -> Response:
    return RedirectResponse(f"/orders/{order_id}?done={what}", status_code=303)


@router.post("/orders/{order_id}/address", response_class=HTMLResponse)
async def edit_address(request: Request, order_id: RowId, who: Editor) -> Response:
    posted = await request.form()
    data = {k: str(v) for k, v in posted.items() if k in detail.ADDRESS_FIELDS}
    # the address the form was made from (absent: a client that does not say, the edit is not checked)
    seen = str(posted.get("seen") or "") or None
    form, errors = forms.read(forms.AddressForm, data)
    if form is not None:
        try:
            await run_in_threadpool(actions.edit_address, database(request), order_id,
                                    form.model_dump(), who.actor, seen)
            return _done(order_id, "address")
        except actions.ActionFailed as exc:
            if exc.lost_race:  # what was typed is kept, on the order as it is now: saving again is a choice
                return _page(request, who, order_id, status_code=409, values=data,
                             errors={"form": str(exc), **_now_different(request, order_id, data)}, edit_open=True,
                             error=f"The delivery address was not saved: {exc}")
            errors = {exc.field or "form": str(exc)}
    return _page(request, who, order_id, status_code=400, values={**data, "seen": seen or ""}, errors=errors,
                 edit_open=True, error="The delivery address was not saved: correct the marked fields.")


def _now_different(request: Request, order_id: int, typed: dict[str, str]) -> dict[str, str]:
    """The fields whose stored value is not what the refused form holds: saving it again would put
    these back, so each is marked with what it is now (another operator's fix is not lost unseen)."""
    with database(request).session() as session:
        order = session.get(Order, order_id)
        now = dict(order.shipping_address or {}) if order is not None else {}
    return {f: f"now: {now.get(f) or '(empty)'}" for f, value in typed.items()
            if (value.strip() or None) != (now.get(f) or None)}


@router.post("/orders/{order_id}/carrier", response_class=HTMLResponse)
async def set_carrier(request: Request, order_id: RowId, who: Editor) -> Response:
    form, errors = forms.read(forms.CarrierForm, dict(await request.form()))
    if form is None:
        return _page(request, who, order_id, status_code=400, error="Shipping method: " + "; ".join(errors.values()))
    seen = (await request.form()).get("carrier_seen")
    try:
        await run_in_threadpool(actions.set_carrier, database(request), order_id, form.carrier, who.actor,
                                request.app.state.supplier_for, None if seen is None else str(seen))
    except actions.ActionFailed as exc:
        return _page(request, who, order_id, status_code=409, error=str(exc))
    return _done(order_id, "carrier")


@router.post("/orders/{order_id}/resubmit", response_class=HTMLResponse)
async def resubmit(request: Request, order_id: RowId,
                   who: Annotated[Operator, Depends(need(Permission.RESUBMIT))]) -> Response:
    outcomes = await run_in_threadpool(actions.resubmit, database(request), [order_id], who.actor,
                                       request.app.state.forward)
    if not outcomes[0].ok and "still pending review" not in outcomes[0].message:
        return _page(request, who, order_id, status_code=409, error=outcomes[0].message)
    return _done(order_id, "resubmitted")


@router.post("/orders/{order_id}/mark-sent", response_class=HTMLResponse)
async def mark_sent(request: Request, order_id: RowId,
                    who: Annotated[Operator, Depends(need(Permission.MARK_SENT_MANUALLY))]) -> Response:
    data = dict(await request.form())
    form, errors = forms.read(forms.MarkSentForm, data)
    if form is not None:
        try:
            await run_in_threadpool(actions.mark_sent_manually, database(request), order_id, form.reference,
                                    who.actor)
            return _done(order_id, "sent")
        except actions.ActionFailed as exc:
            errors = {"reference": str(exc)}
    return _page(request, who, order_id, status_code=400, reference=str(data.get("reference", "")),
                 reference_error=errors.get("reference", "required"),
                 error="Not marked as sent: " + errors.get("reference", "give the supplier's reference") + ".")


@router.post("/orders/{order_id}/cancel", response_class=HTMLResponse)
async def cancel(request: Request, order_id: RowId,
                 who: Annotated[Operator, Depends(need(Permission.CANCEL))]) -> Response:
    try:
        await run_in_threadpool(actions.cancel, database(request), order_id, who.actor)
    except actions.ActionFailed as exc:
        return _page(request, who, order_id, status_code=409, error=str(exc))
    return _done(order_id, "cancelled")


@router.post("/orders/{order_id}/confirm-payment", response_class=HTMLResponse)
async def confirm_payment(request: Request, order_id: RowId, who: Seller) -> Response:
    reference = str((await request.form()).get("reference", ""))[:200]
    try:
        done = await run_in_threadpool(actions.confirm_payment, database(request), order_id, reference, who.actor)
    except actions.ActionFailed as exc:
        return _page(request, who, order_id, status_code=409 if exc.lost_race else 400, error=str(exc),
                     payment_reference=reference, payment_error=exc.field)
    await run_in_threadpool(actions.after_confirmation, order_id, done, request.app.state.forward,
                            request.app.state.payment_confirmed)
    return _done(order_id, "payment-confirmed")


@router.post("/orders/{order_id}/reject-payment", response_class=HTMLResponse)
async def reject_payment(request: Request, order_id: RowId, who: Seller) -> Response:
    reason = str((await request.form()).get("reason", ""))[:500]
    try:
        await run_in_threadpool(actions.reject_payment, database(request), order_id, reason, who.actor)
    except actions.ActionFailed as exc:
        return _page(request, who, order_id, status_code=409 if exc.lost_race else 400, error=str(exc),
                     payment_reason=reason, payment_error=exc.field)
    return _done(order_id, "payment-rejected")


Cataloguer = Annotated[Operator, Depends(need(Permission.MANAGE_CATALOGUE))]


@router.get("/catalogue/search", response_class=HTMLResponse)
def search_products(request: Request, who: Cataloguer, supplier_sku: str = "") -> Response:
    """The supplier products matching what is typed (SKU or title), as the options of the mapping
    form's list."""
    found = actions.search_products(database(request), supplier_sku[:100]) if supplier_sku.strip() else []
    return render(request, "_products.html", {"products": found}, who=who)


@router.post("/orders/{order_id}/map-sku", response_class=HTMLResponse)
async def map_sku(request: Request, order_id: RowId, who: Cataloguer) -> Response:
    form = await request.form()
    sku, supplier_sku = str(form.get("sku", "")), str(form.get("supplier_sku", ""))
    try:
        await run_in_threadpool(actions.map_sku, database(request), sku, supplier_sku)
    except actions.ActionFailed as exc:
        return _page(request, who, order_id, status_code=409, error=f"SKU {sku} not mapped: {exc}")
    return _done(order_id, "mapped")
