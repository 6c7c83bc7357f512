"""After-sales in the admin, on either backend: the lists, the creation form (a refused form keeps
what was typed), the after-sales order page and each of its actions, the stock-in/return page, the
refund page, the own stock page, channel refunds on the order page, the JSON API, the permissions
(refused on the server) and amounts kept from accounts without "view prices"."""

from __future__ import annotations

import base64
import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from sync import accounts, prices
from sync import after_sales as a
from sync import after_sales_rules as rules
from sync.account_models import Account
from sync.after_sales_models import AfterSalesOrder, RefundOrder, RefundProof
from sync.db import Database
from sync.messenger_models import MessengerOrder
from sync.stock import level, warehouse_named

from support.admin import PASSWORD, Seeded, csrf_of
from support.after_sales import ALLOWED, shopify_refunded_body, stored_order
from support.messenger import PNG, setup_store

Client = Callable[[str], TestClient]
HTML_AS_PNG = b"<!doctype html><html><script>alert(1)</script></html>"
SVG_AS_PNG = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"></svg>'


def _role(db: Database, name: str, permissions: list[str]) -> None:
    with db.session() as s:
        accounts.save_role(s, name, permissions)
        accounts.create_account(s, name, PASSWORD, role=name)


@pytest.fixture
def order_id(db: Database, seeded: Seeded) -> int:
    """A shipped, paid Shopify order: SKU-1 x2 at 10.00 and SKU-2 x1 at 5.00 (25.00 EUR)."""
    return stored_order(db, external_id="900")


def _token(client: TestClient, path: str = "/after-sales") -> str:
    return csrf_of(client.get(path).text)


def _create(client: TestClient, order_id: int, **fields: str) -> Any:
    token = _token(client, f"/after-sales/new?order={order_id}")
    data = {"csrf_token": token, "order": str(order_id), "kind": "return_refund", "line_0": "",
            "sku_0": "SKU-1", "quantity_0": "2", "include_0": "on", **fields}
    with_lines = {k: v for k, v in data.items() if v != ""}
    return client.post("/after-sales/new", data=with_lines)


def _line_ids(db: Database, order_id: int) -> list[int]:
    with db.session() as s:
        return [i.order_line_id for i in a.proposal(s, order_id)]  # type: ignore[misc]


def _only(db: Database) -> AfterSalesOrder:
    with db.session() as s:
        found = s.scalars(select(AfterSalesOrder)).one()
        s.expunge(found)
        return found


def test_the_order_page_offers_after_sales_only_when_it_qualifies_and_the_account_may(
        app: FastAPI, db: Database, seeded: Seeded, order_id: int, signed_in: Client) -> None:
    boss = signed_in("boss")
    assert 'id="start-after-sales"' in boss.get(f"/orders/{order_id}").text
    assert 'id="start-after-sales"' not in boss.get(f"/orders/{seeded.orders['postcode']}").text  # pending review
    assert 'id="start-after-sales"' not in signed_in("clerk").get(f"/orders/{order_id}").text
    refused = boss.get(f"/after-sales/new?order={seeded.orders['postcode']}")
    assert "only for orders to pickup, shipped, completed or cancelled" in refused.text


def test_create_from_the_order_removing_a_line_and_adding_an_item_priced_by_the_price_list(
        app: FastAPI, db: Database, order_id: int, signed_in: Client) -> None:
    with db.session() as s:
        prices.set_wholesale(s, "SKU-3", 1, None, Decimal("7.00"))
    boss = signed_in("boss")
    form = boss.get(f"/after-sales/new?order={order_id}").text
    assert 'name="include_0"' in form and 'name="include_1"' in form and 'value="10.00"' in form
    first, _second = _line_ids(db, order_id)
    made = _create(boss, order_id, line_0=str(first), quantity_0="1", line_1=str(_second), sku_1="SKU-2",
                   quantity_1="1", sku_2="SKU-3", quantity_2="2")  # line 1 not ticked: removed
    assert made.status_code == 303, made.text
    found = _only(db)
    assert made.headers["location"] == f"/after-sales/orders/{found.id}?done=created"
    with db.session() as s:
        items = {i.sku: (i.quantity, i.unit_price) for i in s.get(AfterSalesOrder, found.id).items}
    assert items == {"SKU-1": (1, Decimal("10.00")), "SKU-3": (2, Decimal("7.00"))}
    assert found.return_amount == Decimal("24.00") and found.state == rules.TO_CONFIRM
    page = boss.get(made.headers["location"]).text
    assert "After-sales order created." in page and "24.00 EUR" in page and "user:boss" in page


