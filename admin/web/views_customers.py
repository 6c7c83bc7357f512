"""Customer pages: the list (search by name, phone, code, order, tracking or package number), one
customer with addresses and order history, and add, edit, delete, merge, erase. Reading needs
"review orders", changing "edit orders"; amounts are shown only with "view prices"."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from admin.web.auth import Operator, RowId, database, need
from admin.web.pages import render
from sync import customer_book as book
from sync.accounts import Permission
from sync.customer_list import count_customers, list_customers, order_history, view
from sync.fields import FieldError

router = APIRouter()
Reader = Annotated[Operator, Depends(need(Permission.REVIEW_ORDERS))]
Editor = Annotated[Operator, Depends(need(Permission.EDIT_ORDERS))]
PAGE = 50
FIELDS = ("first_name", "last_name", "phone", "email", "note", "level", "customer_code")
ERRORS = (FieldError, book.CustomerNotFound, book.LostRace)


async def _form(request: Request) -> dict[str, str]:
    return {k: str(v) for k, v in (await request.form()).items() if k != "csrf_token"}


def _list_page(request: Request, who: Operator, q: str = "", offset: int = 0, *, error: str | None = None,
               values: dict[str, str] | None = None, status_code: int = 200) -> Response:
    with database(request).session() as s:
        rows = list_customers(s, q, offset=offset, limit=PAGE + 1)
        total = count_customers(s)
    return render(request, "customers.html", {
        "rows": rows[:PAGE], "more": len(rows) > PAGE, "q": q, "offset": offset, "page": PAGE, "total": total,
        "error": error, "values": values or {}}, who=who, status_code=status_code)


@router.get("/customers", response_class=HTMLResponse)
def customers(request: Request, who: Reader, q: str = "",
              offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0) -> Response:
    return _list_page(request, who, q[:200], offset)  # a longer search is cut, as the box cuts it


@router.post("/customers", response_class=HTMLResponse)
async def add_customer(request: Request, who: Editor) -> Response:
    data = await _form(request)
    try:
        with database(request).session() as s:
            added = book.add(s, {k: v for k, v in data.items() if k in FIELDS and v.strip()})
            target = f"/customers/{added.id}"
    except ERRORS as exc:
        return _list_page(request, who, error=str(exc), values=data, status_code=422)
    return RedirectResponse(target, status_code=303)


def _customer_page(request: Request, who: Operator, customer_id: int, *, error: str | None = None,
                   status_code: int = 200, values: dict[str, str] | None = None,
                   errors: dict[str, str] | None = None) -> Response:
    """``values``: what was typed in the edit form, shown again; ``errors``: its fields marked."""
    from sqlalchemy import select

    from sync.customer_models import CustomerLevel

    with database(request).session() as s:
        try:
            found = book.find(s, customer_id)
        except book.CustomerNotFound:
            return render(request, "error.html", {"title": "No such customer",
                                                  "message": f"There is no customer {customer_id}."},
                          who=who, status_code=404)
        v = view(s, found)
        history = order_history(s, v.id)
        levels = list(s.scalars(select(CustomerLevel.name).order_by(CustomerLevel.name)))
    return render(request, "customer.html", {"c": v, "history": history, "levels": levels, "error": error,
                                             "values": values or {}, "errors": errors or {}},
                  who=who, status_code=status_code)


@router.get("/customers/{customer_id}", response_class=HTMLResponse)
def customer(request: Request, customer_id: RowId, who: Reader) -> Response:
    return _customer_page(request, who, customer_id)


async def _change(request: Request, who: Operator, customer_id: int, action: str) -> Response:
    data = await _form(request)
    try:
        with database(request).session() as s:
            if action == "edit":
                kept = book.edit(s, customer_id, {k: v for k, v in data.items() if k in FIELDS}).id
            elif action == "merge":
                kept = book.merge(s, customer_id, data.get("other", "")).kept.id
            elif action == "erase":
                kept = book.erase(s, customer_id).id
            else:
                book.delete(s, customer_id)
                return RedirectResponse("/customers", status_code=303)
    except ERRORS as exc:
        if isinstance(exc, book.CustomerNotFound) and action != "merge":
            return _customer_page(request, who, customer_id)
        message = str(exc)
        if action != "edit":
            return _customer_page(request, who, customer_id, error=message, status_code=422)
        field = getattr(exc, "field", None)
        return _customer_page(request, who, customer_id, error=message, status_code=422,
                              values={k: v for k, v in data.items() if k in FIELDS},
                              errors={field: message} if field in FIELDS else {})
    return RedirectResponse(f"/customers/{kept}", status_code=303)


@router.post("/customers/{customer_id}", response_class=HTMLResponse)
async def edit_customer(request: Request, customer_id: RowId, who: Editor) -> Response:
    return await _change(request, who, customer_id, "edit")


@router.post("/customers/{customer_id}/merge", response_class=HTMLResponse)
async def merge_customer(request: Request, customer_id: RowId, who: Editor) -> Response:
    return await _change(request, who, customer_id, "merge")


@router.post("/customers/{customer_id}/erase", response_class=HTMLResponse)
async def erase_customer(request: Request, customer_id: RowId, who: Editor) -> Response:
    return await _change(request, who, customer_id, "erase")


@router.post("/customers/{customer_id}/delete", response_class=HTMLResponse)
async def delete_customer(request: Request, customer_id: RowId, who: Editor) -> Response:
    return await _change(request, who, customer_id, "delete")
