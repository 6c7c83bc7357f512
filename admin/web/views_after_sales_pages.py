"""The after-sales pages beside the lists: the creation form (from an order's page, from a refund
its channel reported, or an offline sale typed in), the stock-in/return page that finds an
after-sales order by the buyer's return tracking number, and the own stock (warehouses, levels,
movements). A refused form comes back with the field marked and what was typed kept."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from admin.web.auth import Operator, RowId, database, need
from admin.web.pages import render
from admin.web.views_after_sales import AMOUNT_TEXT, REFUSED, form_of, message, received_units, status_of
from sync import after_sales as a
from sync import after_sales_rules as r
from sync import stock
from sync.accounts import Permission
from sync.channel_refunds import start_after_sales
from sync.models import Order
from sync.stock_models import Warehouse
from sync.typed import MAX_ID, digits, row_id

router = APIRouter()
Clerk = Annotated[Operator, Depends(need(Permission.MANUAL_AFTER_SALES))]
#: blank rows for added returned items, and for exchange items
ADDED, EXCHANGE_ROWS, MAX_ROWS = 3, 3, 60


def _order_view(s: Session, order_id: int | None, prices: bool) -> dict[str, Any] | None:
    if order_id is None:
        return None
    order = s.get(Order, order_id)
    if order is None:
        return None
    lines = [{"line": i.order_line_id, "sku": i.sku, "title": i.title, "quantity": i.quantity,
              **({"unit_price": f"{i.unit_price:f}"} if prices else {})} for i in a.proposal(s, order_id)]
    return {"id": order.id, "number": order.number, "currency": order.currency, "lines": lines,
            "eligible": r.order_state(s, order) is not None, "status": order.status,
            **({"paid": f"{a.paid(order):f}"} if prices else {})}


def new_page(request: Request, who: Operator, order_id: int | None, *, values: dict[str, str] | None = None,
             error: str | None = None, field: str | None = None, status_code: int = 200) -> Response:
    with database(request).session() as s:
        order = _order_view(s, order_id, who.sees_prices)
        warehouses = list(s.scalars(select(Warehouse.name).where(Warehouse.enabled.is_(True)).order_by(Warehouse.id)))
    if order_id is not None and order is None:
        return render(request, "error.html", {"title": "No such order", "message": f"There is no order {order_id}."},
                      who=who, status_code=404)
    lines = len(order["lines"]) if order else 0
    return render(request, "after_sales_new.html", {
        "o": order, "values": values, "v": values or {}, "error": error, "field": field, "warehouses": warehouses,
        "added": range(lines, lines + ADDED), "exchange_rows": range(EXCHANGE_ROWS),
        "may_price": who.can(Permission.EDIT_PRICES) and who.sees_prices}, who=who, status_code=status_code)


@router.get("/after-sales/new", response_class=HTMLResponse)
def new(request: Request, who: Clerk, order: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None) -> Response:
    """``order``: from that order's page; none: an offline sale typed in."""
    return new_page(request, who, order)


def _amount(text: str, field: str) -> Decimal | None:
    text = text.strip()
    if not text:
        return None
    if not AMOUNT_TEXT.fullmatch(text):
        raise r.AfterSalesError(f"{text[:20]!r} is not an amount", field=field)
    return Decimal(text)


def _quantity(text: str, field: str, sku: str) -> int:
    text = text.strip()
    if not digits(text) or len(text) > 6 or int(text) < 1:
        raise r.AfterSalesError(f"quantity of {sku[:40]}: a whole number from 1", field=field)
    return int(text)


def items_of(data: dict[str, str]) -> list[a.ItemInput]:
    """The returned rows (an order's line counts only while ticked) and the exchange rows."""
    found: list[a.ItemInput] = []
    for n in range(MAX_ROWS):
        sku = data.get(f"sku_{n}", "").strip()
        line = data.get(f"line_{n}", "").strip()
        if not sku or (line and data.get(f"include_{n}") != "on"):
            continue
        found.append(a.ItemInput(sku=sku, quantity=_quantity(data.get(f"quantity_{n}", ""), f"quantity_{n}", sku),
                                 unit_price=_amount(data.get(f"unit_price_{n}", ""), f"unit_price_{n}"),
                                 order_line_id=row_id(line)))
    for n in range(EXCHANGE_ROWS):
        sku = data.get(f"ex_sku_{n}", "").strip()
        if sku:
            found.append(a.ItemInput(sku=sku, kind=a.EXCHANGED,
                                     quantity=_quantity(data.get(f"ex_quantity_{n}", ""), f"ex_quantity_{n}", sku),
                                     unit_price=_amount(data.get(f"ex_unit_price_{n}", ""), f"ex_unit_price_{n}")))
    return found


def _row_field(data: dict[str, str], exc: Exception) -> str | None:
    """The form's input a refusal is about: an item's quantity or price is in the row of its SKU,
    among the exchange rows for an exchanged item, else among the rows sent (an order's line counts
    only while ticked)."""
    field, sku = getattr(exc, "field", None), getattr(exc, "sku", None)
    if field not in ("quantity", "unit_price") or not sku:
        return field
    if getattr(exc, "kind", None) == a.EXCHANGED:
        row = next((n for n in range(EXCHANGE_ROWS) if data.get(f"ex_sku_{n}", "").strip() == sku), None)
        return field if row is None else f"ex_{field}_{row}"
    row = next((n for n in range(MAX_ROWS) if data.get(f"sku_{n}", "").strip() == sku
                and (not data.get(f"line_{n}", "").strip() or data.get(f"include_{n}") == "on")), None)
    return field if row is None else f"{field}_{row}"


