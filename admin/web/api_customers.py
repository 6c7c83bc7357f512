"""The customer list, levels and prices under ``/api``: the same rules as the pages and the command
line. Amounts (spend, average order value, prices) only reach an account with "view prices"."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from admin.web.api import Problem
from admin.web.auth import Operator, RowId, database, need
from sync import customer_book as book
from sync import prices
from sync.accounts import Permission
from sync.customer_list import list_customers, order_history, view
from sync.fields import FieldError

router = APIRouter(prefix="/api", tags=["customers"])
Reader = Annotated[Operator, Depends(need(Permission.REVIEW_ORDERS))]
Editor = Annotated[Operator, Depends(need(Permission.EDIT_ORDERS))]
PriceViewer = Annotated[Operator, Depends(need(Permission.VIEW_PRICES))]
PriceEditor = Annotated[Operator, Depends(need(Permission.EDIT_PRICES))]


class CustomerFields(BaseModel):
    first_name: str | None = Field(None, max_length=200)
    last_name: str | None = Field(None, max_length=200)
    phone: str | None = Field(None, max_length=50)
    email: str | None = Field(None, max_length=320)
    note: str | None = Field(None, max_length=5000)
    level: str | None = Field(None, max_length=100)
    customer_code: str | None = Field(None, max_length=30)


class MergeWith(BaseModel):
    other: str = Field(min_length=1, max_length=30, description="the other customer's code or id")


class LevelIn(BaseModel):
    name: str = Field(min_length=1, max_length=100)


def _problem(status: int, message: str, field: str | None = None) -> JSONResponse:
    return JSONResponse({"detail": message, "field": field}, status_code=status)


def _json(data: Any) -> JSONResponse:
    return JSONResponse(jsonable_encoder(data, custom_encoder={Decimal: str}))


def _refused(exc: Exception) -> JSONResponse:
    if isinstance(exc, book.CustomerNotFound):
        return _problem(404, str(exc))
    if isinstance(exc, book.LostRace):
        return _problem(409, str(exc))
    return _problem(422, str(exc), getattr(exc, "field", None))


ERRORS = (FieldError, book.CustomerNotFound, book.LostRace)
#: what a refused request answers (``Problem``: detail, field)
ANSWERS: dict[int | str, dict[str, Any]] = {code: {"model": Problem} for code in (404, 409, 413, 422)}


@router.get("/customers", responses=ANSWERS)
def customers(request: Request, who: Reader, q: Annotated[str, Query(max_length=200)] = "",
              offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
              limit: Annotated[int, Query(ge=1, le=500)] = 50) -> Any:
    with database(request).session() as s:
        rows = list_customers(s, q, offset=offset, limit=limit)
    return _json({"customers": [r.as_json(amounts=who.sees_prices) for r in rows]})


@router.get("/customers/{customer_id}", responses=ANSWERS)
def customer(request: Request, customer_id: RowId, who: Reader) -> Any:
    with database(request).session() as s:
        try:
            v = view(s, book.find(s, customer_id))
        except ERRORS as exc:
            return _refused(exc)
        orders = [{"id": h.id, "number": h.number, "channel": h.channel, "status": h.status,
                   "cancelled": h.cancelled_on_channel, "placed_at": h.placed_at,
                   **({"total": h.total, "currency": h.currency} if who.sees_prices else {})}
                  for h in order_history(s, v.id)]
    return _json({**v.as_json(amounts=who.sees_prices), "orders": orders})


@router.post("/customers", status_code=201, responses=ANSWERS)
def add_customer(request: Request, body: CustomerFields, who: Editor) -> Any:
    with database(request).session() as s:
        try:
            c = book.add(s, body.model_dump(exclude_none=True))
        except ERRORS as exc:
            return _refused(exc)
        out = view(s, c).as_json(amounts=who.sees_prices)
    return JSONResponse(jsonable_encoder(out), status_code=201)


@router.patch("/customers/{customer_id}", responses=ANSWERS)
def edit_customer(request: Request, customer_id: RowId, body: CustomerFields, who: Editor) -> Any:
    with database(request).session() as s:
        try:
            c = book.edit(s, customer_id, body.model_dump(exclude_unset=True))
        except ERRORS as exc:
            return _refused(exc)
        return _json(view(s, c).as_json(amounts=who.sees_prices))


@router.delete("/customers/{customer_id}", responses=ANSWERS)
def delete_customer(request: Request, customer_id: RowId, who: Editor) -> Any:
    with database(request).session() as s:
        try:
            code = book.delete(s, customer_id)
        except ERRORS as exc:
            return _refused(exc)
    return {"deleted": code}


@router.post("/customers/{customer_id}/merge", responses=ANSWERS)
def merge_customer(request: Request, customer_id: RowId, body: MergeWith, who: Editor) -> Any:
    with database(request).session() as s:
        try:
            m = book.merge(s, customer_id, body.other)
        except ERRORS as exc:
            return _refused(exc)
        return {"kept": m.kept.customer_code, "merged": m.gone_code}


@router.post("/customers/{customer_id}/erase", responses=ANSWERS)
def erase_customer(request: Request, customer_id: RowId, who: Editor) -> Any:
    with database(request).session() as s:
        try:
            c = book.erase(s, customer_id)
        except ERRORS as exc:
            return _refused(exc)
        return {"erased": c.customer_code}


@router.get("/prices/quote", responses=ANSWERS)
def quote(request: Request, who: PriceViewer, sku: Annotated[str, Query(min_length=1, max_length=100)],
          quantity: Annotated[int, Query(ge=1, le=10_000_000)] = 1,
          customer: Annotated[str | None, Query(max_length=30)] = None) -> Any:
    with database(request).session() as s:
        try:
            cid = book.find(s, customer).id if customer else None
        except ERRORS as exc:
            return _refused(exc)
        q = prices.price_for(s, sku, cid, quantity)
        last = prices.last_unit_price(s, sku, cid) if cid else None
    return _json({"sku": sku, "quantity": quantity, "price": q.price, "source": q.source,
                  "last_unit_price": last})


@router.post("/prices/import", responses=ANSWERS)
async def import_prices(request: Request, who: PriceEditor) -> Any:
    """The body is the CSV itself (``Content-Type: text/csv``)."""
    raw = await request.body()
    if len(raw) > 5_000_000:
        return _problem(413, "the file is larger than 5 MB")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return _problem(422, "the file is not UTF-8 text", "file")
    with database(request).session() as s:
        try:
            done = prices.import_csv(s, text)
        except FieldError as exc:
            return _refused(exc)
    return {"kind": done.kind, "rows": done.rows}


@router.get("/levels", responses=ANSWERS)
def levels(request: Request, who: Reader) -> Any:
    from sqlalchemy import select

    from sync.customer_models import CustomerLevel

    with database(request).session() as s:
        return {"levels": [{"id": i, "name": n} for i, n in
                           s.execute(select(CustomerLevel.id, CustomerLevel.name).order_by(CustomerLevel.name))]}


@router.post("/levels", status_code=201, responses=ANSWERS)
def add_level(request: Request, body: LevelIn, who: PriceEditor) -> Any:
    with database(request).session() as s:
        try:
            level = prices.add_level(s, body.name)
        except FieldError as exc:
            return _refused(exc)
        return JSONResponse({"id": level.id, "name": level.name}, status_code=201)