def test_a_refused_form_marks_the_field_and_keeps_what_was_typed(
        app: FastAPI, db: Database, order_id: int, signed_in: Client) -> None:
    boss = signed_in("boss")
    first, _ = _line_ids(db, order_id)
    bad = _create(boss, order_id, line_0=str(first), quantity_0="two", note="parcel dented",
                  return_tracking="RT-KEEP-1")
    assert bad.status_code == 400
    assert re.search(r'name="quantity_0" value="two"[^>]*aria-invalid="true"', bad.text)
    assert 'value="parcel dented"' in bad.text and 'value="RT-KEEP-1"' in bad.text
    over = _create(boss, order_id, line_0=str(first), quantity_0="3")
    assert over.status_code == 400 and "2 bought" in over.text and 'value="3"' in over.text
    assert re.search(r'name="quantity_0" value="3"[^>]*aria-invalid="true"', over.text)  # its row marked
    dear = _create(boss, order_id, line_0=str(first), quantity_0="1", unit_price_0="10.50")
    assert dear.status_code == 400 and "unit price of SKU-1: at most 10.00 was paid" in dear.text
    assert re.search(r'name="unit_price_0" value="10.50"[^>]*aria-invalid="true"', dear.text)
    cents = _create(boss, order_id, line_0=str(first), quantity_0="1", unit_price_0="1.234")
    assert "unit price of SKU-1: EUR amounts have 2 decimals at most" in cents.text
    offline = boss.post("/after-sales/new", data={"csrf_token": _token(boss), "kind": "refund_only",
                                                  "buyer_name": "Marta", "currency": "XYZ", "sku_0": "SKU-9",
                                                  "quantity_0": "1"})
    assert offline.status_code == 400 and "ISO 4217" in offline.text and 'value="Marta"' in offline.text
    assert 'class="bad">Currency' in offline.text
    with db.session() as s:
        assert s.scalar(select(AfterSalesOrder.id)) is None


def test_offline_creation_and_a_return_amount_needs_edit_prices(
        app: FastAPI, db: Database, order_id: int, signed_in: Client) -> None:
    boss = signed_in("boss")
    made = boss.post("/after-sales/new", data={
        "csrf_token": _token(boss), "kind": "refund_only", "buyer_name": "Marta Ruiz", "currency": "EUR",
        "sku_0": "SKU-9", "quantity_0": "1", "unit_price_0": "12.00"})
    assert made.status_code == 303, made.text
    assert _only(db).buyer_name == "Marta Ruiz" and _only(db).return_amount == Decimal("12.00")
    _role(db, "returns", ["review_orders", "manual_after_sales", "view_prices"])
    clerk = signed_in("returns")
    assert 'name="return_amount"' not in clerk.get(f"/after-sales/new?order={order_id}").text
    first, _ = _line_ids(db, order_id)
    refused = _create(clerk, order_id, line_0=str(first), return_amount="5.00")
    assert refused.status_code == 400 and "edit prices" in refused.text


def _confirmed_return(db: Database, order_id: int, tracking: str = "RT-100") -> int:
    with db.session() as s:
        found = a.create(s, kind=rules.RETURN_REFUND, order_id=order_id, actor="user:boss", **ALLOWED,
                         items=[a.ItemInput("SKU-1", 2)], return_tracking=tracking)
        return found.id


