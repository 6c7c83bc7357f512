"""Sign in and out."""

from __future__ import annotations

import math

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from admin.web import forms
from admin.web.auth import database, web_session
from admin.web.pages import render
from sync.accounts import sign_in

public = APIRouter()
router = APIRouter()


def _local(target: str) -> str:
    # only a path on this site: never send a signed-in operator to somewhere else
    return target if target.startswith("/") and not target.startswith("//") and "\\" not in target else "/"


@public.get("/signin")
def signin_page(request: Request, next: str = "/") -> Response:
    return render(request, "signin.html", {"next": _local(next), "values": {}, "error": None})


@public.post("/signin")
async def signin(request: Request) -> Response:
    data = dict(await request.form())
    form, errors = forms.read(forms.SignInForm, data)
    values = {"username": str(data.get("username", "")), "next": _local(str(data.get("next", "/")))}
    if form is None:
        return render(request, "signin.html", {"next": values["next"], "values": values,
                                               "error": "Enter your user name and password."}, status_code=400)
    address = request.client.host if request.client else "unknown"
    result = await run_in_threadpool(sign_in, database(request), form.username, form.password, address)
    if result.account is None:
        if result.retry_after is not None:
            wait = max(1, math.ceil(result.retry_after.total_seconds()))
            error = f"Too many failed sign-ins. Try again in {_wait_words(wait)}."
            status = 429
        else:
            error, status = "That user name and password do not match.", 401
        return render(request, "signin.html", {"next": values["next"], "values": values, "error": error},
                      status_code=status)
    web_session(request).sign_in(result.account.id, result.account.session_epoch)
    return RedirectResponse(_local(form.next), status_code=303)


def _wait_words(seconds: int) -> str:
    return f"{seconds} seconds" if seconds < 120 else f"{math.ceil(seconds / 60)} minutes"


@router.post("/signout")
def signout(request: Request) -> Response:
    web_session(request).sign_out()
    return RedirectResponse("/signin", status_code=303)