def _offline(data: dict[str, str]) -> a.OfflineSale:
    return a.OfflineSale(buyer_name=data.get("buyer_name", ""), currency=data.get("currency", ""),
                         buyer_phone=data.get("buyer_phone", ""), buyer_email=data.get("buyer_email", ""),
                         customer=data.get("customer", "").strip() or None)


@router.post("/after-sales/new", response_class=HTMLResponse)
async def create(request: Request, who: Clerk) -> Response:
    data = await form_of(request)
    order_text = data.get("order", "").strip()
    order_id = row_id(order_text)
    try:
        with database(request).session() as s:
            made = a.create(
                s, kind=data.get("kind", ""), actor=who.actor, can_after_sales=True, items=items_of(data),
                order_id=order_id, offline=None if order_id is not None else _offline(data),
                can_edit_prices=who.can(Permission.EDIT_PRICES),
                return_amount=_amount(data.get("return_amount", ""), "return_amount"),
                warehouse=data.get("warehouse") or None, return_tracking=data.get("return_tracking") or None,
                note=data.get("note", ""))
            target = f"/after-sales/orders/{made.id}?done=created"
    except REFUSED as exc:
        return new_page(request, who, order_id, values=data, error=message(exc, who),
                        field=_row_field(data, exc), status_code=400)
    return RedirectResponse(target, status_code=303)


@router.post("/orders/{order_id}/channel-refunds/start", response_class=HTMLResponse)
async def from_channel_refund(request: Request, who: Clerk, order_id: RowId) -> Response:
    """An after-sales order started from a refund the channel reported (its units and amount)."""
    data = await form_of(request)
    try:
        with database(request).session() as s:
            made = start_after_sales(s, order_id, data.get("refund_id", "")[:100], kind=data.get("kind", ""),
                                     actor=who.actor, can_after_sales=True)
            target = f"/after-sales/orders/{made.id}?done=created"
    except REFUSED as exc:
        from admin.web.views_order import _page as order_page

        return order_page(request, who, order_id, status_code=status_of(exc), error=message(exc, who))
    return RedirectResponse(target, status_code=303)


def stock_in_page(request: Request, who: Operator, tracking: str, *, error: str | None = None,
                  values: dict[str, str] | None = None, status_code: int = 200) -> Response:
    with database(request).session() as s:
        found = [{"id": f.id, "number": f.number, "type": f.kind, "state": f.state, "buyer_name": f.buyer_name,
                  "items": [{"sku": i.sku, "title": i.title, "quantity": i.quantity} for i in f.items
                            if i.kind == a.RETURNED]}
                 for f in a.awaiting_return(s, tracking)] if tracking.strip() else []
        warehouses = list(s.scalars(select(Warehouse.name).where(Warehouse.enabled.is_(True)).order_by(Warehouse.id)))
    return render(request, "after_sales_stock_in.html", {
        "tracking": tracking, "found": found, "warehouses": warehouses, "error": error, "v": values or {}},
        who=who, status_code=status_code)


@router.get("/after-sales/stock-in", response_class=HTMLResponse)
def stock_in_find(request: Request, who: Clerk, tracking: Annotated[str, Query(max_length=100)] = "") -> Response:
    """The returned parcel in hand: its tracking number finds the after-sales order waiting for it."""
    return stock_in_page(request, who, tracking)


@router.post("/after-sales/stock-in", response_class=HTMLResponse)
async def stock_in(request: Request, who: Clerk) -> Response:
    data = await form_of(request)
    tracking = data.get("tracking", "")[:100]
    try:
        with database(request).session() as s:
            done = a.stock_in_by_tracking(s, tracking, actor=who.actor, can_after_sales=True,
                                          received=received_units(data), warehouse=data.get("warehouse") or None)
            target = f"/after-sales/orders/{done.id}?done=stocked"
    except REFUSED as exc:
        return stock_in_page(request, who, tracking, error=message(exc, who), values=data,
                             status_code=status_of(exc))
    return RedirectResponse(target, status_code=303)


def stock_page(request: Request, who: Operator, *, error: str | None = None, name: str = "",
               status_code: int = 200) -> Response:
    with database(request).session() as s:
        places = [{"id": w.id, "name": w.name, "enabled": w.enabled, "levels": stock.levels(s, w.id)}
                  for w in s.scalars(select(Warehouse).order_by(Warehouse.id))]
        names = {p["id"]: p["name"] for p in places}
        moves = [{"at": m.at, "warehouse": names.get(m.warehouse_id, ""), "sku": m.sku, "quantity": m.quantity,
                  "reason": m.reason, "actor": m.actor, "reference": m.reference, "order_id": m.order_id}
                 for m in stock.movements(s, limit=100)]
    return render(request, "stock.html", {"places": places, "moves": moves, "error": error, "name": name},
                  who=who, status_code=status_code)


@router.get("/stock", response_class=HTMLResponse)
def stock_levels(request: Request, who: Clerk) -> Response:
    return stock_page(request, who)


@router.post("/stock/warehouses", response_class=HTMLResponse)
async def add_warehouse(request: Request, who: Clerk) -> Response:
    name = (await form_of(request)).get("name", "")
    try:
        with database(request).session() as s:
            stock.add_warehouse(s, name)
    except REFUSED as exc:
        return stock_page(request, who, error=message(exc, who), name=name[:100], status_code=400)
    return RedirectResponse("/stock", status_code=303)
