"""The seller's messenger pages: the order form (prices checked on the server), the pending lists
and their links, approval, payment confirmation, and forwarding once the payment is confirmed."""

from __future__ import annotations

import pytest
from fastapi import FastAPI

from sync import accounts
from sync import messenger_payment as payment
from sync.messenger_models import MessengerOrder
from sync.models import Order

from support.admin import PASSWORD, Seeded, csrf_of
from support.messenger import BUYER, PNG, setup_store


def _seller(db, signed_in, *, prices: bool):  # type: ignore[no-untyped-def]
    with db.session() as s:
        permissions = ["messenger_orders", "review_orders"] + (["edit_prices", "view_prices"] if prices else [])
        accounts.save_role(s, f"seller{int(prices)}", permissions)
        accounts.create_account(s, f"seller{int(prices)}", PASSWORD, role=f"seller{int(prices)}")
    return signed_in(f"seller{int(prices)}")


def _create(client, **extra):  # type: ignore[no-untyped-def]
    token = csrf_of(client.get("/messenger").text)
    data = {"csrf_token": token, "store": "Chat shop", "sku_0": "SKU-1", "quantity_0": "2",
            "payment_method": "Bank transfer", "save_as": "waiting_to_approve", **BUYER, **extra}
    return client.post("/messenger/orders", data=data), token


def test_a_sub_account_without_price_permission_cannot_set_a_price(app: FastAPI, db, seeded: Seeded,
                                                                   signed_in) -> None:  # type: ignore[no-untyped-def]
    setup_store(db)
    clerk = _seller(db, signed_in, prices=False)
    assert 'name="unit_price_0"' not in clerk.get("/messenger").text
    refused, _ = _create(clerk, unit_price_0="1.00")
    assert refused.status_code == 400 and "edit prices" in refused.text
    owner = _seller(db, signed_in, prices=True)
    made, _ = _create(owner, unit_price_0="1.00")
    assert made.status_code == 200
    with db.session() as s:
        assert [str(o.total) for o in s.query(Order).join(MessengerOrder)] == ["2.00"]


def test_link_approve_confirm_and_the_order_is_forwarded(app: FastAPI, db, seeded: Seeded,
                                                         signed_in) -> None:  # type: ignore[no-untyped-def]
    setup_store(db)
    seller = _seller(db, signed_in, prices=False)
    made, token = _create(seller)
    assert made.status_code == 200
    with db.session() as s:
        order_id = s.query(MessengerOrder).one().order_id
    linked = seller.post(f"/messenger/orders/{order_id}/link", data={"csrf_token": token})
    assert "/m/" in linked.text
    approved = seller.post(f"/messenger/orders/{order_id}/approve", data={"csrf_token": token})
    assert approved.status_code == 303
    with db.session() as s:
        assert s.get(Order, order_id).status == "awaiting_payment"
        payment.upload(s, order_id, PNG, actor="buyer")
    page = seller.get("/messenger").text
    assert 'title="Payment confirmation: pending">!' in page
    confirmed = seller.post(f"/messenger/orders/{order_id}/confirm-payment",
                            data={"csrf_token": token, "reference": "TX-77"})
    assert confirmed.status_code == 303
    with db.session() as s:
        assert s.get(Order, order_id).status == "sent"
    assert seeded.supplier.creates == 1  # the fake supplier received it once


def test_disapprove_needs_a_reason_and_the_pages_need_the_permission(app: FastAPI, db, seeded: Seeded,
                                                                     signed_in) -> None:  # type: ignore[no-untyped-def]
    setup_store(db)
    seller = _seller(db, signed_in, prices=False)
    _, token = _create(seller)
    with db.session() as s:
        order_id = s.query(MessengerOrder).one().order_id
    assert seller.post(f"/messenger/orders/{order_id}/disapprove", data={"csrf_token": token}).status_code == 400
    done = seller.post(f"/messenger/orders/{order_id}/disapprove", data={"csrf_token": token, "reason": "no stock"})
    assert done.status_code == 303
    assert "no stock" in seller.get("/messenger").text
    assert signed_in("clerk").get("/messenger").status_code == 403


