"""The admin application. No state in the process: sessions are signed cookies, everything else
is in the database, so any number of instances can run behind a proxy."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from urllib.parse import quote

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.exception_handlers import request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from itsdangerous import URLSafeTimedSerializer

from admin.web import (
    api,
    api_after_sales,
    api_customers,
    api_messenger,
    views_after_sales,
    views_after_sales_pages,
    views_alerts,
    views_auth,
    views_buyer,
    views_catalogue,
    views_channel_form,
    views_channels,
    views_customers,
    views_dashboard,
    views_messenger,
    views_messenger_order,
    views_order,
    views_orders,
    views_prices,
    views_users,
    views_wallet,
    webhooks,
)
from admin.web.actions import Forwarder
from admin.web.address_limits import address_limiter
from admin.web.auth import BadCsrf, NotAllowed, NotSignedIn, csrf_protect, operator
from admin.web.pages import is_htmx, render
from admin.web.session import SessionCodec
from sync import connect
from sync.accounts import signing_secret
from sync.carrier import SupplierFor
from sync.db import Database, get_database
from sync.models import Channel
from sync.settings import Settings, get_settings

STATIC = Path(__file__).parent / "static"
#: htmx needs no inline script or eval; styles may be set inline by htmx's indicators
CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
       "frame-ancestors 'none'; form-action 'self'; base-uri 'none'")


def _default_forward(ids: object) -> list[str]:
    from workers.dispatch import forward_soon

    return forward_soon(ids)  # type: ignore[arg-type]


def _default_payment_confirmed(order_id: int) -> None:
    from workers.dispatch import mark_paid_soon

    mark_paid_soon(order_id)


def _default_sync_now(channel_id: int) -> None:
    from workers import actors

    actors.pull_channel.send(channel_id)


def _default_webhook_sink(delivery_row: int) -> None:
    from workers.dispatch import process_webhook_soon

    process_webhook_soon(delivery_row)


def _default_sync_catalogue() -> None:
    from workers import actors

    actors.sync_catalogue.send()


def _default_check_account(row: Channel) -> tuple[bool, str]:
    from workers import health

    found = health.account(connect.config_for(row), row.role)
    return found.ok, found.detail


def create_app(db: Database | None = None, *, forward: Forwarder | None = None,
               sync_now: Callable[[int], None] | None = None, secret: str | None = None,
               supplier_for: SupplierFor | None = None,
               webhook_sink: Callable[[int], None] | None = None,
               sync_catalogue: Callable[[], None] | None = None,
               check_account: Callable[[Channel], tuple[bool, str]] | None = None,
               settings: Settings | None = None,
               payment_confirmed: Callable[[int], None] | None = None) -> FastAPI:
    """``db``: the database (the process's by default); ``forward``: what sends orders that a
    resubmit made ready (the workers by default); ``sync_now``: what pulls a channel now (a message
    to the workers by default); ``secret``: the session key (by default one kept in the database
    and shared by every instance); ``supplier_for``: the supplier connector an account's row
    stands for (asked for its shipping options when an operator chooses a carrier);
    ``webhook_sink``: what is handed each stored webhook delivery (a worker by default);
    ``sync_catalogue``: what reads the supplier's catalogue now (a message to the workers by
    default); ``check_account``: one cheap call through an account's connector, answering (ok, what
    it said); ``settings``: the process's by default (where payment proofs are kept, where the buyer
    pages' rate limit is shared); ``payment_confirmed``: what tells the channel of a payment
    confirmed in OrderHub, when its settings ask for it (a worker by default)."""
    app = FastAPI(title="OrderHub", summary="The operators' actions on orders, for scripts", version="1",
                  docs_url=None, redoc_url=None, openapi_url=None)
    app.state.db = db or get_database()
    app.state.forward = forward or _default_forward
    app.state.payment_confirmed = payment_confirmed or _default_payment_confirmed
    app.state.sync_now = sync_now or _default_sync_now
    app.state.supplier_for = supplier_for or connect.supplier_for
    app.state.webhook_sink = _default_webhook_sink if webhook_sink is None else webhook_sink
    app.state.sync_catalogue = sync_catalogue or _default_sync_catalogue
    app.state.check_account = check_account or _default_check_account
    #: an edited or removed account's cached connector must not be used again
    app.state.forget_connectors = connect.forget
    key = secret or signing_secret(app.state.db)
    codec = SessionCodec(key)
    app.state.buyer_form_signer = URLSafeTimedSerializer(key, salt="orderhub.buyer-form")
    app.state.settings = settings or get_settings()
    app.state.buyer_limiter = address_limiter(app.state.settings)

    @app.middleware("http")
    async def sessions(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        request.state.web_session = codec.load(request)
        if _too_large(request):
            # refused before any form is read: the largest thing sent is a mapping file (views_catalogue)
            response: Response = _too_large_answer(request)
        else:
            response = await call_next(request)
        codec.store(request, response, request.state.web_session)
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if request.url.path != "/signin" and response.headers.get("content-type", "").startswith("text/html"):
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    _add_error_pages(app)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    for router in SIGNED:  # the platforms' deliveries: their signature is their only credential
        app.include_router(router, include_in_schema=False)
    for router in LINKED:  # the buyers' pages: the link's token is their only credential
        app.include_router(router, include_in_schema=False)
    app.include_router(views_auth.public, dependencies=[Depends(csrf_protect)], include_in_schema=False)
    signed_in = [Depends(operator), Depends(csrf_protect)]
    for router in PAGES:
        app.include_router(router, dependencies=signed_in, include_in_schema=False)
    app.include_router(api.router, dependencies=signed_in)
    app.include_router(api_customers.router, dependencies=signed_in)
    app.include_router(api_messenger.router, dependencies=signed_in)
    app.include_router(api_after_sales.router, dependencies=signed_in)
    app.include_router(_schema_router(app), dependencies=signed_in, include_in_schema=False)
    return app


#: no form or API call needs more: a larger body is refused before it is read
MAX_BODY = 2_000_000
#: a buyer's form carries a payment slip (sync.messenger_payment.MAX_SLIP_BYTES) and a few fields
MAX_BUYER_BODY = 5_400_000


def _add_error_pages(app: FastAPI) -> None:
    """What a person, a script (``/api``) and htmx each get when a request cannot be served."""

    @app.exception_handler(NotSignedIn)
    async def not_signed_in(request: Request, exc: NotSignedIn) -> Response:
        if request.url.path.startswith("/api/") or is_htmx(request):
            headers = {"HX-Redirect": "/signin"} if is_htmx(request) else {}
            return JSONResponse({"detail": "sign in first"}, status_code=401, headers=headers)
        # a form sent after the session ended: sign in again, then back to the page (not the action)
        target = request.url.path if request.method == "GET" else "/"
        target += f"?{request.url.query}" if request.url.query and request.method == "GET" else ""
        return RedirectResponse(f"/signin?next={quote(target, safe='')}", status_code=303)

    @app.exception_handler(NotAllowed)
    async def not_allowed(request: Request, exc: NotAllowed) -> Response:
        if request.url.path.startswith("/api/"):
            return JSONResponse({"detail": f"this account may not {exc.permission.value}"}, status_code=403)
        return render(request, "error.html", {"title": "Not allowed",
                                              "message": f"Your role does not include “{exc.permission.value}”. "
                                                         "Ask the main account."}, status_code=403)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> Response:
        if request.url.path.startswith("/api/"):
            return JSONResponse(_problem_of(exc), status_code=422)
        if is_htmx(request):
            return await request_validation_exception_handler(request, exc)
        # a page's address edited by hand: the parts that do not work, named (never what was typed)
        wrong = "; ".join(f"{e['loc'][-1]}: {e['msg']}" for e in exc.errors()[:3] if e.get("loc"))
        return render(request, "error.html", {"title": "This address does not work",
                                              "message": f"The page cannot take what its address asks for "
                                                         f"({wrong})."}, status_code=422)

    @app.exception_handler(BadCsrf)
    async def bad_csrf(request: Request, exc: BadCsrf) -> Response:
        return render(request, "error.html", {"title": "Form expired",
                                              "message": "This form has expired. Go back, reload the page "
                                                         "and try again."}, status_code=403)


def _too_large_answer(request: Request) -> Response:
    """JSON for the API and htmx; a page for a person, who gets the form back with the browser's
    Back button (the body was never read, so the page cannot show it again itself)."""
    if request.url.path.startswith(("/api/", "/webhooks/")) or is_htmx(request):  # programs, not people
        return JSONResponse({"detail": "the request is too large"}, status_code=413)
    if request.url.path.startswith("/m/"):  # a buyer: no operator page, no word of the admin
        return views_buyer.too_large(request)
    proof = request.url.path.startswith("/after-sales/orders/")
    return render(request, "error.html", {
        "title": "The file is too large",
        "message": ("A refund proof may be at most 5 MB." if proof else "This form takes at most 2 MB.")
        + " Nothing was saved. Go back with the browser's Back button: what you typed is still in the form."},
        status_code=413)


def _too_large(request: Request) -> bool:
    # a buyer's form and a refund order carry a payment slip or proof (at most 5 MB)
    cap = MAX_BUYER_BODY if request.url.path.startswith(("/m/", "/after-sales/orders/")) else MAX_BODY
    try:
        return int(request.headers.get("content-length") or 0) > cap
    except ValueError:
        return True


#: the signed-in routers: pages and fragments (HTML), then the JSON API
PAGES = (views_auth.router, views_orders.router, views_order.router, views_wallet.router, views_dashboard.router,
         views_alerts.router, views_channels.router, views_channel_form.router, views_catalogue.router,
         views_users.router, views_customers.router, views_prices.router, views_messenger.router,
         views_messenger_order.router, views_after_sales.router, views_after_sales_pages.router)
ROUTERS = (*PAGES, api.router, api_customers.router, api_messenger.router, api_after_sales.router)
#: routers authenticated by a platform's signature over the body, not by a session
SIGNED = (webhooks.router,)
#: routers authenticated by a buyer's link token (sync.messenger_links), not by a session
LINKED = (views_buyer.router,)


def _schema_router(app: FastAPI) -> APIRouter:
    """The OpenAPI document of ``/api``, for signed-in accounts and tokens."""
    router = APIRouter()

    @router.get("/api/openapi.json")
    def schema() -> JSONResponse:
        return JSONResponse(app.openapi())

    return router


def _problem_of(exc: RequestValidationError) -> dict[str, str | None]:
    """The API's one error shape (``api.Problem``) for a request FastAPI refused: the first field
    named as a path (``items.0.quantity``) and what is wrong with it, without echoing the input."""
    errors = exc.errors()
    if not errors:
        return {"detail": "the request is not valid", "field": None}
    first = errors[0]
    where = [str(part) for part in first.get("loc", ()) if part not in ("body", "query", "path", "header")]
    field = ".".join(where)[:200] or None
    message = str(first.get("msg", "not valid"))[:300]
    return {"detail": f"{field}: {message}" if field else message, "field": field}
