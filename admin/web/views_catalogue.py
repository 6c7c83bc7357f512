"""The supplier's catalogue as last synced: products and stock (search by SKU, keyset pages), the
operators' SKU mappings (add, remove, import a CSV file: all rows or none, bad rows named by line),
and "sync catalogue now" (a message to the workers). Any signed-in account reads it; changing it
takes "manage catalogue"; costs are shown only with "view prices"."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import AfterValidator
from sqlalchemy import case, func, select
from sqlalchemy.orm import Session
from starlette.datastructures import UploadFile

from admin.web.auth import Operator, database, need, operator
from admin.web.pages import render
from sync import catalogue_map
from sync.accounts import Permission
from sync.models import CatalogueItem, Channel, SupplierProduct

router = APIRouter()
Anyone = Annotated[Operator, Depends(operator)]
Editor = Annotated[Operator, Depends(need(Permission.MANAGE_CATALOGUE))]
PAGE = 50
#: a mapping file larger than this is refused unread (about 20,000 rows)
MAX_UPLOAD = 1_000_000
#: a search longer than any SKU or title is cut, not refused (a paste of a whole line)
Search = Annotated[str, AfterValidator(lambda text: text[:100])]
DONE = {"sync": "Catalogue sync asked for: the workers read it in the background (the supplier allows a few "
                "catalogue calls an hour, so a large catalogue takes a while).",
        "mapped": "SKU mapped.", "removed": "Mapping removed."}


def _like(q: str) -> str:
    return "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_").lower() + "%"


def _suppliers(session: Session) -> list[dict[str, Any]]:
    counts = {sid: (n, stocked, gone, seen, stock_at) for sid, n, stocked, gone, seen, stock_at in session.execute(
        select(SupplierProduct.supplier_id, func.count(),
               func.sum(case((SupplierProduct.active & (SupplierProduct.stock > 0), 1), else_=0)),
               func.sum(case((~SupplierProduct.active, 1), else_=0)),
               func.max(SupplierProduct.seen_at), func.max(SupplierProduct.stock_at))
        .group_by(SupplierProduct.supplier_id))}
    return [{"name": c.name, "kind": c.kind, **dict(zip(("products", "in_stock", "discontinued", "catalogue_at",
                                                          "stock_at"), counts.get(c.id, (0, 0, 0, None, None)),
                                                      strict=True))}
            for c in session.scalars(select(Channel).where(Channel.role == "supplier").order_by(Channel.name))]


def _products(session: Session, q: str, after: str, prices: bool) -> tuple[list[dict[str, Any]], str | None]:
    query = select(SupplierProduct).order_by(SupplierProduct.sku, SupplierProduct.id)
    if q:
        query = query.where(func.lower(SupplierProduct.sku).like(_like(q), escape="\\")
                            | (SupplierProduct.product_id == q))
    if after:
        query = query.where(SupplierProduct.sku > after)
    found = session.scalars(query.limit(PAGE + 1)).all()
    rows = [{"sku": p.sku, "product_id": p.product_id, "variation_id": p.variation_id, "active": p.active,
             "stock": p.stock, "cost": p.cost if prices else None, "stock_at": p.stock_at} for p in found[:PAGE]]
    return rows, (found[PAGE - 1].sku if len(found) > PAGE else None)


def _mappings(session: Session, q: str, after: str) -> tuple[list[dict[str, Any]], str | None]:
    stock = (select(func.max(SupplierProduct.stock)).where(SupplierProduct.sku == CatalogueItem.supplier_sku,
                                                           SupplierProduct.active)
             .scalar_subquery())
    query = (select(CatalogueItem.sku, CatalogueItem.supplier_sku, stock)
             .where(CatalogueItem.source == catalogue_map.MANUAL).order_by(CatalogueItem.sku))
    if q:
        query = query.where(func.lower(CatalogueItem.sku).like(_like(q), escape="\\")
                            | func.lower(CatalogueItem.supplier_sku).like(_like(q), escape="\\"))
    if after:
        query = query.where(CatalogueItem.sku > after)
    found = session.execute(query.limit(PAGE + 1)).all()
    rows = [{"channel_sku": sku, "supplier_sku": target, "stock": units} for sku, target, units in found[:PAGE]]
    return rows, (found[PAGE - 1][0] if len(found) > PAGE else None)


def catalogue_page(request: Request, who: Operator, *, status_code: int = 200, **extra: Any) -> Response:
    params = request.query_params
    q, mq = str(params.get("q", ""))[:100].strip(), str(params.get("mq", ""))[:100].strip()
    after, mafter = str(params.get("after", ""))[:100], str(params.get("mafter", ""))[:100]
    with database(request).session() as session:
        products, next_after = _products(session, q, after, who.sees_prices)
        mappings, next_mafter = _mappings(session, mq, mafter)
        suppliers = _suppliers(session)
    context = {"suppliers": suppliers, "products": products, "next_after": next_after, "q": q, "after": after,
               "mappings": mappings, "next_mafter": next_mafter, "mq": mq, "mafter": mafter,
               "done": DONE.get(str(params.get("done", ""))), "error": None, "problems": [], "values": {},
               "errors": {}, "imported": None, "may_change": who.can(Permission.MANAGE_CATALOGUE), **extra}
    return render(request, "catalogue.html", context, who=who, status_code=status_code)


@router.get("/catalogue", response_class=HTMLResponse)
def catalogue(request: Request, who: Anyone, q: Search = "", mq: Search = "") -> Response:
    return catalogue_page(request, who)


@router.post("/catalogue/sync", response_class=HTMLResponse)
def sync_now(request: Request, who: Editor) -> Response:
    with database(request).session() as session:
        if session.scalar(select(Channel.id).where(Channel.role == "supplier", Channel.enabled).limit(1)) is None:
            return catalogue_page(request, who, status_code=409,
                                  error="No supplier account is switched on: add one on the Channels page first.")
    request.app.state.sync_catalogue()
    return RedirectResponse("/catalogue?done=sync", status_code=303)


@router.post("/catalogue/mappings", response_class=HTMLResponse)
async def add_mapping(request: Request, who: Editor) -> Response:
    form = await request.form()
    values = {k: str(form.get(k, ""))[:500] for k in ("channel_sku", "supplier_sku")}
    try:
        catalogue_map.map_sku(database(request), values["channel_sku"], values["supplier_sku"])
    except catalogue_map.MappingRefused as exc:
        errors: dict[str, str] = {}
        for _, what in exc.problems:
            errors.setdefault("supplier_sku" if "supplier" in what else "channel_sku", what)
        return catalogue_page(request, who, status_code=400, values=values, errors=errors,
                              error="Not mapped: correct the marked field.")
    return RedirectResponse("/catalogue?done=mapped", status_code=303)


@router.post("/catalogue/mappings/remove", response_class=HTMLResponse)
async def remove_mapping(request: Request, who: Editor) -> Response:
    sku = str((await request.form()).get("channel_sku", ""))[:500]
    if not catalogue_map.unmap_sku(database(request), sku):
        return catalogue_page(request, who, status_code=404, error=f"{sku!r} has no mapping of yours to remove.")
    return RedirectResponse("/catalogue?done=removed", status_code=303)


@router.post("/catalogue/import", response_class=HTMLResponse)
async def import_mappings(request: Request, who: Editor) -> Response:
    """The same parser and checks as ``orderhub catalogue import``: every row stored, or none."""
    if int(request.headers.get("content-length") or 0) > MAX_UPLOAD + 100_000:
        return _refused(request, who, [(0, f"the file is larger than {MAX_UPLOAD // 1000} kB: split it")], 413)
    upload = (await request.form()).get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        return _refused(request, who, [(0, "choose a CSV file of channel_sku,supplier_sku rows")], 400)
    raw = await upload.read(MAX_UPLOAD + 1)
    if len(raw) > MAX_UPLOAD:
        return _refused(request, who, [(0, f"the file is larger than {MAX_UPLOAD // 1000} kB: split it")], 413)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return _refused(request, who, [(0, "the file is not UTF-8 text (save it as CSV UTF-8)")], 400)
    try:
        done = catalogue_map.import_csv(database(request), text)
    except catalogue_map.MappingRefused as exc:
        return _refused(request, who, exc.problems, 400)
    return catalogue_page(request, who, imported=len(done))


def _refused(request: Request, who: Operator, problems: list[tuple[int, str]], status_code: int) -> Response:
    return catalogue_page(request, who, status_code=status_code, problems=problems[:200],
                          more_problems=max(0, len(problems) - 200),
                          error=f"Nothing imported: {len(problems)} problem{'s' if len(problems) != 1 else ''}.")