def test_a_messenger_store_is_a_channel_in_every_list(app: FastAPI, db, seeded: Seeded,
                                                      signed_in) -> None:  # type: ignore[no-untyped-def]
    from sync import messenger as m

    setup_store(db)
    with db.session() as s:
        order_id = m.create(s, store="Chat shop", lines=[m.LineInput("SKU-1", 1)], actor="user:boss",
                            can_edit_prices=False, buyer=BUYER, for_approval=True)
        with pytest.raises(m.MessengerError, match="no payment method"):
            m.approve(s, order_id, actor="user:boss")
        s.get(MessengerOrder, order_id).payment_method_id = m.payment_method(s, "Cash on delivery").id
        m.approve(s, order_id, actor="user:boss")
        store_id = s.get(Order, order_id).channel_id
    boss = signed_in("boss")
    listed = boss.get("/orders", params={"status": "all"})
    assert listed.status_code == 200 and f"/orders/{order_id}" in listed.text and "Chat shop" in listed.text
    only = boss.get("/orders", params={"status": "all", "channel": str(store_id)})
    assert f"/orders/{order_id}" in only.text and f"/orders/{seeded.orders['surname']}" not in only.text
    for path in (f"/orders/{order_id}", "/channels", "/dashboard"):
        answer = boss.get(path)
        assert answer.status_code == 200 and "Chat shop" in answer.text, path


def test_the_order_form_finds_buyers_and_products(app: FastAPI, db, seeded: Seeded,
                                                  signed_in) -> None:  # type: ignore[no-untyped-def]
    from sync import customer_book

    setup_store(db)
    with db.session() as s:
        code = customer_book.add(s, {"first_name": "Nuria", "phone": "+34611222333"}).customer_code
    seller = _seller(db, signed_in, prices=False)
    found = seller.get("/messenger", params={"buyer": "Nuria", "product": "Lamp"}).text
    assert code in found and "<code>SKU-1</code>" in found
    assert code not in seller.get("/messenger", params={"buyer": "Zzz"}).text


def test_a_link_made_here_shows_when_it_stops_working_and_follows_its_store(
        app: FastAPI, db, seeded: Seeded, signed_in) -> None:  # type: ignore[no-untyped-def]
    from datetime import timedelta

    from sync.messenger_models import MessengerLink

    setup_store(db)
    seller = _seller(db, signed_in, prices=False)
    _, token = _create(seller)
    with db.session() as s:
        order_id = s.query(MessengerOrder).one().order_id
        store_id = s.get(Order, order_id).channel_id
    saved = seller.post(f"/messenger/stores/{store_id}/settings", data={"csrf_token": token, "link_hours": "8"})
    assert saved.status_code == 303
    assert 'name="link_hours" size="6" inputmode="decimal" value="8"' in seller.get("/messenger").text
    linked = seller.post(f"/messenger/orders/{order_id}/link", data={"csrf_token": token})
    with db.session() as s:
        link = s.query(MessengerLink).filter(MessengerLink.revoked_at.is_(None)).one()
    assert link.expires_at - link.created_at == timedelta(hours=8)
    assert f"It works until {link.expires_at:%Y-%m-%d %H:%M} UTC" in linked.text


@pytest.mark.parametrize("typed", ["0", "2161", "soon"])
def test_store_link_hours_out_of_bounds_are_refused_and_kept_as_typed(
        app: FastAPI, db, seeded: Seeded, signed_in, typed: str) -> None:  # type: ignore[no-untyped-def]
    from sync.models import Channel

    setup_store(db)
    seller = _seller(db, signed_in, prices=False)
    token = csrf_of(seller.get("/messenger").text)
    with db.session() as s:
        store_id = s.query(Channel).filter(Channel.name == "Chat shop").one().id
    refused = seller.post(f"/messenger/stores/{store_id}/settings", data={"csrf_token": token, "link_hours": typed})
    assert refused.status_code == 400 and "link hours" in refused.text and f'value="{typed}"' in refused.text
    added = seller.post("/messenger/stores", data={"csrf_token": token, "name": "New shop", "link_hours": typed})
    assert added.status_code == 400 and 'value="New shop"' in added.text
    with db.session() as s:
        assert s.query(Channel).filter(Channel.name == "Chat shop").one().settings == {"currency": "EUR"}
        assert s.query(Channel).filter(Channel.name == "New shop").count() == 0


