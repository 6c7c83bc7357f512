"""Messenger orders for the seller (permission "messenger orders"; setting a price also needs
"edit prices", checked by ``sync.messenger.create``): stores and payment methods, the order form,
the two pending lists with their links, approval, and payment confirmation with the slip."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select

from admin.web import actions
from admin.web.auth import Operator, RowId, database, need
from admin.web.pages import render
from sync import blobs
from sync import messenger as m
from sync import messenger_delivery as delivery
from sync import messenger_fields as fields
from sync import messenger_lines as lines_
from sync import messenger_links as links
from sync import messenger_payment as payment
from sync import payment_confirmation as confirmation
from sync.accounts import Permission
from sync.customer_list import list_customers
from sync.fields import FieldError, check_link_hours
from sync.messenger_models import MessengerOrder, PaymentMethod
from sync.models import Channel
from sync.review import ReviewError
from sync.typed import digits

router = APIRouter()
Seller = Annotated[Operator, Depends(need(Permission.MESSENGER_ORDERS))]
MAX_LINES = 50


def _page(request: Request, who: Operator, *, error: str | None = None, done: str | None = None,
          link: links.Made | None = None, values: dict[str, Any] | None = None, found: dict[str, Any] | None = None,
          status_code: int = 200, bad: str | None = None) -> Response:
    """``bad``: the new-order form's field the error is about, marked."""
    with database(request).session() as s:
        stores = list(s.scalars(select(Channel).where(Channel.kind == m.KIND).order_by(Channel.name)))
        context = {
            "stores": [c.name for c in stores],
            "store_rows": [{"id": c.id, "name": c.name, "link_hours": _hours_text((c.settings or {}).get("link_hours")),
                            "currency": (c.settings or {}).get("currency") or m.DEFAULT_CURRENCY}
                           for c in stores],
            "default_link_hours": _hours_text(request.app.state.settings.messenger_link_hours),
            "methods": [{"name": p.name, "instructions": p.instructions, "needs_proof": p.needs_proof}
                        for p in s.scalars(select(PaymentMethod).order_by(PaymentMethod.id))],
            "add_info": [_row(o, mo) for o, mo in m.pending(s, m.ADD_INFO)],
            "to_approve": [_row(o, mo) for o, mo in m.pending(s, m.TO_APPROVE)],
            "to_confirm": [_confirm_row(o, c, mo) for o, c, mo in payment.awaiting_confirmation(s)],
            "voided": [_row(o, mo) for o, mo in m.pending(s, m.VOIDED, limit=50)],
            "to_ship": [_row(o, mo) for o, mo in delivery.to_ship(s)],
            "warehouses": delivery.our_warehouses(s),
        }
    context.update(error=error, done=done, link=_link_url(request, link.token) if link else None,
                   link_expires=f"{link.expires_at:%Y-%m-%d %H:%M} UTC" if link else None,
                   values=values or {}, found=found or {}, bad=bad,
                   may_price=who.can(Permission.EDIT_PRICES))
    return render(request, "messenger.html", context, who=who, status_code=status_code)


def _hours_text(hours: float | None) -> str:
    return "" if hours is None else f"{hours:g}"


def _confirm_row(order: Any, confirmation: Any, mo: Any) -> dict[str, Any]:
    """Messenger and channel orders alike: a channel order has no slip (its buyer paid the shop)."""
    if mo is not None:
        return _row(order, mo)
    return {**_row(order, None), "payment": confirmation.state, "reason": confirmation.reason,
            "method": confirmation.method}


def _row(order: Any, mo: Any) -> dict[str, Any]:
    address = order.shipping_address or {}
    return {"id": order.id, "number": order.number, "status": order.status, "total": order.total,
            "currency": order.currency, "buyer": " ".join(filter(None, (address.get("first_name"),
                                                                        address.get("last_name")))),
            "state": mo.state if mo else "", "payment": mo.payment_state if mo else "",
            "reason": (mo.void_reason or mo.payment_reason) if mo else "", "messenger": mo is not None,
            "method": "", "submitted": mo is not None and mo.submitted_at is not None,
            "self_delivery": mo is not None and mo.logistics == m.SELF_DELIVERY}


