"""The buyer's page of a messenger order, reached only by its link: no session, the token is the
only credential. An unknown, revoked or expired token gets the same neutral page (same status,
same body). The form carries a token signed for this link (a forged page cannot post it), the
upload is read up to the slip's cap and typed by its bytes, and each address is rate-limited
(``admin.web.address_limits``: shared by every instance through Redis when one is configured)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.datastructures import UploadFile

from admin.web.address_limits import Limiter, retry_after
from admin.web.auth import database
from admin.web.pages import templates
from sync import messenger as m
from sync import messenger_links as links
from sync import messenger_payment as payment
from sync.messenger_models import PaymentMethod
from sync.models import Order
from sync.typed import row_id

router = APIRouter()
FORM_MAX_AGE = 24 * 3600
STEPS = {"waiting_for_approval": "Waiting for the seller's approval", "payment_pending": "Payment pending",
         "payment_rejected": "Payment not accepted", "payment_confirmed": "Payment confirmed",
         "approved": "Approved", "shipped": "Shipped", "cancelled": "Cancelled"}


def _signer(request: Request) -> URLSafeTimedSerializer:
    signer: URLSafeTimedSerializer = request.app.state.buyer_form_signer
    return signer


def _limited(request: Request) -> Response | None:
    limiter: Limiter = request.app.state.buyer_limiter
    address = request.client.host if request.client else "unknown"
    wait = limiter.wait_for(address)
    if not wait:
        return None
    return HTMLResponse("Too many requests. Wait a minute and try again.", status_code=429,
                        headers={"Retry-After": retry_after(wait)})


def _page(request: Request, name: str, context: dict[str, Any], status_code: int = 200) -> HTMLResponse:
    response = templates.TemplateResponse(request, name, context, status_code=status_code)
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"  # the token is in the address: never pass it on
    return response


def too_large(request: Request) -> HTMLResponse:
    """A slip past the body's cap (refused before the form is read, so the form cannot come back)."""
    return _page(request, "buyer_too_large.html", {}, status_code=413)


def gone(request: Request) -> HTMLResponse:
    """The one neutral page: it says nothing about whether the link ever existed."""
    return _page(request, "buyer_gone.html", {}, status_code=404)


def _view(request: Request, token: str, *, values: dict[str, str] | None = None,
          errors: dict[str, str] | None = None, status_code: int = 200) -> HTMLResponse:
    with database(request).session() as session:
        link = links.resolve(session, token)
        if link is None:
            return gone(request)
        order = session.get(Order, link.order_id)
        current = m.messenger_order(session, link.order_id)
        assert order is not None
        context: dict[str, Any] = {"order": m.summary(order), "errors": errors or {}}
        if current.submitted_at is not None or current.state not in m.PENDING_STATES:
            shown = links.progress(session, link.order_id)
            context.update(progress=shown, step=STEPS.get(shown["step"], shown["step"]), token=token,
                           form_token=_signer(request).dumps(links.token_hash(token)[:32]),
                           may_upload=current.payment_state == "rejected"
                           and current.state in (*m.PENDING_STATES, m.APPROVED))
            return _page(request, "buyer_progress.html", context, status_code)
        methods = [{"id": p.id, "name": p.name, "instructions": p.instructions, "needs_proof": p.needs_proof}
                   for p in session.query(PaymentMethod).filter(PaymentMethod.enabled.is_(True))
                   .order_by(PaymentMethod.id)]
        address = order.shipping_address or {}
        context.update(methods=methods, fields=m.BUYER_FIELDS,
                       values=values if values is not None else {k: address.get(k) or "" for k in m.BUYER_FIELDS},
                       form_token=_signer(request).dumps(links.token_hash(token)[:32]), token=token)
        return _page(request, "buyer.html", context, status_code)


@router.get("/m/{token}")
def buyer_page(request: Request, token: str) -> Response:
    return _limited(request) or _view(request, token)


@router.post("/m/{token}")
async def buyer_submit(request: Request, token: str) -> Response:
    refused = _limited(request)
    if refused is not None:
        return refused
    with database(request).session() as session:
        if links.resolve(session, token) is None:  # a token that opens nothing: neutral, form or not
            return gone(request)
    form = await request.form()
    if not _signed_for(request, form, token):
        return EXPIRED_FORM()
    values = {k: str(form.get(k) or "")[:300] for k in m.BUYER_FIELDS}
    slip = await _read_slip(form.get("slip"))
    method_text = str(form.get("payment_method") or "")[:20]
    values["payment_method"] = method_text
    method_id = row_id(method_text)
    with database(request).session() as session:
        link = links.resolve(session, token)
        if link is None:
            return gone(request)
        done = links.submit(session, link, values, method_id, slip, request.app.state.settings)
    if done.errors:
        return _view(request, token, values=values, errors=done.errors, status_code=400)
    return Response(status_code=303, headers={"Location": f"/m/{token}"})


def _signed_for(request: Request, form: Any, token: str) -> bool:
    try:
        signed = _signer(request).loads(str(form.get("form_token") or ""), max_age=FORM_MAX_AGE)
    except BadSignature:
        return False
    return bool(signed == links.token_hash(token)[:32])


def EXPIRED_FORM() -> HTMLResponse:  # noqa: N802 - one fixed answer
    return HTMLResponse("This form has expired. Reload the page and try again.", status_code=403)


@router.post("/m/{token}/slip")
async def buyer_new_slip(request: Request, token: str) -> Response:
    """Another slip after the seller rejected the payment."""
    refused = _limited(request)
    if refused is not None:
        return refused
    with database(request).session() as session:
        if links.resolve(session, token) is None:
            return gone(request)
    form = await request.form()
    if not _signed_for(request, form, token):
        return EXPIRED_FORM()
    slip = await _read_slip(form.get("slip"))
    with database(request).session() as session:
        link = links.resolve(session, token)
        if link is None:
            return gone(request)
        try:
            payment.upload(session, link.order_id, slip or b"", actor="buyer", only_after_rejection=True,
                           settings=request.app.state.settings)
        except m.MessengerError as exc:
            error = str(exc)
        else:
            error = ""
    if error:
        return _view(request, token, errors={"slip": error}, status_code=400)
    return Response(status_code=303, headers={"Location": f"/m/{token}"})


async def _read_slip(field: Any) -> bytes | None:
    """At most one byte over the cap is read: enough to refuse it."""
    if not isinstance(field, UploadFile):
        return None
    data = await field.read(payment.MAX_SLIP_BYTES + 1)
    return data or None
