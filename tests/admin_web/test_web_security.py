"""The app's route table, walked: without a session every route sends the browser to sign in (or
answers 401); with a session every state-changing route refuses a request without the session's
CSRF token, except the platforms' webhook deliveries, which a signature over the body authenticates
and a session never does; the session cookie is HttpOnly and SameSite, and Secure over https."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from admin.web import views_auth
from admin.web.app import LINKED, ROUTERS, SIGNED

from support.admin import PASSWORD, Seeded, csrf_of

Client = Callable[[str], TestClient]
PUBLIC = {("GET", "/signin"), ("POST", "/signin")}
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


def routes(app: FastAPI) -> list[tuple[str, str]]:
    """Every (method, path) the app serves: its routers' route tables, and the API's schema."""
    found = {(method, route.path) for router in (*ROUTERS, *SIGNED, *LINKED, views_auth.public)
             for route in router.routes if isinstance(route, APIRoute) for method in route.methods}
    known = [*ROUTERS, *SIGNED, *LINKED, views_auth.public]
    included = [r.original_router for r in app.routes if hasattr(r, "original_router")]
    assert included, "the app's routers were not found"
    for router in included:  # a new router must be known here, or it escapes the walk
        assert any(router is k for k in known) or [r.path for r in router.routes] == ["/api/openapi.json"]
    found.add(("GET", "/api/openapi.json"))
    api = {(m.upper(), p) for p, ops in app.openapi()["paths"].items() for m in ops}
    assert api and api <= found, "an API route is missing from the walk"
    assert len(found) > 25, "the route table looks empty"
    return sorted(found)


def _fill(path: str, seeded: Seeded) -> str:
    return re.sub(r"\{[a-z_]+\}", str(seeded.orders["postcode"]), path)


def test_every_route_without_a_session_redirects_to_sign_in_or_answers_401(app: FastAPI, seeded: Seeded) -> None:
    client = TestClient(app, follow_redirects=False)
    checked = 0
    for method, path in routes(app):
        if (method, path) in PUBLIC:
            continue
        answer = client.request(method, _fill(path, seeded))
        if (method, path) in link_authenticated():
            # a buyer's link: a token that opens nothing gets the neutral page, whatever the order
            assert answer.status_code == 404 and "not valid" in answer.text, (method, path)
        elif answer.status_code == 303:
            assert answer.headers["location"].startswith("/signin?next="), (method, path)
        else:
            assert answer.status_code == 401, (method, path, answer.status_code)
        checked += 1
    assert checked >= 15


def test_htmx_requests_without_a_session_get_401_and_a_redirect_header(app: FastAPI) -> None:
    answer = TestClient(app).get("/fragments/review-count", headers={"HX-Request": "true"})
    assert answer.status_code == 401 and answer.headers["HX-Redirect"] == "/signin"


def test_every_state_changing_route_refuses_a_missing_or_wrong_csrf_token(app: FastAPI, seeded: Seeded,
                                                                          signed_in: Client) -> None:
    client = signed_in("boss")
    unsafe = [(m, p) for m, p in routes(app)
              if m in UNSAFE and (m, p) not in signature_authenticated() | link_authenticated()]
    assert len(unsafe) >= 10
    for method, path in unsafe:
        url = _fill(path, seeded)
        for attempt in ({}, {"csrf_token": "forged"}):
            answer = client.request(method, url, data=attempt)  # a form, as a forged page would post
            assert answer.status_code == 403, (method, path, attempt, answer.status_code)
        assert client.request(method, url, headers={"X-CSRF-Token": "forged"}).status_code == 403
    assert client.get("/orders").status_code == 200  # still signed in: nothing above signed out


def link_authenticated() -> set[tuple[str, str]]:
    """The buyer's pages: the link's token is the credential, and their form has its own signed token
    (tests/admin_web/test_web_buyer.py)."""
    return {(method, route.path) for router in LINKED for route in router.routes if isinstance(route, APIRoute)
            for method in route.methods}


def signature_authenticated() -> set[tuple[str, str]]:
    return {(method, route.path) for router in SIGNED for route in router.routes if isinstance(route, APIRoute)
            for method in route.methods}


def test_webhook_routes_answer_401_to_an_unsigned_delivery_with_or_without_a_session(
        app: FastAPI, seeded: Seeded, signed_in: Client) -> None:
    signed = signature_authenticated()
    assert {p for _, p in signed} == {"/webhooks/{kind}/{channel}"}
    session = signed_in("boss")
    token = csrf_of(session.get("/orders").text)
    for method, path in signed:
        for kind, channel in (("shopify", "shop"), ("woocommerce", "shop"), ("shopify", "nope")):
            url = path.replace("{kind}", kind).replace("{channel}", channel)
            anonymous = TestClient(app).request(method, url, content=b'{"id": 1}')
            assert anonymous.status_code == 401, (url, anonymous.status_code)
            with_session = session.request(method, url, content=b'{"id": 1}', headers={"X-CSRF-Token": token})
            assert with_session.status_code == 401, (url, with_session.status_code)


def test_the_sign_in_form_needs_its_csrf_token_too(app: FastAPI) -> None:
    client = TestClient(app, follow_redirects=False)
    client.get("/signin")
    answer = client.post("/signin", data={"username": "boss", "password": PASSWORD})
    assert answer.status_code == 403


def test_a_token_from_another_session_is_refused(app: FastAPI, seeded: Seeded, signed_in: Client) -> None:
    mine, theirs = signed_in("boss"), signed_in("clerk")
    their_token = csrf_of(theirs.get("/orders").text)
    answer = mine.post(f"/orders/{seeded.orders['postcode']}/cancel", data={"csrf_token": their_token})
    assert answer.status_code == 403


@pytest.mark.parametrize("base", ["http://testserver", "https://testserver"])
def test_the_session_cookie_is_httponly_samesite_and_secure_over_https(app: FastAPI, base: str) -> None:
    answer = TestClient(app, base_url=base).get("/signin")
    attributes = [part.strip() for part in answer.headers["set-cookie"].lower().split(";")]
    assert "httponly" in attributes and "samesite=lax" in attributes
    assert ("secure" in attributes) == base.startswith("https")


def test_signing_out_ends_the_session_and_a_forged_cookie_is_nobody(app: FastAPI, signed_in: Client) -> None:
    client = signed_in("boss")
    token = csrf_of(client.get("/orders").text)
    assert client.post("/signout", data={"csrf_token": token}).status_code == 303
    assert client.get("/orders").status_code == 303
    forged = TestClient(app, follow_redirects=False, cookies={"orderhub_session": "eyJhIjoxfQ.forged.sig"})
    assert forged.get("/orders").status_code == 303


def test_after_sign_in_only_a_local_page_is_opened(app: FastAPI) -> None:
    client = TestClient(app, follow_redirects=False)
    token = csrf_of(client.get("/signin").text)
    for target, expected in (("//evil.example/x", "/"), ("https://evil.example", "/"), ("/orders?status=all",
                                                                                        "/orders?status=all")):
        client.cookies.clear()
        token = csrf_of(client.get("/signin").text)
        answer = client.post("/signin", data={"username": "boss", "password": PASSWORD, "csrf_token": token,
                                              "next": target})
        assert answer.headers["location"] == expected


def test_wrong_passwords_are_answered_alike_and_then_slowed(app: FastAPI) -> None:
    client = TestClient(app, follow_redirects=False)
    token = csrf_of(client.get("/signin").text)
    answers = [client.post("/signin", data={"username": name, "password": "not it at all", "csrf_token": token})
               for name in ("boss", "nobody")]
    assert [a.status_code for a in answers] == [401, 401]
    assert answers[0].text.count("do not match") == answers[1].text.count("do not match") == 1
    for _ in range(3):
        last = client.post("/signin", data={"username": "boss", "password": "still not it", "csrf_token": token})
    assert last.status_code == 429 and "Too many failed sign-ins" in last.text
    assert 'value="boss"' in last.text  # the name typed stays


#: routes any signed-in account may use: its own account, signing out, the way in, the red dot
#: (which shows nothing without "review orders"), reading the catalogue (costs only with "view prices")
FOR_EVERY_ACCOUNT = {("GET", "/"), ("POST", "/signout"), ("GET", "/account"), ("POST", "/account/password"),
                     ("POST", "/account/tokens"), ("POST", "/account/tokens/{token_id}/revoke"),
                     ("GET", "/fragments/review-count"), ("GET", "/catalogue")}


def _permissions(route: APIRoute) -> set[str]:
    found: set[str] = set()
    stack = list(route.dependant.dependencies)
    while stack:
        dep = stack.pop()
        if getattr(dep.call, "permission", None) is not None:
            found.add(dep.call.permission.value)  # type: ignore[union-attr]
        stack.extend(dep.dependencies)
    return found


def test_every_route_but_the_accounts_own_needs_a_permission_and_refuses_an_account_without(
        app: FastAPI, db, seeded: Seeded) -> None:  # type: ignore[no-untyped-def]
    from sync import accounts

    with db.session() as s:
        accounts.save_role(s, "nothing", [])
        accounts.create_account(s, "idle", PASSWORD, role="nothing")
    client = TestClient(app, follow_redirects=False)
    token = csrf_of(client.get("/signin").text)
    assert client.post("/signin", data={"username": "idle", "password": PASSWORD,
                                        "csrf_token": token}).status_code == 303
    token = csrf_of(client.get("/account").text)
    checked = 0
    for router in ROUTERS:
        for route in router.routes:
            assert isinstance(route, APIRoute)
            for method in route.methods:
                if (method, route.path) in FOR_EVERY_ACCOUNT:
                    continue
                assert _permissions(route), f"{method} {route.path} checks no permission"
                answer = client.request(method, _fill(route.path, seeded), data={"csrf_token": token},
                                        headers={"X-CSRF-Token": token})
                assert answer.status_code == 403, (method, route.path, answer.status_code)
                checked += 1
    assert checked >= 20
