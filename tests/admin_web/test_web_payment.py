"""Payment confirmation of shop orders in the admin: the same list as messenger orders, the
order page's controls (permission "messenger orders", as for messenger orders), the JSON API."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from sync import accounts
from sync.account_models import Account
from sync.models import Order
from sync.payment_models import PaymentConfirmation

from support.admin import PASSWORD, Seeded, csrf_of
from support.payments import add_shop, ingest, order_id_of, standing, woo_body


def _held(db) -> int:  # type: ignore[no-untyped-def]
    ingest(db, add_shop(db, alone=True), woo_body(order_id=9001))
    return order_id_of(db, "9001")


def _seller(db, signed_in):  # type: ignore[no-untyped-def]
    with db.session() as s:
        accounts.save_role(s, "seller", ["messenger_orders", "review_orders"])
        accounts.create_account(s, "seller", PASSWORD, role="seller")
    return signed_in("seller")


def test_a_bank_transfer_is_listed_confirmed_on_its_page_and_forwarded_once(app: FastAPI, db, seeded: Seeded,
                                                                             signed_in) -> None:  # type: ignore[no-untyped-def]
    order_id = _held(db)
    seller = _seller(db, signed_in)
    listed = seller.get("/messenger").text
    assert f'data-order="{order_id}"' in listed and 'title="Payment confirmation: pending">!' in listed
    page = seller.get(f"/orders/{order_id}").text
    assert "Payment confirmation:" in page and f'action="/orders/{order_id}/confirm-payment"' in page
    token = csrf_of(page)
    told: list[int] = []
    app.state.payment_confirmed = told.append  # what tells the shop, after the commit
    confirmed = seller.post(f"/orders/{order_id}/confirm-payment", data={"csrf_token": token, "reference": "TX-1"})
    assert confirmed.status_code == 303
    assert standing(db, order_id) == ("sent", "confirmed", "user:seller")
    again = seller.post(f"/orders/{order_id}/confirm-payment", data={"csrf_token": token})
    assert again.status_code == 303
    assert seeded.supplier.creates == 1 and told == [order_id]  # once: the repeat changed nothing
    page = seller.get(f"/orders/{order_id}").text
    assert "✓ confirmed" in page and "TX-1" in page and f'action="/orders/{order_id}/confirm-payment"' not in page
    assert f'data-order="{order_id}"' not in seller.get("/messenger").text


def test_a_rejection_without_a_reason_is_refused_and_what_was_typed_stays(app: FastAPI, db, seeded: Seeded,
                                                                          signed_in) -> None:  # type: ignore[no-untyped-def]
    order_id = _held(db)
    seller = _seller(db, signed_in)
    token = csrf_of(seller.get(f"/orders/{order_id}").text)
    refused = seller.post(f"/orders/{order_id}/reject-payment", data={"csrf_token": token, "reason": " "})
    assert refused.status_code == 400 and "say why" in refused.text
    done = seller.post(f"/orders/{order_id}/reject-payment", data={"csrf_token": token, "reason": "not paid yet"})
    assert done.status_code == 303
    assert standing(db, order_id) == ("awaiting_payment", "rejected", "user:seller")
    taken = seller.post(f"/orders/{order_id}/confirm-payment", data={"csrf_token": token, "reference": "TX-5"})
    assert taken.status_code == 303  # confirmed later after all
    with db.session() as s:
        assert s.get(PaymentConfirmation, order_id).transaction_reference == "TX-5"
    other = _other_held(db)
    reused = seller.post(f"/orders/{other}/confirm-payment", data={"csrf_token": token, "reference": "TX-5"})
    assert reused.status_code == 400 and "another order" in reused.text and 'value="TX-5"' in reused.text
    assert standing(db, other) == ("awaiting_payment", "pending", None)


def _other_held(db) -> int:  # type: ignore[no-untyped-def]
    with db.session() as s:
        shop = s.query(Order).filter(Order.external_id == "9001").one().channel_id
    ingest(db, shop, woo_body(order_id=9002))
    return order_id_of(db, "9002")


def test_an_account_without_the_permission_sees_no_controls_and_is_refused(app: FastAPI, db, seeded: Seeded,
                                                                           signed_in) -> None:  # type: ignore[no-untyped-def]
    order_id = _held(db)
    clerk = signed_in("clerk")  # reviews and edits orders, but confirms no payment
    page = clerk.get(f"/orders/{order_id}").text
    assert "Payment confirmation:" in page and f'action="/orders/{order_id}/confirm-payment"' not in page
    token = csrf_of(page)
    for path in ("confirm-payment", "reject-payment"):
        refused = clerk.post(f"/orders/{order_id}/{path}", data={"csrf_token": token, "reason": "x"})
        assert refused.status_code == 403
    assert clerk.post(f"/messenger/orders/{order_id}/confirm-payment", data={"csrf_token": token}).status_code == 403
    assert standing(db, order_id) == ("awaiting_payment", "pending", None)
    assert seeded.supplier.creates == 0


def test_the_api_confirms_and_rejects_with_the_permission_only(app: FastAPI, db, seeded: Seeded,
                                                               signed_in) -> None:  # type: ignore[no-untyped-def]
    order_id = _held(db)
    with db.session() as s:
        clerk = s.scalar(select(Account.id).where(Account.username == "clerk"))
        boss = s.scalar(select(Account.id).where(Account.username == "boss"))
        clerk_api = _api(app, accounts.create_token(s, clerk, "clerk"))
        api = _api(app, accounts.create_token(s, boss, "payments"))
    assert clerk_api.post(f"/api/orders/{order_id}/confirm-payment", json={}).status_code == 403
    assert api.post(f"/api/orders/{order_id}/reject-payment", json={"reason": ""}).status_code == 422
    assert api.get(f"/api/orders/{order_id}").json()["payment_confirmation"]["state"] == "pending"
    done = api.post(f"/api/orders/{order_id}/confirm-payment", json={"reference": "TX-API"})
    assert done.status_code == 200 and done.json()["ok"] is True
    assert standing(db, order_id)[0] == "sent" and seeded.supplier.creates == 1
    again = api.post(f"/api/orders/{order_id}/confirm-payment", json={})
    assert again.status_code == 200 and seeded.supplier.creates == 1
    late = api.post(f"/api/orders/{order_id}/reject-payment", json={"reason": "too late"})
    assert late.status_code == 409 and "confirmed" in late.json()["detail"]


def _api(app: FastAPI, token: str) -> TestClient:
    return TestClient(app, headers={"Authorization": f"Bearer {token}"})