def test_return_and_refund_confirm_stock_in_by_tracking_refund_with_proof_and_confirm(
        app: FastAPI, db: Database, order_id: int, signed_in: Client) -> None:
    as_id = _confirmed_return(db, order_id)
    boss = signed_in("boss")
    token = _token(boss, f"/after-sales/orders/{as_id}")
    assert boss.post(f"/after-sales/orders/{as_id}/confirm",
                     data={"csrf_token": token, "stock_in": "no"}).status_code == 303
    assert 'data-state="confirm_return">Confirm return <b>1</b>' in boss.get("/after-sales").text
    found = boss.get("/after-sales/stock-in?tracking=RT-100").text
    assert "AS-000001" in found and 'name="received_0" value="2"' in found
    stocked = boss.post("/after-sales/stock-in", data={"csrf_token": token, "tracking": "RT-100",
                                                       "sku_0": "SKU-1", "received_0": "2"})
    assert stocked.status_code == 303 and stocked.headers["location"].endswith("done=stocked")
    again = boss.post("/after-sales/stock-in", data={"csrf_token": token, "tracking": "RT-100"})
    assert again.status_code == 400 and "no after-sales order waits" in again.text
    with db.session() as s:
        assert level(s, warehouse_named(s, "Main").id, "SKU-1") == 2
    assert "return stock-in" in boss.get("/stock").text
    refund = boss.post(f"/after-sales/orders/{as_id}/refunds",
                       data={"csrf_token": token, "amount": "20.00", "payment_info": "IBAN ES12"},
                       files={"proof": ("proof.png", PNG, "image/png")})
    assert refund.status_code == 303, refund.text
    with db.session() as s:
        refund_id = s.scalars(select(RefundOrder.id)).one()
    listed = boss.get("/after-sales/refunds").text
    assert "AS-000001" in listed and "20.00 EUR" in listed and "IBAN ES12" in listed
    proof = boss.get(f"/after-sales/refunds/{refund_id}/proof")
    assert proof.content == PNG and proof.headers["content-disposition"].startswith("attachment")
    done = boss.post(f"/after-sales/refunds/{refund_id}/confirm", data={"csrf_token": token, "back": "refunds"})
    assert done.status_code == 303 and done.headers["location"].startswith("/after-sales/refunds")
    assert _only(db).state == rules.COMPLETED
    page = boss.get(f"/after-sales/orders/{as_id}").text
    assert "refund order 1 of 20.00 EUR confirmed" in page and "confirmed with" not in page


@pytest.mark.parametrize("content", [HTML_AS_PNG, SVG_AS_PNG])
def test_a_proof_whose_bytes_are_html_or_svg_is_refused_whatever_its_name(
        app: FastAPI, db: Database, order_id: int, signed_in: Client, content: bytes) -> None:
    as_id = _confirmed_return(db, order_id)
    with db.session() as s:
        a.confirm(s, as_id, actor="user:boss", stock_in=True, **ALLOWED)
    boss = signed_in("boss")
    token = _token(boss, f"/after-sales/orders/{as_id}")
    refused = boss.post(f"/after-sales/orders/{as_id}/refunds",
                        data={"csrf_token": token, "amount": "5.00", "payment_info": "kept text"},
                        files={"proof": ("proof.png", content, "image/png")})
    assert refused.status_code == 400 and "payment proof" in refused.text
    assert 'value="kept text"' in refused.text and 'value="5.00"' in refused.text
    with db.session() as s:
        assert s.scalar(select(RefundProof.id)) is None and s.scalar(select(RefundOrder.id)) is None


