"""Levels and prices: customer levels, tiered prices (per SKU and level) and wholesale prices (per
SKU and quantity range), one at a time or from a CSV file. Seeing the page needs "view prices",
changing it "edit prices"."""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select

from admin.web.auth import Operator, database, need
from admin.web.pages import render
from sync import prices
from sync.accounts import Permission
from sync.customer_models import CustomerLevel, TieredPrice, WholesalePrice
from sync.fields import FieldError

router = APIRouter()
Viewer = Annotated[Operator, Depends(need(Permission.VIEW_PRICES))]
PriceEditor = Annotated[Operator, Depends(need(Permission.EDIT_PRICES))]


def _page(request: Request, who: Operator, *, error: str | None = None, done: str | None = None,
          kept: dict[str, dict[str, str]] | None = None, status_code: int = 200) -> Response:
    """``kept``: what was typed into a refused form (by the form's name), shown in it again."""
    with database(request).session() as s:
        levels = list(s.execute(select(CustomerLevel.id, CustomerLevel.name).order_by(CustomerLevel.name)))
        names = {i: n for i, n in levels}
        tiered = [{"sku": t.sku, "level": names.get(t.level_id, "?"), "price": t.price}
                  for t in s.scalars(select(TieredPrice).order_by(TieredPrice.sku, TieredPrice.level_id).limit(500))]
        wholesale = list(s.scalars(select(WholesalePrice).order_by(WholesalePrice.sku, WholesalePrice.min_quantity)
                                   .limit(500)))
        s.expunge_all()
    return render(request, "prices.html", {"levels": [n for _, n in levels], "tiered": tiered,
                                           "wholesale": wholesale, "error": error, "done": done,
                                           "kept": kept or {}},
                  who=who, status_code=status_code)


@router.get("/prices", response_class=HTMLResponse)
def price_page(request: Request, who: Viewer) -> Response:
    return _page(request, who)


async def _form(request: Request) -> dict[str, str]:
    return {k: v if isinstance(v, str) else "" for k, v in (await request.form()).items() if k != "csrf_token"}


@router.post("/prices/levels", response_class=HTMLResponse)
async def add_level(request: Request, who: PriceEditor) -> Response:
    data = await _form(request)
    try:
        with database(request).session() as s:
            prices.add_level(s, data.get("name", ""))
    except FieldError as exc:
        return _page(request, who, error=str(exc), kept={"levels": data}, status_code=422)
    return RedirectResponse("/prices", status_code=303)


@router.post("/prices/tiered", response_class=HTMLResponse)
async def add_tiered(request: Request, who: PriceEditor) -> Response:
    data = await _form(request)
    try:
        with database(request).session() as s:
            prices.set_tiered(s, data.get("sku", ""), data.get("level", ""), prices.parse_price(data.get("price", "")))
    except FieldError as exc:
        return _page(request, who, error=str(exc), kept={"tiered": data}, status_code=422)
    return RedirectResponse("/prices", status_code=303)


@router.post("/prices/wholesale", response_class=HTMLResponse)
async def add_wholesale(request: Request, who: PriceEditor) -> Response:
    data = await _form(request)
    row = {"sku": data.get("sku", ""), "min_quantity": data.get("min_quantity", ""),
           "max_quantity": data.get("max_quantity", ""), "price": data.get("price", "")}
    text = "sku,min_quantity,max_quantity,price\n" + ",".join(_cell(v) for v in row.values()) + "\n"
    try:
        with database(request).session() as s:
            prices.import_csv(s, text)
    except FieldError as exc:
        # one row typed into a form: the importer's line number would mean nothing here
        return _page(request, who, error=_LINE.sub("", str(exc)), kept={"wholesale": row}, status_code=422)
    return _page(request, who, done="1 wholesale price saved")


_LINE = re.compile(r"^line \d+: ")


def _cell(value: str) -> str:
    return '"' + value.replace('"', '""') + '"'


@router.post("/prices/import", response_class=HTMLResponse)
async def import_prices(request: Request, who: PriceEditor) -> Response:
    form = await request.form()
    upload = form.get("file")
    text = str(form.get("csv") or "")
    if upload is not None and not isinstance(upload, str):
        raw = await upload.read()
        try:
            text = raw.decode("utf-8-sig") or text
        except UnicodeDecodeError:
            return _page(request, who, error="the file is not UTF-8 text", status_code=422)
    return await _import(request, who, text)


async def _import(request: Request, who: Operator, text: str) -> Response:
    try:
        with database(request).session() as s:
            done = prices.import_csv(s, text)
    except FieldError as exc:
        return _page(request, who, error=str(exc), status_code=422)
    return _page(request, who, done=f"{done.rows} {done.kind} price{'s' if done.rows != 1 else ''} saved")