async def _form(request: Request) -> dict[str, str]:
    return {k: str(v) for k, v in (await request.form()).items() if isinstance(v, str)}


def _link_url(request: Request, token: str) -> str:
    return str(request.base_url).rstrip("/") + f"/m/{token}"


@router.get("/messenger", response_class=HTMLResponse)
def messenger_page(request: Request, who: Seller, done: str | None = None, buyer: str = "",
                   product: str = "") -> Response:
    """``buyer``: customers by name, phone, code, order, tracking or package number; ``product``:
    catalogue entries by SKU, GTIN or title, to fill the order form from."""
    with database(request).session() as s:
        buyers = [{"code": c.customer_code, "name": c.name, "phone": c.phone}
                  for c in list_customers(s, buyer[:100], limit=20)] if buyer.strip() else []
        products = lines_.search_products(s, product)
    return _page(request, who, done=done[:200] if done else None,
                 found={"buyer": buyer[:100], "buyers": buyers, "product": product[:100], "products": products})


def _link_hours(data: dict[str, str]) -> dict[str, Any]:
    """The store's link lifetime as typed: empty means the installation's."""
    text = data.get("link_hours", "").strip()
    if not text:
        return {"link_hours": None}
    try:
        return {"link_hours": check_link_hours(float(text[:20]))}
    except ValueError:
        raise FieldError(f"link hours: {text[:20]!r} is not a number of hours", field="link_hours") from None


@router.get("/messenger/products", response_class=HTMLResponse)
def find_products(request: Request, who: Seller, product: str = "") -> Response:
    """The product search's results alone (htmx), each to tick into the order form."""
    with database(request).session() as s:
        products = lines_.search_products(s, product)
    return render(request, "_messenger_products.html", {"found": {"product": product[:100], "products": products}},
                  who=who)


@router.post("/messenger/stores", response_class=HTMLResponse)
async def add_store(request: Request, who: Seller) -> Response:
    data = await _form(request)
    return _act(request, who, lambda s: m.add_store(
        s, data.get("name", ""), {k: v for k, v in _link_hours(data).items() if v is not None},
        data.get("currency") or "EUR"), "store added", values=data)


@router.post("/messenger/stores/{store_id}/settings", response_class=HTMLResponse)
async def edit_store(request: Request, who: Seller, store_id: RowId) -> Response:
    data = await _form(request)

    def change(s: Any) -> None:
        store = s.get(Channel, store_id)
        if store is None or store.kind != m.KIND:
            raise m.MessengerError(f"store: no messenger store {store_id}", field="store")
        m.edit_store(s, store.name, _link_hours(data))

    return _act(request, who, change, "store settings saved",
                values={"edit_store": store_id, "edit_link_hours": data.get("link_hours", "")})


@router.post("/messenger/payment-methods", response_class=HTMLResponse)
async def add_method(request: Request, who: Seller) -> Response:
    data = await _form(request)
    return _act(request, who, lambda s: m.add_payment_method(
        s, data.get("name", ""), data.get("instructions", ""), needs_proof=data.get("needs_proof") == "on"),
        "payment method added")


def form_lines(data: dict[str, str]) -> list[m.LineInput]:
    """The form's numbered lines (``sku_0``, ``quantity_0``, ``unit_price_0``, ``weight_0``...)."""
    found = []
    for i in range(MAX_LINES):
        sku = data.get(f"sku_{i}", "").strip()
        if not sku:
            continue
        try:
            found.append(_line(sku, data.get(f"quantity_{i}", "1"), data.get(f"unit_price_{i}", ""),
                               data.get(f"weight_{i}", ""), data.get("use_last_price") == "on",
                               field=f"quantity_{i}"))
        except m.MessengerError as exc:
            if exc.field in ("weight", "unit_price"):  # the line's own input is the one to mark
                exc.field = f"{exc.field}_{i}"
            raise
    return found


