"""After-sales orders under ``/api``: list, read, create, confirm, stock-in, exchange, and refund
orders created, confirmed and rejected. The same permissions as the pages ("manual after-sales";
refund orders "after-sales refund"; a typed price or return amount "edit prices"), checked again
by ``sync``. Amounts are strings in the currency's minor unit, and only reach an account with
"view prices". A refusal is a ``Problem``: 404 unknown, 409 a lost race or a wrong state, 422 bad
input."""

from __future__ import annotations

import base64
import binascii
from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from admin.web import after_sales_detail as detail
from admin.web.api import Problem
from admin.web.auth import Operator, RowId, database, need
from admin.web.words import hide_amounts
from sync import after_sales as a
from sync import after_sales_exchange as exchange
from sync import after_sales_refunds as refunds
from sync import after_sales_rules as r
from sync.accounts import Permission
from sync.fields import FieldError
from sync.models import MAX_ID
from sync.review import LostRace, ReviewError

router = APIRouter(prefix="/api", tags=["after-sales"])
Clerk = Annotated[Operator, Depends(need(Permission.MANUAL_AFTER_SALES))]
Refunder = Annotated[Operator, Depends(need(Permission.AFTER_SALES_REFUND))]
ANSWERS: dict[int | str, dict[str, Any]] = {code: {"model": Problem} for code in (404, 409, 422)}
AMOUNT = r"^\d{1,12}(\.\d{1,4})?$"
Sku = Annotated[str, Field(min_length=1, max_length=100)]


class Item(BaseModel):
    sku: Sku
    quantity: int = Field(ge=1, le=a.MAX_QUANTITY)
    unit_price: str | None = Field(None, pattern=AMOUNT, description="needs edit prices unless what was paid")
    order_line_id: int | None = Field(None, ge=1, le=MAX_ID)


class Offline(BaseModel):
    buyer_name: str = Field(min_length=1, max_length=200)
    currency: str = Field(min_length=3, max_length=3)
    buyer_phone: str = Field("", max_length=50)
    buyer_email: str = Field("", max_length=320)
    customer: str | None = Field(None, max_length=30, description="a customer code or id")


class CreateIn(BaseModel):
    type: Literal["return_refund", "refund_only", "exchange"]
    order_id: int | None = Field(None, ge=1, le=MAX_ID, description="or offline")
    offline: Offline | None = None
    items: list[Item] | None = Field(None, max_length=100, description="returned items; none: every line")
    exchange_items: list[Item] = Field(default_factory=list, max_length=100)
    return_amount: str | None = Field(None, pattern=AMOUNT)
    warehouse: str | None = Field(None, max_length=100)
    return_tracking: str | None = Field(None, max_length=100)
    note: str = Field("", max_length=2000)


class ConfirmIn(BaseModel):
    stock_in: bool = False
    warehouse: str | None = Field(None, max_length=100)


class StockIn(BaseModel):
    received: dict[Sku, Annotated[int, Field(ge=0, le=a.MAX_QUANTITY)]] | None = Field(
        None, description="units received by SKU; none: all")
    warehouse: str | None = Field(None, max_length=100)


class ExchangeIn(BaseModel):
    store: str | None = Field(None, max_length=100)


class RefundIn(BaseModel):
    amount: str = Field(pattern=AMOUNT)
    payment_info: str = Field("", max_length=2000)
    proof_base64: str | None = Field(None, max_length=7_000_000, description="JPEG, PNG or PDF, at most 5 MB")


class Reason(BaseModel):
    reason: str = Field(max_length=500)


def _json(data: Any, status: int = 200) -> JSONResponse:
    return JSONResponse(jsonable_encoder(data, custom_encoder={Decimal: str}), status_code=status)


def _refused(exc: Exception, who: Operator) -> JSONResponse:
    text = str(exc) if who.sees_prices else hide_amounts(str(exc))
    field = getattr(exc, "field", None)
    if field in ("after_sales", "refund") and text.startswith("no "):
        status = 404
    elif isinstance(exc, LostRace) or (isinstance(exc, ReviewError) and field is None):
        status = 409
    else:
        status = 422
    return JSONResponse(Problem(detail=text, field=field).model_dump(), status_code=status)


def _one(request: Request, who: Operator, action: Any) -> JSONResponse:
    """Do ``action`` (returning an after-sales order's id) and answer with that order whole."""
    try:
        with database(request).session() as s:
            as_id = action(s)
            return _json(detail.load(s, as_id, prices=who.sees_prices))
    except (ReviewError, FieldError) as exc:
        return _refused(exc, who)


@router.get("/after-sales", responses=ANSWERS)
def list_after_sales(request: Request, who: Clerk,
                     state: Annotated[Literal[r.STATES] | None, Query()] = None,  # type: ignore[valid-type]
                     type: Annotated[Literal[r.KINDS] | None, Query()] = None,  # type: ignore[valid-type]
                     q: Annotated[str, Query(max_length=100)] = "") -> Any:
    """Newest first; ``q``: an AS number, an order number or a return tracking number."""
    with database(request).session() as s:
        return _json({"after_sales": detail.rows(s, state=state, kind=type, q=q, prices=who.sees_prices)})


