"""The seller's messenger pages and API for self delivery and line edits: the create form with
logistics, warehouse, currency, weights, ticked search results and a pasted list (refusals keep
what was typed), the order page that edits lines before approval, and shipping by hand."""

from __future__ import annotations

import re
from decimal import Decimal

from fastapi import FastAPI
from sqlalchemy import select

from sync import accounts, prices
from sync import messenger as m
from sync import messenger_links as links
from sync.messenger_models import MessengerOrder
from sync.models import CatalogueItem, Channel, Order, Shipment, SupplierProduct

from support.admin import PASSWORD, Seeded, csrf_of
from support.messenger import BUYER, new_order, self_delivered, setup_store, setup_warehouse


def _clerk(db, signed_in):  # type: ignore[no-untyped-def]
    with db.session() as s:
        accounts.save_role(s, "chat clerk", ["messenger_orders", "review_orders"])
        accounts.create_account(s, "chatclerk", PASSWORD, role="chat clerk")
    return signed_in("chatclerk")


def _ready(db) -> None:  # type: ignore[no-untyped-def]
    setup_store(db)
    setup_warehouse(db, stock_levels={"SKU-1": 10, "SKU-2": 5})
    with db.session() as s:
        s.merge(CatalogueItem(sku="SKU-2", supplier_sku="SKU-2", title="Shade"))
        prices.set_wholesale(s, "SKU-2", 1, None, Decimal("4.00"))
        supplier = s.scalar(select(Channel.id).where(Channel.role == "supplier"))
        s.add(SupplierProduct(supplier_id=supplier, sku="SKU-2", product_id="2", gtin="08412345678905"))


def test_the_create_form_takes_self_delivery_a_list_and_ticked_products(app: FastAPI, db, seeded: Seeded,
                                                                        signed_in) -> None:  # type: ignore[no-untyped-def]
    _ready(db)
    boss = signed_in("boss")
    page = boss.get("/messenger").text
    assert "Self delivery" in page and "<option >Shop floor</option>" in page.replace("<option>", "<option >")
    found = boss.get("/messenger/products", params={"product": "8412345678905"}, headers={"HX-Request": "true"})
    assert 'name="pick_SKU-2"' in found.text and "GTIN 8412345678905" in found.text
    token = csrf_of(page)
    data = {"csrf_token": token, "store": "Chat shop", "logistics": "self_delivery", "warehouse": "Shop floor",
            "currency": "usd", "sku_0": "SKU-1", "quantity_0": "1", "weight_0": "0.75", "pick_SKU-2": "on",
            "pick_qty_SKU-2": "2", "bulk": "SKU-1,2\nGHOST 4\nSKU-1 x", "payment_method": "Cash on delivery",
            "save_as": "waiting_to_approve", **BUYER}
    refused = boss.post("/messenger/orders", data=data)
    assert refused.status_code == 400
    assert "GHOST 4 (unknown SKU)" in refused.text and "SKU-1 x (not SKU,quantity)" in refused.text
    assert "SKU-1,2\nGHOST 4\nSKU-1 x</textarea>" in refused.text  # the list as typed
    assert 'value="0.75"' in refused.text
    assert "<option selected>Cash on delivery</option>" in refused.text  # the payment method as chosen
    kept_ticked = boss.post("/messenger/orders", data={**data, "use_last_price": "on"})
    assert kept_ticked.status_code == 400 and 'name="use_last_price" checked' in kept_ticked.text
    with db.session() as s:
        assert s.scalar(select(MessengerOrder)) is None
    made = boss.post("/messenger/orders", data={**data, "bulk": "SKU-1,2"})
    assert made.status_code == 200, made.text
    with db.session() as s:
        order = s.scalar(select(Order).join(MessengerOrder, MessengerOrder.order_id == Order.id))
        assert order.currency == "USD"
        assert [(ln.sku, ln.quantity, str(ln.weight)) for ln in order.lines] == [("SKU-1", 3, "0.750"),
                                                                               ("SKU-2", 2, "None")]
        assert s.get(MessengerOrder, order.id).logistics == "self_delivery"
    for bad, said in ((dict(currency="EURO"), "ISO 4217"), (dict(warehouse="supplier"), "one of your warehouses"),
                      (dict(weight_0="-1"), "weight of SKU-1")):
        again = boss.post("/messenger/orders", data={**data, "bulk": "", **bad})
        assert again.status_code == 400 and said in again.text, bad