def _line(sku: str, quantity: str, price: str, weight: str, last: bool, *, field: str) -> m.LineInput:
    quantity = quantity.strip() or "1"
    if not digits(quantity) or len(quantity) > 6:
        raise m.MessengerError(f"quantity of {sku[:40]}: a whole number from 1", field=field)
    price = price.strip()
    return m.LineInput(sku, int(quantity), unit_price=Decimal(price) if _amount(price) else None,
                       use_last_price=last, weight=fields.weight(weight, sku))


def _all_lines(request: Request, data: dict[str, str]) -> list[m.LineInput]:
    """The typed lines, the products ticked in the search, and the pasted list: a list line that
    cannot be read or names an unknown SKU refuses the whole form (the list is kept as typed)."""
    found = form_lines(data)
    last = data.get("use_last_price") == "on"
    for key, value in data.items():
        if key.startswith("pick_") and not key.startswith("pick_qty_") and value == "on":
            sku = key[len("pick_"):]
            found.append(_line(sku, data.get(f"pick_qty_{sku}", "1"), "", "", last, field="products"))
    bulk_text = data.get("bulk", "")
    if bulk_text.strip():
        with database(request).session() as s:
            bulk = lines_.read_bulk(s, bulk_text)
        if bulk.refused:
            raise m.MessengerError("bulk: not added, fix or remove them: " + "; ".join(bulk.refused[:20]),
                                   field="bulk")
        found += [m.LineInput(sku, quantity, use_last_price=last) for sku, quantity in bulk.lines]
    return found  # the same SKU twice is one line (sync.messenger.one_per_sku)


def _amount(text: str) -> bool:
    if not text:
        return False
    try:
        Decimal(text)
    except ArithmeticError:
        raise m.MessengerError(f"unit price: {text[:20]!r} is not an amount", field="unit_price") from None
    return True


@router.post("/messenger/orders", response_class=HTMLResponse)
async def create_order(request: Request, who: Seller) -> Response:
    data = await _form(request)
    buyer = {k: data.get(k, "") for k in m.BUYER_FIELDS}
    new_buyer = {"first_name": data["new_buyer"]} if data.get("new_buyer", "").strip() else None
    try:
        with database(request).session() as s:
            order_id = m.create(
                s, store=data.get("store", ""), lines=_all_lines(request, data), actor=who.actor,
                can_edit_prices=who.can(Permission.EDIT_PRICES), customer=data.get("customer") or None,
                new_buyer=new_buyer, buyer=buyer, payment_method_name=data.get("payment_method") or None,
                currency=data.get("currency") or None, for_approval=data.get("save_as") == m.TO_APPROVE,
                logistics=data.get("logistics") or m.SUPPLIER, warehouse=data.get("warehouse") or None)
    except (FieldError, ReviewError) as exc:
        return _page(request, who, error=str(exc), values=data, found=_picked(request, data), status_code=400,
                     bad=getattr(exc, "field", None))
    return _page(request, who, done=f"order {order_id} saved")


def _picked(request: Request, data: dict[str, str]) -> dict[str, Any]:
    """The products ticked in the search, shown again (still ticked) beside a refused form."""
    skus = [k[len("pick_"):] for k, v in data.items() if k.startswith("pick_") and not k.startswith("pick_qty_")
            and v == "on"][:MAX_LINES]
    with database(request).session() as s:
        found = [p for sku in skus for p in lines_.search_products(s, sku) if p.sku == sku]
    return {"product": "", "products": found}


def _act(request: Request, who: Operator, action: Any, done: str, *, link: bool = False,
         values: dict[str, Any] | None = None) -> Response:
    try:
        with database(request).session() as s:
            result = action(s)
    except (FieldError, ReviewError) as exc:
        return _page(request, who, error=str(exc), values=values,
                     status_code=409 if isinstance(exc, m.LostRace) else 400)
    if link:
        return _page(request, who, done=done, link=result)
    return RedirectResponse(f"/messenger?done={done.replace(' ', '+')}", status_code=303)


