"""One messenger order for the seller (permission "messenger orders"): its lines, edited while it
waits for the buyer or for approval (a changed price also needs "edit prices", checked by
``sync.messenger_lines``), and, once a self-delivered order is approved and paid, its shipment
with the carrier and tracking typed by hand."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select

from admin.web.auth import Operator, RowId, database, need
from admin.web.pages import render
from admin.web.views_messenger import form_lines
from sync import messenger as m
from sync import messenger_delivery as delivery
from sync import messenger_lines as lines_
from sync.accounts import Permission
from sync.fields import FieldError
from sync.models import Order, Shipment
from sync.review import ReviewError
from sync.typed import digits

router = APIRouter()
Seller = Annotated[Operator, Depends(need(Permission.MESSENGER_ORDERS))]
#: empty rows under the order's lines, to add products
NEW_ROWS = 2


def _view(request: Request, who: Operator, order_id: int, *, error: str | None = None, done: str | None = None,
          values: dict[str, Any] | None = None, status_code: int = 200) -> Response:
    with database(request).session() as s:
        order = s.get(Order, order_id)
        if order is None or s.get(m.MessengerOrder, order_id) is None:
            return render(request, "error.html", {"title": "Not found",
                                                  "message": f"order {order_id} is not a messenger order"},
                          who=who, status_code=404)
        mo = m.messenger_order(s, order_id)
        lines = [{"sku": ln.sku, "title": ln.title, "quantity": ln.quantity, "unit_price": ln.unit_price,
                  "weight": ln.weight} for ln in order.lines]
        context = {
            "o": order, "mo": mo, "lines": lines, "warehouse": delivery.warehouse_name(s, mo),
            "weight": lines_.total_weight(order.lines),
            "editable": mo.state in m.PENDING_STATES, "shippable": order.status == "awaiting_shipment",
            "shipments": [{"carrier": sh.carrier, "tracking": sh.tracking_number} for sh in s.scalars(
                select(Shipment).where(Shipment.order_id == order_id).order_by(Shipment.id))],
        }
        page = render(request, "messenger_order.html", {
            **context, "rows": len(lines) + NEW_ROWS, "error": error, "done": done, "values": values,
            "may_price": who.can(Permission.EDIT_PRICES) and who.sees_prices}, who=who, status_code=status_code)
    return page


@router.get("/messenger/orders/{order_id}", response_class=HTMLResponse)
def messenger_order(request: Request, who: Seller, order_id: RowId, done: str | None = None) -> Response:
    return _view(request, who, order_id, done=done[:200] if done else None)


def _refused(request: Request, who: Operator, order_id: int, exc: Exception, data: dict[str, str]) -> Response:
    return _view(request, who, order_id, error=str(exc), values=data,
                 status_code=409 if isinstance(exc, m.LostRace) else 400)


@router.post("/messenger/orders/{order_id}/lines", response_class=HTMLResponse)
async def edit_lines(request: Request, who: Seller, order_id: RowId) -> Response:
    data = {k: str(v) for k, v in (await request.form()).items() if isinstance(v, str)}
    try:
        seen = data.get("revision", "")
        if not digits(seen):
            raise m.MessengerError("revision: open the order again", field="revision")
        kept = {k: v for k, v in data.items() if not _removed(k, data)}
        with database(request).session() as s:
            lines_.edit_lines(s, order_id, form_lines(kept), seen_revision=int(seen), actor=who.actor,
                              can_edit_prices=who.can(Permission.EDIT_PRICES))
    except (FieldError, ReviewError) as exc:
        return _refused(request, who, order_id, exc, data)
    return RedirectResponse(f"/messenger/orders/{order_id}?done=lines+saved", status_code=303)


def _removed(key: str, data: dict[str, str]) -> bool:
    """``sku_3`` and its fields go when ``remove_3`` is ticked."""
    name, _, index = key.rpartition("_")
    return bool(name) and digits(index) and data.get(f"remove_{index}") == "on"


@router.post("/messenger/orders/{order_id}/ship", response_class=HTMLResponse)
async def ship(request: Request, who: Seller, order_id: RowId) -> Response:
    data = {k: str(v) for k, v in (await request.form()).items() if isinstance(v, str)}
    try:
        with database(request).session() as s:
            delivery.ship(s, order_id, carrier=data.get("carrier", ""), tracking=data.get("tracking", ""),
                          actor=who.actor)
    except (FieldError, ReviewError) as exc:
        return _refused(request, who, order_id, exc, data)
    return RedirectResponse(f"/messenger/orders/{order_id}?done=shipped", status_code=303)