def test_the_order_page_edits_lines_and_the_second_editor_loses(app: FastAPI, db, seeded: Seeded,
                                                                signed_in) -> None:  # type: ignore[no-untyped-def]
    _ready(db)
    order_id = new_order(db)
    clerk = _clerk(db, signed_in)
    page = clerk.get(f"/messenger/orders/{order_id}").text
    assert 'id="edit-lines"' in page and 'name="unit_price_0"' not in page
    token = csrf_of(page)
    form = {"csrf_token": token, "revision": "0", "sku_0": "SKU-1", "quantity_0": "4", "weight_0": "1.5",
            "sku_1": "SKU-2", "quantity_1": "1"}
    saved = clerk.post(f"/messenger/orders/{order_id}/lines", data=form)
    assert saved.status_code == 303
    shown = clerk.get(saved.headers["location"]).text
    assert 'id="total-weight">6.000 kg' in shown
    lost = clerk.post(f"/messenger/orders/{order_id}/lines", data={**form, "quantity_0": "9"})
    assert lost.status_code == 409 and "nothing was done" in lost.text
    assert re.search(r'name="quantity_0"[^>]*value="9"', lost.text)  # what was typed is kept
    priced = clerk.post(f"/messenger/orders/{order_id}/lines", data={**form, "revision": "1", "unit_price_0": "0.01"})
    assert priced.status_code == 400 and "edit prices" in priced.text
    removed = clerk.post(f"/messenger/orders/{order_id}/lines", data={**form, "revision": "1", "remove_1": "on"})
    assert removed.status_code == 303
    with db.session() as s:
        assert [(ln.sku, ln.quantity) for ln in s.get(Order, order_id).lines] == [("SKU-1", 4)]
    api = clerk.put(f"/api/messenger/orders/{order_id}/lines", headers={"X-CSRF-Token": token},
                    json={"revision": 1, "lines": [{"sku": "SKU-1", "quantity": 1}]})
    assert api.status_code == 409 and "nothing was done" in api.json()["detail"]
    api = clerk.put(f"/api/messenger/orders/{order_id}/lines", headers={"X-CSRF-Token": token},
                    json={"revision": 2, "lines": [{"sku": "SKU-1", "quantity": 1, "weight": "2"}]})
    assert api.status_code == 200 and api.json()["message"] == "lines saved (revision 3)"


def test_shipping_by_hand_from_the_list_the_page_and_the_api(app: FastAPI, db, seeded: Seeded,
                                                             signed_in) -> None:  # type: ignore[no-untyped-def]
    _ready(db)
    first = self_delivered(db, approve=False)
    with db.session() as s:
        token_for_buyer = links.new_link(s, first, actor="user:boss")
        m.approve(s, first, actor="user:boss")
    second, third = self_delivered(db), self_delivered(db, quantity=50)
    boss = signed_in("boss")
    listed = boss.get("/messenger").text
    assert listed.count('action="/messenger/orders/') and f'/messenger/orders/{first}/ship' in listed
    token = csrf_of(listed)
    refused = boss.post(f"/messenger/orders/{first}/ship", data={"csrf_token": token, "carrier": "SEUR",
                                                                 "tracking": "SE 1"})
    assert refused.status_code == 400 and "without spaces" in refused.text and 'value="SEUR"' in refused.text
    shipped = boss.post(f"/messenger/orders/{first}/ship", data={"csrf_token": token, "carrier": "SEUR",
                                                                 "tracking": "SE123"})
    assert shipped.status_code == 303
    assert "Shipped with SEUR, tracking <code>SE123</code>" in boss.get(shipped.headers["location"]).text
    buyer = boss.get(f"/m/{token_for_buyer}").text
    assert re.search(r'id="step">[^<]*[Ss]hipped', buyer) and "SE123" in buyer and "(SEUR)" in buyer
    api = boss.post(f"/api/messenger/orders/{second}/ship", headers={"X-CSRF-Token": token},
                    json={"carrier": "GLS", "tracking": "GL9"})
    assert api.status_code == 200 and api.json()["ok"] is True
    short = boss.post(f"/api/messenger/orders/{third}/ship", headers={"X-CSRF-Token": token},
                      json={"carrier": "GLS", "tracking": "GL10"})
    assert short.status_code == 422 and "not enough stock" in short.json()["detail"]
    again = boss.post(f"/api/messenger/orders/{second}/ship", headers={"X-CSRF-Token": token},
                      json={"carrier": "GLS", "tracking": "GL11"})
    assert again.status_code == 422 and "it is shipped" in again.json()["detail"]
    with db.session() as s:
        assert sorted(s.scalars(select(Shipment.tracking_number).where(Shipment.supplier_order_row_id.is_(None)))) == [
            "GL9", "SE123"]
        assert s.get(Order, third).status == "awaiting_shipment"
    viewer = signed_in("viewer")  # no "messenger orders": refused on the server
    assert viewer.post(f"/messenger/orders/{third}/ship", data={"csrf_token": csrf_of(viewer.get("/orders").text),
                                                                "carrier": "X", "tracking": "Y"}).status_code == 403
