"""Messenger orders under ``/api`` (permission "messenger orders"): a self-delivered order shipped
with the carrier and tracking typed by hand, and its lines edited before approval, by the same
code as the pages and the command line."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from admin.web.api import PROBLEMS, Problem, Result
from admin.web.auth import Operator, RowId, database, need
from sync import messenger as m
from sync import messenger_delivery as delivery
from sync import messenger_fields as fields
from sync import messenger_lines as lines_
from sync.accounts import Permission
from sync.fields import FieldError
from sync.review import ReviewError

router = APIRouter(prefix="/api", tags=["messenger"])
Seller = Annotated[Operator, Depends(need(Permission.MESSENGER_ORDERS))]


class Shipped(BaseModel):
    carrier: str = Field(max_length=200)
    tracking: str = Field(max_length=200)


class LineIn(BaseModel):
    sku: str = Field(min_length=1, max_length=100)
    quantity: int = Field(ge=1, le=100000)
    unit_price: str | None = Field(None, max_length=20,
                                   description='an amount; needs "edit prices" when it changes the price')
    weight: str | None = Field(None, max_length=20, description="kilograms per unit")


class Lines(BaseModel):
    revision: int = Field(ge=0, description="the order's revision as last read: an older one loses (409)")
    lines: list[LineIn] = Field(min_length=1, max_length=200)


def _problem(exc: Exception) -> JSONResponse:
    status = 409 if isinstance(exc, m.LostRace) else 422
    return JSONResponse(Problem(detail=str(exc), field=getattr(exc, "field", None)).model_dump(), status_code=status)


def _ship(request: Request, order_id: int, body: Shipped, actor: str) -> None:
    with database(request).session() as s:
        delivery.ship(s, order_id, carrier=body.carrier, tracking=body.tracking, actor=actor)


@router.post("/messenger/orders/{order_id}/ship", response_model=Result, responses=PROBLEMS)
async def ship(request: Request, order_id: RowId, body: Shipped, who: Seller) -> Any:
    """A self-delivered order, approved and paid, is shipped: the buyer's page shows the tracking."""
    try:
        await run_in_threadpool(_ship, request, order_id, body, who.actor)
    except (FieldError, ReviewError) as exc:
        return _problem(exc)
    return Result(order_id=order_id, ok=True, message=f"shipped with {body.carrier.strip()}, "
                                                      f"tracking {body.tracking.strip()}")


def _amount(text: str | None) -> Decimal | None:
    if text is None or not text.strip():
        return None
    try:
        return Decimal(text.strip())
    except ArithmeticError:
        raise m.MessengerError(f"unit price: {text[:20]!r} is not an amount", field="unit_price") from None


def _edit(request: Request, order_id: int, body: Lines, who: Operator) -> int:
    wanted = [m.LineInput(ln.sku, ln.quantity, _amount(ln.unit_price), weight=fields.weight(ln.weight, ln.sku))
              for ln in body.lines]
    with database(request).session() as s:
        return lines_.edit_lines(s, order_id, wanted, seen_revision=body.revision, actor=who.actor,
                                 can_edit_prices=who.can(Permission.EDIT_PRICES))


@router.put("/messenger/orders/{order_id}/lines", response_model=Result, responses=PROBLEMS)
async def edit_lines(request: Request, order_id: RowId, body: Lines, who: Seller) -> Any:
    """The lines of an order waiting to add info or to approve, all at once."""
    try:
        revision = await run_in_threadpool(_edit, request, order_id, body, who)
    except (FieldError, ReviewError) as exc:
        return _problem(exc)
    return Result(order_id=order_id, ok=True, message=f"lines saved (revision {revision})")