@router.get("/after-sales/{as_id}", responses=ANSWERS)
def get_after_sales(request: Request, who: Clerk, as_id: RowId) -> Any:
    return _one(request, who, lambda s: r.get(s, as_id).id)


def _inputs(body: CreateIn) -> list[a.ItemInput] | None:
    if body.items is None and not body.exchange_items:
        return None
    rows = [(i, a.RETURNED) for i in body.items or []] + [(i, a.EXCHANGED) for i in body.exchange_items]
    return [a.ItemInput(sku=i.sku, quantity=i.quantity, kind=kind, order_line_id=i.order_line_id,
                        unit_price=Decimal(i.unit_price) if i.unit_price is not None else None) for i, kind in rows]


@router.post("/after-sales", status_code=201, responses=ANSWERS)
def create(request: Request, who: Clerk, body: CreateIn) -> Any:
    offline = a.OfflineSale(**body.offline.model_dump()) if body.offline is not None else None
    if body.items is None and body.exchange_items and body.order_id is not None:
        body.items = [Item(sku=i.sku, quantity=i.quantity, unit_price=None, order_line_id=i.order_line_id)
                      for i in _proposal(request, body.order_id)]
    answer = _one(request, who, lambda s: a.create(
        s, kind=body.type, actor=who.actor, can_after_sales=True, items=_inputs(body), order_id=body.order_id,
        offline=offline, can_edit_prices=who.can(Permission.EDIT_PRICES), return_amount=body.return_amount,
        warehouse=body.warehouse, return_tracking=body.return_tracking, note=body.note).id)
    if answer.status_code == 200:
        answer.status_code = 201
    return answer


def _proposal(request: Request, order_id: int) -> list[a.ItemInput]:
    try:
        with database(request).session() as s:
            return a.proposal(s, order_id)
    except ReviewError:
        return []


@router.post("/after-sales/{as_id}/confirm", responses=ANSWERS)
def confirm(request: Request, who: Clerk, as_id: RowId, body: ConfirmIn) -> Any:
    return _one(request, who, lambda s: a.confirm(s, as_id, actor=who.actor, can_after_sales=True,
                                                  stock_in=body.stock_in, warehouse=body.warehouse).id)


@router.post("/after-sales/{as_id}/stock-in", responses=ANSWERS)
def stock_in(request: Request, who: Clerk, as_id: RowId, body: StockIn) -> Any:
    return _one(request, who, lambda s: a.stock_in(s, as_id, actor=who.actor, can_after_sales=True,
                                                   received=body.received, warehouse=body.warehouse).id)


@router.post("/after-sales/{as_id}/exchange", responses=ANSWERS)
def generate_exchange(request: Request, who: Clerk, as_id: RowId, body: ExchangeIn) -> Any:
    def act(s: Any) -> int:
        exchange.generate_exchange(s, as_id, actor=who.actor, can_after_sales=True, store=body.store)
        return as_id
    return _one(request, who, act)


@router.post("/after-sales/{as_id}/refunds", status_code=201, responses=ANSWERS)
def create_refund(request: Request, who: Refunder, as_id: RowId, body: RefundIn) -> Any:
    try:
        proof = base64.b64decode(body.proof_base64, validate=True) if body.proof_base64 else None
    except (binascii.Error, ValueError):
        return _json(Problem(detail="proof_base64: not base64", field="proof").model_dump(), 422)
    try:
        with database(request).session() as s:
            made = refunds.create_refund(s, as_id, amount=body.amount, actor=who.actor, can_refund=True,
                                         payment_info=body.payment_info, proof=proof,
                                         settings=request.app.state.settings)
            return _json(detail.refund_row(made, prices=who.sees_prices), 201)
    except (ReviewError, FieldError) as exc:
        return _refused(exc, who)


def _decide(request: Request, who: Operator, action: Any) -> Any:
    try:
        with database(request).session() as s:
            return _json(detail.refund_row(action(s), prices=who.sees_prices))
    except (ReviewError, FieldError) as exc:
        return _refused(exc, who)


@router.post("/after-sales/refunds/{refund_id}/confirm", responses=ANSWERS)
def confirm_refund(request: Request, who: Refunder, refund_id: RowId) -> Any:
    return _decide(request, who, lambda s: refunds.confirm_refund(s, refund_id, actor=who.actor, can_refund=True))


@router.post("/after-sales/refunds/{refund_id}/reject", responses=ANSWERS)
def reject_refund(request: Request, who: Refunder, refund_id: RowId, body: Reason) -> Any:
    return _decide(request, who, lambda s: refunds.reject_refund(s, refund_id, body.reason, actor=who.actor,
                                                                 can_refund=True))