def test_refund_only_reject_needs_a_reason_then_a_new_refund_is_confirmed(
        app: FastAPI, db: Database, order_id: int, signed_in: Client) -> None:
    boss = signed_in("boss")
    first, _ = _line_ids(db, order_id)
    made = _create(boss, order_id, kind="refund_only", line_0=str(first), quantity_0="1")
    as_id = _only(db).id
    token = _token(boss, made.headers["location"])
    assert boss.post(f"/after-sales/orders/{as_id}/confirm", data={"csrf_token": token}).status_code == 303
    assert _only(db).state == rules.CONFIRM_REFUND
    boss.post(f"/after-sales/orders/{as_id}/refunds", data={"csrf_token": token, "amount": "10.00"})
    with db.session() as s:
        refund_id = s.scalars(select(RefundOrder.id)).one()
    no_reason = boss.post(f"/after-sales/refunds/{refund_id}/reject", data={"csrf_token": token, "reason": " "})
    assert no_reason.status_code == 400 and "reason" in no_reason.text
    assert _only(db).state == rules.REFUND_PROCESSING
    rejected = boss.post(f"/after-sales/refunds/{refund_id}/reject",
                         data={"csrf_token": token, "reason": "wrong account"})
    assert rejected.status_code == 303 and _only(db).state == rules.CONFIRM_REFUND
    second = boss.post(f"/after-sales/orders/{as_id}/refunds", data={"csrf_token": token, "amount": "10.00"})
    assert second.status_code == 303
    with db.session() as s:
        newest = max(s.scalars(select(RefundOrder.id)))
    assert boss.post(f"/after-sales/refunds/{newest}/confirm", data={"csrf_token": token}).status_code == 303
    assert _only(db).state == rules.COMPLETED
    assert "wrong account" in boss.get(f"/after-sales/orders/{as_id}").text


def test_exchange_confirm_with_stock_in_generates_the_messenger_order_and_completes(
        app: FastAPI, db: Database, order_id: int, signed_in: Client) -> None:
    setup_store(db, sku="SKU-3", price="8.00")
    boss = signed_in("boss")
    first, _ = _line_ids(db, order_id)
    made = _create(boss, order_id, kind="exchange", line_0=str(first), quantity_0="1", ex_sku_0="SKU-3",
                   ex_quantity_0="1")
    assert made.status_code == 303, made.text
    as_id = _only(db).id
    token = _token(boss, made.headers["location"])
    assert boss.post(f"/after-sales/orders/{as_id}/confirm",
                     data={"csrf_token": token, "stock_in": "yes"}).status_code == 303
    no_store = boss.post(f"/after-sales/orders/{as_id}/exchange", data={"csrf_token": token})
    assert no_store.status_code == 400 and "messenger store" in no_store.text
    made_exchange = boss.post(f"/after-sales/orders/{as_id}/exchange",
                              data={"csrf_token": token, "store": "Chat shop"})
    assert made_exchange.status_code == 303
    found = _only(db)
    with db.session() as s:
        assert s.scalar(select(MessengerOrder.state).where(
            MessengerOrder.order_id == found.exchange_order_id)) == "waiting_to_approve"
    page = boss.get(f"/after-sales/orders/{as_id}").text
    assert 'id="exchange-order"' in page and 'id="refundable">2.00 EUR' in page
    refused = boss.post(f"/after-sales/orders/{as_id}/complete", data={"csrf_token": token})
    assert refused.status_code == 400 and "reason" in refused.text
    assert boss.post(f"/after-sales/orders/{as_id}/complete",
                     data={"csrf_token": token, "reason": "paid back in cash"}).status_code == 303
    assert _only(db).state == rules.COMPLETED