def test_the_api_makes_a_link_with_the_store_lifetime_or_the_hours_given(app: FastAPI, db,
                                                                        seeded: Seeded) -> None:
    from datetime import timedelta

    from fastapi.testclient import TestClient

    from sync import messenger as m
    from sync import messenger_links as links
    from sync.account_models import Account

    from support.messenger import new_order

    setup_store(db)
    order_id = new_order(db)
    with db.session() as s:
        m.edit_store(s, "Chat shop", {"link_hours": 10})
        boss = s.query(Account).filter_by(username="boss").one()
        headers = {"Authorization": f"Bearer {accounts.create_token(s, boss.id, 'links')}"}
    client = TestClient(app, follow_redirects=False)

    def lifetime(answer) -> timedelta:  # type: ignore[no-untyped-def]
        assert answer.status_code == 200, answer.text
        with db.session() as s:
            link = links.resolve(s, answer.json()["url"].rsplit("/m/", 1)[1])
            assert answer.json()["expires_at"].startswith(f"{link.expires_at:%Y-%m-%dT%H:%M}")
            return link.expires_at - link.created_at

    assert lifetime(client.post(f"/api/messenger/orders/{order_id}/link", headers=headers)) == timedelta(hours=10)
    assert lifetime(client.post(f"/api/messenger/orders/{order_id}/link?hours=3", headers=headers)) \
        == timedelta(hours=3)
    refused = client.post(f"/api/messenger/orders/{order_id}/link?hours=0.5", headers=headers)
    assert refused.status_code == 422 and refused.json()["field"] == "link_hours"
    assert client.post("/api/messenger/orders/999/link", headers=headers).status_code == 409


@pytest.mark.parametrize("page", ["/messenger/orders/{id}/confirm-payment", "/orders/{id}/confirm-payment"])
def test_a_self_delivered_order_confirmed_on_either_page_waits_for_its_shipment(
        app: FastAPI, db, seeded: Seeded, signed_in, page: str) -> None:  # type: ignore[no-untyped-def]
    from support.messenger import self_delivered, setup_warehouse

    setup_store(db)
    setup_warehouse(db)
    seller = _seller(db, signed_in, prices=False)
    token = csrf_of(seller.get("/messenger").text)
    order_id = self_delivered(db, method="Bank transfer")
    with db.session() as s:
        assert s.get(Order, order_id).status == "awaiting_payment"
    confirmed = seller.post(page.format(id=order_id), data={"csrf_token": token})
    assert confirmed.status_code == 303
    with db.session() as s:
        assert s.get(Order, order_id).status == "awaiting_shipment"
    assert seeded.supplier.creates == 0


@pytest.mark.parametrize("typed", [{"quantity_0": "abc"}, {"currency": "ZZZ"}, {"weight_0": "-3"},
                                   {"bulk": "NO-SUCH-SKU,2"}, {"phone": "abc"}])
def test_a_refused_order_form_marks_the_field_and_keeps_what_was_typed(
        app: FastAPI, db, seeded: Seeded, signed_in, typed: dict[str, str]) -> None:  # type: ignore[no-untyped-def]
    setup_store(db)
    refused, _ = _create(_seller(db, signed_in, prices=True), **typed)
    assert refused.status_code == 400
    [(name, value)] = typed.items()
    field = refused.text.split(f'name="{name}"', 1)[1].split(">", 1)[0]
    assert 'aria-invalid="true"' in field and (f'value="{value}"' in field or name == "bulk"), field
    assert refused.text.count('aria-invalid="true"') == 1  # that field only
