"""The JSON API: tokens made on the account page, the same permissions as the pages, no amount
for an account without "view prices", clear answers when an action cannot be done."""

from __future__ import annotations

import re
from collections.abc import Callable

from fastapi import FastAPI
from fastapi.testclient import TestClient

from sync.db import Database
from sync.models import Order

from support.admin import Seeded, csrf_of

Client = Callable[[str], TestClient]
SEEDED_AMOUNTS = re.compile(r"39[.,]9|31[.,]5")


def _token(client: TestClient) -> str:
    page = client.post("/account/tokens", data={"csrf_token": csrf_of(client.get("/account").text),
                                                "name": "script"}).text
    found = re.search(r'<code class="token">([^<]+)</code>', page)
    assert found, "the new token is shown once"
    assert found.group(1) not in client.get("/account").text  # and only once
    return found.group(1)


def _api(app: FastAPI, token: str) -> TestClient:
    return TestClient(app, headers={"Authorization": f"Bearer {token}"})


def test_a_token_reads_the_queue_and_a_wrong_one_gets_401(app: FastAPI, signed_in: Client) -> None:
    api = _api(app, _token(signed_in("boss")))
    listed = api.get("/api/orders").json()
    assert [o["number"] for o in listed["orders"]] == ["#101", "#102", "#103"]
    assert listed["orders"][0]["reasons"][0]["code"] == "missing_surname"
    assert listed["orders"][0]["total"] == "39.90"
    one = api.get(f"/api/orders/{listed['orders'][0]['id']}").json()
    assert one["total"] == "39.90" and one["lines"][0]["unit_price"] == "39.90"
    assert api.get("/api/orders/99999").status_code == 404
    assert api.get("/api/pending-review/count").json() == {"pending_review": 3}
    assert _api(app, "oh_wrong").get("/api/orders").status_code == 401
    assert TestClient(app).get("/api/orders").status_code == 401


def test_the_api_leaves_amounts_out_for_an_account_without_view_prices(app: FastAPI, seeded: Seeded,
                                                                       signed_in: Client) -> None:
    api = _api(app, _token(signed_in("clerk")))
    answers = [api.get("/api/orders?status=all").text, api.get(f"/api/orders/{seeded.orders['sent']}").text,
               api.get(f"/api/orders/{seeded.orders['surname']}").text]
    for text in answers:
        assert not SEEDED_AMOUNTS.search(text), text
    assert "total" not in api.get("/api/orders").json()["orders"][0]


def test_actions_through_the_api(app: FastAPI, db: Database, seeded: Seeded, signed_in: Client) -> None:
    api = _api(app, _token(signed_in("clerk")))
    oid = seeded.orders["surname"]
    bad = api.put(f"/api/orders/{oid}/address", json={"first_name": "Lucia", "last_name": "Ruiz",
                                                       "address1": "Calle Mayor 1", "city": "Valencia",
                                                       "postcode": "4600", "country_code": "ES"})
    assert bad.status_code == 422 and bad.json()["field"] == "postcode"
    read = api.get(f"/api/orders/{oid}")
    assert read.headers["etag"] == f'"{read.json()["content_fingerprint"]}"'
    address = {"first_name": "Lucia", "last_name": "Ruiz", "address1": "Calle Mayor 1", "city": "Valencia",
               "postcode": "46005", "country_code": "ES", "phone": "+34600000000"}
    good = api.put(f"/api/orders/{oid}/address", json=address, headers={"If-Match": read.headers["etag"]})
    assert good.status_code == 200
    # a second edit from the same read lost the race: told, not written over the first
    late = api.put(f"/api/orders/{oid}/address", json={**address, "city": "Sevilla"},
                   headers={"If-Match": "W/" + read.headers["etag"]})
    assert late.status_code == 412 and "changed by someone else" in late.json()["detail"]
    assert api.put(f"/api/orders/{oid}/address", json=address, headers={"If-Match": "*"}).status_code == 200
    sent = api.post(f"/api/orders/{oid}/resubmit")
    assert sent.status_code == 200 and sent.json()["ok"] is True
    again = api.post(f"/api/orders/{oid}/resubmit")
    assert again.status_code == 409 and "not pending_review" in again.json()["detail"]
    manual = api.post(f"/api/orders/{seeded.orders['unknown_sku']}/mark-sent", json={"reference": "BB-9"})
    assert manual.status_code == 200
    assert api.post(f"/api/orders/{seeded.orders['postcode']}/cancel").status_code == 200
    assert api.post(f"/api/orders/{seeded.orders['postcode']}/cancel").status_code == 409
    with db.session() as s:
        states = {o.external_id: o.status for o in s.query(Order)}
    assert states == {"101": "sent", "102": "cancelled", "103": "sent", "104": "sent"}


def test_the_api_checks_permissions(app: FastAPI, seeded: Seeded, signed_in: Client) -> None:
    api = _api(app, _token(signed_in("viewer")))
    assert api.get("/api/orders").status_code == 200
    answer = api.post(f"/api/orders/{seeded.orders['postcode']}/cancel")
    assert answer.status_code == 403 and "cancel" in answer.json()["detail"]


def test_the_openapi_document_describes_the_api_to_signed_in_callers(app: FastAPI, signed_in: Client) -> None:
    doc = signed_in("boss").get("/api/openapi.json").json()
    assert set(doc["paths"]) >= {"/api/orders", "/api/orders/{order_id}/resubmit", "/api/pending-review/count"}
    assert all(p.startswith("/api/") for p in doc["paths"])
    assert TestClient(app, follow_redirects=False).get("/api/openapi.json").status_code == 401


def test_a_request_the_api_refuses_gets_its_one_error_shape_naming_the_field(app: FastAPI, signed_in: Client) -> None:
    api = _api(app, _token(signed_in("boss")))
    answer = api.post("/api/after-sales", json={"type": "return_refund", "order_id": 2**63})
    assert answer.status_code == 422
    body = answer.json()
    assert body["field"] == "order_id" and isinstance(body["detail"], str) and body["detail"].startswith("order_id:")
    assert str(2**63) not in answer.text  # what was sent is not echoed back
