"""Adding an account and changing one in the browser: the same checks as ``orderhub channels
add|edit`` (``sync.channel_accounts``). A refused form comes back with every bad field marked and
what was typed kept, except secrets; a stored credential is shown as "set", never its value."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from admin.web import channel_forms
from admin.web.auth import Operator, RowId, database, need
from admin.web.pages import render
from sync import channel_accounts, supplier_accounts
from sync.accounts import Permission
from sync.models import Channel

router = APIRouter()
Manager = Annotated[Operator, Depends(need(Permission.MANAGE_CHANNELS))]
KindQuery = Annotated[str, Query(max_length=50)]


def _form(request: Request, who: Operator, kind: str, *, account: dict[str, Any] | None = None,
          values: dict[str, str] | None = None, errors: dict[str, str] | None = None,
          typed: tuple[str, ...] = (), status_code: int = 200) -> Response:
    with database(request).session() as session:
        suppliers = tuple(a.name for a in supplier_accounts.accounts(session))
    context = {"kind": kind, "kinds": channel_forms.kinds(), "account": account,
               "credential_keys": channel_forms.credential_keys(kind) if kind else (),
               "optional_keys": channel_forms.optional_credential_keys(kind) if kind else (),
               "typed": typed,
               "setting_fields": channel_forms.setting_fields(kind, suppliers) if kind else [],
               "values": values or {}, "errors": errors or {},
               "error": "Not saved: correct the marked fields." if errors else None}
    return render(request, "channel_form.html", context, who=who, status_code=status_code)


def _known(kind: str) -> bool:
    return kind in {k for k, _ in channel_forms.kinds()}


@router.get("/channels/new", response_class=HTMLResponse)
def new(request: Request, who: Manager, kind: KindQuery = "") -> Response:
    return _form(request, who, kind if _known(kind) else "")


@router.post("/channels/new", response_class=HTMLResponse)
async def add(request: Request, who: Manager) -> Response:
    form = {k: str(v) for k, v in (await request.form()).items()}
    kind = form.get("kind", "")
    if not _known(kind):
        kept = {k: v for k, v in form.items() if not k.startswith("credentials.")}
        return _form(request, who, "", values=kept, errors={"kind": "choose the kind of account"}, status_code=400)
    submitted = channel_forms.read(kind, form)
    errors = dict(submitted.errors)
    if not errors:
        try:
            with database(request).session() as session:
                channel_accounts.add_account(session, channel_forms.draft(kind, submitted))
            return RedirectResponse("/channels?done=added", status_code=303)
        except channel_accounts.AccountRefused as exc:
            errors = exc.errors
    # every required credential left blank is marked, in the form's words rather than the command line's
    errors.update({f"credentials.{key}": "required" for key in channel_forms.credential_keys(kind)
                   if key not in submitted.credentials})
    return _form(request, who, kind, values=submitted.values, errors=_by_input(errors),
                 typed=tuple(submitted.credentials), status_code=400)


def _account(row: Channel) -> dict[str, Any]:
    return {"id": row.id, "name": row.name, "url": row.url, "role": row.role,
            "credentials_set": sorted((row.credentials or {}).keys()), "settings": dict(row.settings or {})}


def _stored_values(row: Channel) -> dict[str, str]:
    values = {"name": row.name, "url": row.url}
    values.update({f"settings.{k}": channel_forms.shown(v) for k, v in (row.settings or {}).items()})
    return values


@router.get("/channels/{channel_id}/edit", response_class=HTMLResponse)
def edit_form(request: Request, channel_id: RowId, who: Manager) -> Response:
    with database(request).session() as session:
        row = session.get(Channel, channel_id)
        if row is None or not _known(row.kind):
            return _missing(request, who, row.kind if row else None)
        return _form(request, who, row.kind, account=_account(row), values=_stored_values(row))


@router.post("/channels/{channel_id}/edit", response_class=HTMLResponse)
async def edit(request: Request, channel_id: RowId, who: Manager) -> Response:
    form = {k: str(v) for k, v in (await request.form()).items()}
    with database(request).session() as session:
        row = session.get(Channel, channel_id)
        if row is None or not _known(row.kind):
            return _missing(request, who, row.kind if row else None)
        kind, account = row.kind, _account(row)
        submitted = channel_forms.read(kind, form)
        errors = dict(submitted.errors)
        change = channel_forms.change(account["settings"], row.name, row.url, submitted)
        if not errors and change.empty:
            return RedirectResponse("/channels?done=unchanged", status_code=303)
        if not errors:
            try:
                channel_accounts.edit_account(session, row, change)
            except channel_accounts.AccountRefused as exc:
                errors = exc.errors  # checked before anything was changed: nothing to undo
    if errors:
        return _form(request, who, kind, account=account, values=submitted.values, errors=_by_input(errors),
                     typed=tuple(submitted.credentials), status_code=400)
    request.app.state.forget_connectors()
    return RedirectResponse("/channels?done=saved", status_code=303)


def _by_input(errors: dict[str, str]) -> dict[str, str]:
    """Errors keyed by the form's input names: a setting's error sits on ``settings.KEY``."""
    plain = {"name", "url", "kind", "role", "form"}
    return {k if k in plain or k.startswith("credentials.") else f"settings.{k}": v for k, v in errors.items()}


def _missing(request: Request, who: Operator, kind: str | None = None) -> Response:
    if kind is not None:  # its connector is not installed here: nothing says what the form holds
        return render(request, "error.html", {"title": "Cannot edit here",
                                              "message": f"No connector of kind “{kind}” is installed."},
                      who=who, status_code=409)
    return render(request, "error.html", {"title": "No such account",
                                          "message": "This account does not exist (any more)."},
                  who=who, status_code=404)
