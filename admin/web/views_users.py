"""Accounts: the main account (or anyone allowed to manage users) creates sub-accounts and roles;
every operator changes their own password and makes API tokens."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select

from admin.web import forms
from admin.web.auth import Operator, RowId, database, need, operator, web_session
from admin.web.pages import render
from sync import accounts
from sync.account_models import Account, ApiToken, Role
from sync.accounts import Permission

router = APIRouter()
Manager = Annotated[Operator, Depends(need(Permission.MANAGE_USERS))]
Anyone = Annotated[Operator, Depends(operator)]

PERMISSION_WORDS = {
    Permission.REVIEW_ORDERS: "Review orders", Permission.EDIT_ORDERS: "Edit orders",
    Permission.RESUBMIT: "Resubmit", Permission.MARK_SENT_MANUALLY: "Mark sent manually",
    Permission.CANCEL: "Cancel orders", Permission.VIEW_PRICES: "View prices", Permission.EDIT_PRICES: "Edit prices",
    Permission.MANAGE_CHANNELS: "Manage channels", Permission.MANAGE_CATALOGUE: "Manage catalogue",
    Permission.MANAGE_USERS: "Manage users", Permission.MESSENGER_ORDERS: "Messenger orders",
    Permission.MANUAL_AFTER_SALES: "Manual after-sales", Permission.AFTER_SALES_REFUND: "After-sales refund",
}


def _users_page(request: Request, who: Operator, *, status_code: int = 200, **extra: Any) -> Response:
    with database(request).session() as session:
        users = [{"id": a.id, "username": a.username, "is_main": a.is_main, "enabled": a.enabled,
                  "role": a.role.name if a.role else None, "last_sign_in_at": a.last_sign_in_at}
                 for a in session.scalars(select(Account).order_by(Account.username))]
        roles = [{"name": r.name, "permissions": r.permissions}
                 for r in session.scalars(select(Role).order_by(Role.name))]
    context = {"users": users, "roles": roles, "words": PERMISSION_WORDS, "values": {}, "errors": {}, "error": None,
               **extra}
    return render(request, "users.html", context, who=who, status_code=status_code)


@router.get("/users", response_class=HTMLResponse)
def users(request: Request, who: Manager) -> Response:
    return _users_page(request, who)


@router.post("/users", response_class=HTMLResponse)
async def add_user(request: Request, who: Manager) -> Response:
    data = {k: str(v) for k, v in (await request.form()).items() if k != "csrf_token"}
    form, errors = forms.read(forms.AccountForm, data)
    if form is not None:
        try:
            with database(request).session() as session:
                accounts.create_account(session, form.username, form.password, role=form.role)
            return RedirectResponse("/users", status_code=303)
        except accounts.AccountError as exc:
            errors = {"username": str(exc)}
    data.pop("password", None)  # never sent back to the browser
    return _users_page(request, who, status_code=400, values=data, errors=errors,
                       error="The account was not created: correct the marked fields.")


@router.post("/roles", response_class=HTMLResponse)
async def save_role(request: Request, who: Manager) -> Response:
    form_data = await request.form()
    data = {"name": str(form_data.get("name", "")), "permissions": [str(p) for p in form_data.getlist("permissions")]}
    form, errors = forms.read(forms.RoleForm, data)
    if form is None:
        return _users_page(request, who, status_code=400, error="Role: " + "; ".join(errors.values()))
    with database(request).session() as session:
        accounts.save_role(session, form.name, [p.value for p in form.permissions])
    return RedirectResponse("/users", status_code=303)


@router.post("/users/{account_id}/enabled", response_class=HTMLResponse)
async def set_enabled(request: Request, account_id: RowId, who: Manager) -> Response:
    enabled = (await request.form()).get("enabled") == "1"
    with database(request).session() as session:
        target = session.get(Account, account_id)
        if target is None or target.is_main or target.id == who.id:
            return _users_page(request, who, status_code=400,
                               error="The main account and your own account cannot be switched off here.")
        accounts.set_enabled(session, account_id, enabled)
    return RedirectResponse("/users", status_code=303)


@router.post("/users/{account_id}/role", response_class=HTMLResponse)
async def set_role(request: Request, account_id: RowId, who: Manager) -> Response:
    role = str((await request.form()).get("role", ""))
    try:
        with database(request).session() as session:
            accounts.set_role(session, account_id, role)
    except accounts.AccountError as exc:
        return _users_page(request, who, status_code=400, error=str(exc))
    return RedirectResponse("/users", status_code=303)


def _account_page(request: Request, who: Operator, **extra: Any) -> Response:
    with database(request).session() as session:
        tokens = [{"id": t.id, "name": t.name, "created_at": t.created_at, "last_used_at": t.last_used_at}
                  for t in session.scalars(select(ApiToken).where(ApiToken.account_id == who.id,
                                                                  ApiToken.revoked_at.is_(None)))]
    changed = request.query_params.get("changed") == "1"
    return render(request, "account.html", {"tokens": tokens, "new_token": None, "error": None, "changed": changed,
                                            "words": PERMISSION_WORDS, **extra}, who=who)


@router.get("/account", response_class=HTMLResponse)
def account(request: Request, who: Anyone) -> Response:
    return _account_page(request, who)


@router.post("/account/password", response_class=HTMLResponse)
async def change_password(request: Request, who: Anyone) -> Response:
    form = await request.form()
    try:
        with database(request).session() as session:
            accounts.change_password(session, who.id, str(form.get("current", "")), str(form.get("new", "")))
            epoch = session.get(Account, who.id).session_epoch  # type: ignore[union-attr]
    except accounts.AccountError as exc:
        return _account_page(request, who, error=str(exc))
    # this session carries on; every other one (another browser, a stolen cookie) has ended
    web_session(request).sign_in(who.id, epoch)
    return RedirectResponse("/account?changed=1", status_code=303)


@router.post("/account/tokens", response_class=HTMLResponse)
async def new_token(request: Request, who: Anyone) -> Response:
    name = str((await request.form()).get("name", ""))[:100]
    with database(request).session() as session:
        token = accounts.create_token(session, who.id, name)
    return _account_page(request, who, new_token=token)


@router.post("/account/tokens/{token_id}/revoke", response_class=HTMLResponse)
def revoke_token(request: Request, token_id: RowId, who: Anyone) -> Response:
    with database(request).session() as session:
        accounts.revoke_token(session, who.id, token_id)
    return RedirectResponse("/account", status_code=303)