def test_tracking_cancel_and_a_lost_race_is_a_message_not_an_error(
        app: FastAPI, db: Database, order_id: int, signed_in: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    as_id = _confirmed_return(db, order_id, tracking="")
    boss = signed_in("boss")
    token = _token(boss, f"/after-sales/orders/{as_id}")
    assert boss.post(f"/after-sales/orders/{as_id}/tracking",
                     data={"csrf_token": token, "return_tracking": "RT-NEW"}).status_code == 303
    assert _only(db).return_tracking == "RT-NEW"
    real_move = rules.move

    def another_operator_first(session: Any, after_sales: AfterSalesOrder, *args: Any, **kwargs: Any) -> None:
        session.execute(AfterSalesOrder.__table__.update().where(AfterSalesOrder.id == after_sales.id)
                        .values(state=rules.CANCELLED))
        real_move(session, after_sales, *args, **kwargs)

    monkeypatch.setattr(rules, "move", another_operator_first)
    lost = boss.post(f"/after-sales/orders/{as_id}/confirm", data={"csrf_token": token})
    assert lost.status_code == 409 and "changed while it was being confirmed" in lost.text
    assert _only(db).state == rules.TO_CONFIRM  # nothing kept of either
    monkeypatch.setattr(rules, "move", real_move)
    assert boss.post(f"/after-sales/orders/{as_id}/cancel",
                     data={"csrf_token": token, "reason": "buyer kept it"}).status_code == 303
    assert _only(db).state == rules.CANCELLED
    listed = boss.get("/after-sales?state=cancelled&q=RT-NEW").text
    assert 'data-number="AS-000001"' in listed
    assert 'data-number="AS-000001"' not in boss.get("/after-sales?state=cancelled&q=nothing").text


def test_each_page_and_action_refuses_an_account_without_the_permission(
        app: FastAPI, db: Database, order_id: int, signed_in: Client) -> None:
    as_id = _confirmed_return(db, order_id)
    _role(db, "returns", ["review_orders", "manual_after_sales", "view_prices"])
    clerk, returns = signed_in("clerk"), signed_in("returns")
    token = _token(clerk, "/orders")
    for path in ("/after-sales", f"/after-sales/orders/{as_id}", "/after-sales/new", "/after-sales/stock-in",
                 "/stock", "/after-sales/refunds"):
        assert clerk.get(path).status_code == 403, path
    assert clerk.post(f"/after-sales/orders/{as_id}/confirm", data={"csrf_token": token}).status_code == 403
    assert returns.get("/after-sales/refunds").status_code == 403
    token = _token(returns)
    with db.session() as s:
        a.confirm(s, as_id, actor="user:boss", stock_in=True, **ALLOWED)
    page = returns.get(f"/after-sales/orders/{as_id}").text
    assert 'id="new-refund"' not in page
    refused = returns.post(f"/after-sales/orders/{as_id}/refunds", data={"csrf_token": token, "amount": "1.00"})
    assert refused.status_code == 403
    assert _only(db).state == rules.RECEIVED_RETURN


def test_an_account_without_view_prices_sees_no_amount_in_pages_or_api(
        app: FastAPI, db: Database, order_id: int, signed_in: Client) -> None:
    as_id = _confirmed_return(db, order_id)
    with db.session() as s:
        a.confirm(s, as_id, actor="user:boss", stock_in=True, **ALLOWED)
        from sync import after_sales_refunds as refunds

        refunds.create_refund(s, as_id, amount="20.00", actor="user:boss", can_refund=True,
                              payment_info="paid 20.00 EUR by transfer")
    _role(db, "noprices", ["review_orders", "manual_after_sales", "after_sales_refund"])
    client = signed_in("noprices")
    for path in ("/after-sales?state=all", f"/after-sales/orders/{as_id}", "/after-sales/refunds",
                 f"/after-sales/new?order={order_id}", f"/orders/{order_id}"):
        text = client.get(path).text
        assert "20.00" not in text and "10.00" not in text and "25.00" not in text, path
    with db.session() as s:
        account = s.scalars(select(Account).where(Account.username == "noprices")).one()
        token = accounts.create_token(s, account.id, "script")
    api = TestClient(app, headers={"Authorization": f"Bearer {token}"})
    one = api.get(f"/api/after-sales/{as_id}").json()
    assert "return_amount" not in one and "refundable" not in one and "unit_price" not in one["items"][0]
    assert "amount" not in one["refund_orders"][0] and "20.00" not in str(one)
    assert "return_amount" not in api.get("/api/after-sales").json()["after_sales"][0]
    sheet = client.get("/after-sales.csv").text
    assert sheet.startswith("number,type,state") and "AS-000001" in sheet and "amount" not in sheet
    assert "20.00" not in sheet
    full = signed_in("boss").get("/after-sales.csv?state=refund_processing").text
    assert "return_amount" in full.splitlines()[0] and "20.00" in full


def test_channel_refunds_on_the_order_page_start_an_after_sales_order(
        app: FastAPI, db: Database, seeded: Seeded, signed_in: Client) -> None:
    order_id = stored_order(db, external_id="901", raw=shopify_refunded_body())
    boss = signed_in("boss")
    page = boss.get(f"/orders/{order_id}").text
    assert "Refunds reported by the channel" in page and "509562969" in page and "10.00 EUR" in page
    started = boss.post(f"/orders/{order_id}/channel-refunds/start",
                        data={"csrf_token": csrf_of(page), "refund_id": "509562969", "kind": "refund_only"})
    assert started.status_code == 303
    assert _only(db).channel_refund_id == "509562969"
    twice = boss.post(f"/orders/{order_id}/channel-refunds/start",
                      data={"csrf_token": csrf_of(page), "refund_id": "509562969", "kind": "refund_only"})
    assert twice.status_code == 400 and "started AS-000001 already" in twice.text


def test_add_a_warehouse_and_a_duplicate_is_refused_with_the_name_kept(
        app: FastAPI, db: Database, signed_in: Client) -> None:
    boss = signed_in("boss")
    token = _token(boss, "/stock")
    assert boss.post("/stock/warehouses", data={"csrf_token": token, "name": "Returns shelf"}).status_code == 303
    twice = boss.post("/stock/warehouses", data={"csrf_token": token, "name": "Returns shelf"})
    assert twice.status_code == 400 and "exists already" in twice.text and 'value="Returns shelf"' in twice.text
    assert "Returns shelf" in boss.get("/stock").text


def test_the_api_creates_confirms_stocks_in_refunds_and_exchanges(
        app: FastAPI, db: Database, order_id: int) -> None:
    setup_store(db, sku="SKU-3", price="8.00")
    with db.session() as s:
        boss = s.scalars(select(Account).where(Account.username == "boss")).one()
        token = accounts.create_token(s, boss.id, "script")
    api = TestClient(app, headers={"Authorization": f"Bearer {token}"})
    made = api.post("/api/after-sales", json={"type": "exchange", "order_id": order_id,
                                              "items": [{"sku": "SKU-1", "quantity": 1}],
                                              "exchange_items": [{"sku": "SKU-3", "quantity": 1}]})
    assert made.status_code == 201, made.text
    body = made.json()
    assert (body["number"], body["state"], body["return_amount"], body["exchange_amount"]) == \
        ("AS-000001", "to_confirm", "10.00", "8.00")
    as_id = body["id"]
    assert api.post(f"/api/after-sales/{as_id}/stock-in", json={}).status_code == 422  # not confirmed yet
    assert api.post(f"/api/after-sales/{as_id}/confirm", json={"stock_in": False}).json()["state"] == \
        "confirm_exchange"
    stocked = api.post(f"/api/after-sales/{as_id}/stock-in", json={"received": {"SKU-1": 1}})
    assert stocked.json()["state"] == "received_return"
    exchanged = api.post(f"/api/after-sales/{as_id}/exchange", json={"store": "Chat shop"})
    assert exchanged.status_code == 200 and exchanged.json()["exchange_order_id"]
    too_much = api.post(f"/api/after-sales/{as_id}/refunds", json={"amount": "2.01"})
    assert too_much.status_code == 422 and too_much.json()["field"] == "amount"
    bad_proof = api.post(f"/api/after-sales/{as_id}/refunds",
                         json={"amount": "2.00", "proof_base64": base64.b64encode(HTML_AS_PNG).decode()})
    assert bad_proof.status_code == 422 and bad_proof.json()["field"] == "proof"
    refund = api.post(f"/api/after-sales/{as_id}/refunds",
                      json={"amount": "2.00", "proof_base64": base64.b64encode(PNG).decode()})
    assert refund.status_code == 201 and refund.json()["state"] == "requested"
    refund_id = refund.json()["id"]
    assert api.post(f"/api/after-sales/refunds/{refund_id}/reject", json={"reason": ""}).status_code == 422
    assert api.post(f"/api/after-sales/refunds/{refund_id}/confirm").json()["state"] == "confirmed"
    assert api.post(f"/api/after-sales/refunds/{refund_id}/confirm").status_code == 409
    assert api.get("/api/after-sales/999999").status_code == 404
    listed = api.get("/api/after-sales", params={"state": "completed"}).json()["after_sales"]
    assert [r["number"] for r in listed] == ["AS-000001"]