@router.post("/messenger/orders/{order_id}/link", response_class=HTMLResponse)
def make_link(request: Request, who: Seller, order_id: RowId) -> Response:
    settings = request.app.state.settings
    return _act(request, who, lambda s: links.make_link(s, order_id, actor=who.actor, settings=settings),
                f"link made for order {order_id} (shown once)", link=True)


@router.post("/messenger/orders/{order_id}/revoke", response_class=HTMLResponse)
def revoke_link(request: Request, who: Seller, order_id: RowId) -> Response:
    return _act(request, who, lambda s: links.revoke(s, order_id, actor=who.actor), "link revoked")


@router.post("/messenger/orders/{order_id}/approve", response_class=HTMLResponse)
def approve(request: Request, who: Seller, order_id: RowId) -> Response:
    forward = request.app.state.forward
    response = _act(request, who, lambda s: m.approve(s, order_id, actor=who.actor), "order approved")
    _forward_if_ready(request, order_id, forward)
    return response


def _forward_if_ready(request: Request, order_id: int, forward: Any) -> None:
    from sync.models import Order

    with database(request).session() as s:
        order = s.get(Order, order_id)
        ready = order is not None and order.status == "ready"
    if ready:
        forward([order_id])


@router.post("/messenger/orders/{order_id}/disapprove", response_class=HTMLResponse)
async def disapprove(request: Request, who: Seller, order_id: RowId) -> Response:
    reason = (await _form(request)).get("reason", "")
    return _act(request, who, lambda s: m.disapprove(s, order_id, reason, actor=who.actor), "order voided")


@router.post("/messenger/orders/{order_id}/cancel", response_class=HTMLResponse)
def cancel(request: Request, who: Seller, order_id: RowId) -> Response:
    return _act(request, who, lambda s: m.cancel(s, order_id, actor=who.actor), "order cancelled")


@router.post("/messenger/orders/{order_id}/confirm-payment", response_class=HTMLResponse)
async def confirm_payment(request: Request, who: Seller, order_id: RowId) -> Response:
    reference = (await _form(request)).get("reference") or None
    done: list[confirmation.Confirmed] = []
    response = _act(request, who, lambda s: done.append(confirmation.confirm(
        s, order_id, actor=who.actor, reference=reference, mark_paid=_is_messenger(s, order_id))),
                    "payment confirmed")
    if done:
        actions.after_confirmation(order_id, done[0], request.app.state.forward, request.app.state.payment_confirmed)
    return response


@router.post("/messenger/orders/{order_id}/reject-payment", response_class=HTMLResponse)
async def reject_payment(request: Request, who: Seller, order_id: RowId) -> Response:
    reason = (await _form(request)).get("reason", "")
    return _act(request, who, lambda s: confirmation.reject(s, order_id, reason, actor=who.actor), "payment rejected")


def _is_messenger(session: Any, order_id: int) -> bool:
    return session.get(MessengerOrder, order_id) is not None


@router.get("/messenger/orders/{order_id}/slip")
def slip(request: Request, who: Seller, order_id: RowId) -> Response:
    """The newest slip, as the type its bytes are, to be saved (never rendered in the admin's origin)."""
    with database(request).session() as s:
        found = payment.latest_slip(s, order_id)
        if found is None:
            return Response("no slip", status_code=404, media_type="text/plain")
        content_type, name = found.content_type, found.name
        try:
            data = payment.slip_bytes(s, found, request.app.state.settings)
        except blobs.BlobError as exc:
            return Response(f"the slip cannot be read just now: {exc}", status_code=503, media_type="text/plain")
    if content_type not in payment.ALLOWED:
        return Response("no slip", status_code=404, media_type="text/plain")
    return Response(data, media_type=content_type, headers={
        "Content-Disposition": f'attachment; filename="slip-{name}.{payment.ALLOWED[content_type]}"',
        "X-Content-Type-Options": "nosniff", "Cache-Control": "no-store",
        "Content-Security-Policy": "default-src 'none'; sandbox"})
