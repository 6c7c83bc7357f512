"""The order page and its actions: edit the delivery address (a bad form comes back marked, with
everything typed), resubmit and see it sent, mark sent manually, cancel, bulk actions, and the
server refusing what a role does not allow."""

from __future__ import annotations

import re
from collections.abc import Callable

from fastapi.testclient import TestClient

from sync.account_models import Account
from sync.db import Database
from sync.models import Order, OrderEvent, SupplierOrderRow

from support.admin import Seeded, csrf_of

Client = Callable[[str], TestClient]
GOOD_ADDRESS = {"first_name": "Lucia", "last_name": "Martinez", "address1": "Calle Mayor 1", "city": "Valencia",
                "postcode": "46005", "country_code": "ES", "phone": "+34600000000", "email": "lucia@example.com"}


def _status(db: Database, order_id: int) -> str:
    with db.session() as s:
        o = s.get(Order, order_id)
        assert o is not None
        return o.status


def _post(client: TestClient, path: str, data: dict[str, str] | None = None, page: str = "/orders"):  # type: ignore[no-untyped-def]
    token = csrf_of(client.get(page).text)
    return client.post(path, data={"csrf_token": token, **(data or {})})


def test_the_order_page_shows_both_sides_the_flagged_field_and_the_history(seeded: Seeded,
                                                                           signed_in: Client) -> None:
    html = signed_in("boss").get(f"/orders/{seeded.orders['surname']}").text
    assert "On the channel" in html and "In OrderHub" in html
    assert 'class="redbox"' in html and "Missing surname" in html
    assert re.search(r'<label class="\s*flag">Surname', html)  # the offending field is marked in the form
    assert "Resubmit order" in html and "Order sent manually" in html and "would be a duplicate" in html
    assert "History" in html and "Pending review" in html


def test_a_bad_address_comes_back_with_the_field_marked_and_everything_typed(db: Database, seeded: Seeded,
                                                                             signed_in: Client) -> None:
    client = signed_in("clerk")
    order_id = seeded.orders["surname"]
    typed = {**GOOD_ADDRESS, "last_name": "Martínez Ruiz", "postcode": "4600", "company": "Casa <b>Lucia</b>"}
    answer = _post(client, f"/orders/{order_id}/address", typed, page=f"/orders/{order_id}")
    assert answer.status_code == 400
    assert re.search(r'<label class="bad\s*">Postcode\s*<input name="postcode" value="4600" aria-invalid="true">',
                     answer.text)
    for value in ("Martínez Ruiz", "Casa &lt;b&gt;Lucia&lt;/b&gt;", "Calle Mayor 1", "+34600000000"):
        assert f'value="{value}"' in answer.text
    with db.session() as s:
        o = s.get(Order, order_id)
        assert o is not None and (o.shipping_address or {}).get("last_name") is None  # nothing saved


def test_fix_the_surname_resubmit_and_the_order_is_sent(db: Database, seeded: Seeded, signed_in: Client) -> None:
    client = signed_in("clerk")
    order_id = seeded.orders["surname"]
    saved = _post(client, f"/orders/{order_id}/address", GOOD_ADDRESS, page=f"/orders/{order_id}")
    assert saved.status_code == 303 and saved.headers["location"] == f"/orders/{order_id}?done=address"
    answer = _post(client, f"/orders/{order_id}/resubmit", page=f"/orders/{order_id}")
    assert answer.status_code == 303
    assert _status(db, order_id) == "sent" and seeded.supplier.creates == 1
    page = client.get(answer.headers["location"]).text
    assert "Order checked again." in page and 'class="state s-sent"' in page
    with db.session() as s:
        actors = {e.actor for e in s.query(OrderEvent).filter(OrderEvent.order_id == order_id)}
    assert "user:clerk" in actors


def test_resubmitting_an_order_still_wrong_keeps_it_in_review(db: Database, seeded: Seeded,
                                                            signed_in: Client) -> None:
    order_id = seeded.orders["postcode"]
    answer = _post(signed_in("clerk"), f"/orders/{order_id}/resubmit", page=f"/orders/{order_id}")
    assert answer.status_code == 303 and _status(db, order_id) == "pending_review"
    assert seeded.supplier.creates == 0


def test_mark_sent_manually_records_the_reference_and_refuses_a_second_time(db: Database, seeded: Seeded,
                                                                          signed_in: Client) -> None:
    client = signed_in("clerk")
    order_id = seeded.orders["unknown_sku"]
    empty = _post(client, f"/orders/{order_id}/mark-sent", {"reference": "  "}, page=f"/orders/{order_id}")
    assert empty.status_code == 400 and _status(db, order_id) == "pending_review"
    assert '<details class="manual" open>' in empty.text
    done = _post(client, f"/orders/{order_id}/mark-sent", {"reference": "BB-MANUAL-1"}, page=f"/orders/{order_id}")
    assert done.status_code == 303 and _status(db, order_id) == "sent"
    with db.session() as s:
        row = s.query(SupplierOrderRow).filter(SupplierOrderRow.order_id == order_id).one()
        assert (row.internal_reference, row.source) == ("BB-MANUAL-1", "manual")
    again = _post(client, f"/orders/{order_id}/mark-sent", {"reference": "BB-MANUAL-2"}, page=f"/orders/{order_id}")
    assert again.status_code == 400 and "only orders pending review" in again.text


def test_cancel_once_and_the_second_operator_is_told_it_is_done(db: Database, seeded: Seeded,
                                                                signed_in: Client) -> None:
    order_id = seeded.orders["postcode"]
    first, second = signed_in("clerk"), signed_in("boss")
    token = csrf_of(second.get(f"/orders/{order_id}").text)  # the second operator has the page open
    assert _post(first, f"/orders/{order_id}/cancel", page=f"/orders/{order_id}").status_code == 303
    late = second.post(f"/orders/{order_id}/cancel", data={"csrf_token": token})
    assert late.status_code == 409 and f"order {order_id} is cancelled already" in late.text
    assert _status(db, order_id) == "cancelled"


def test_bulk_resubmit_and_cancel_report_each_order(db: Database, seeded: Seeded, signed_in: Client) -> None:
    client = signed_in("boss")
    with db.session() as s:  # the surname is fixed outside the list
        o = s.get(Order, seeded.orders["surname"])
        assert o is not None
        o.shipping_address = {**(o.shipping_address or {}), "last_name": "Martinez"}
    ids = [str(seeded.orders[k]) for k in ("surname", "postcode")]
    token = csrf_of(client.get("/orders").text)
    answer = client.post("/orders/bulk", data={"csrf_token": token, "action": "resubmit", "ids": ids})
    assert answer.status_code == 200 and "Resubmitted: 1 of 2" in answer.text
    # each order by its number in the shop, as the operator knows it
    assert f'href="/orders/{seeded.orders["surname"]}">Order #101</a>' in answer.text
    assert f'href="/orders/{seeded.orders["postcode"]}">Order #102</a>' in answer.text
    assert _status(db, seeded.orders["surname"]) == "sent"
    answer = client.post("/orders/bulk", data={"csrf_token": token, "action": "cancel",
                                               "ids": [str(seeded.orders["postcode"]), str(seeded.orders["sent"])]})
    assert "Cancelled: 1 of 2" in answer.text
    assert _status(db, seeded.orders["postcode"]) == "cancelled" and _status(db, seeded.orders["sent"]) == "sent"


def test_the_server_refuses_what_the_role_does_not_allow(db: Database, seeded: Seeded, signed_in: Client) -> None:
    viewer = signed_in("viewer")  # may only look
    order_id = seeded.orders["postcode"]
    page = viewer.get(f"/orders/{order_id}").text
    assert "Resubmit order" not in page and "Edit delivery address" not in page and "Resubmit selected" not in \
        viewer.get("/orders").text
    token = csrf_of(page)
    for path, data in ((f"/orders/{order_id}/resubmit", {}), (f"/orders/{order_id}/cancel", {}),
                       (f"/orders/{order_id}/mark-sent", {"reference": "X"}),
                       (f"/orders/{order_id}/address", GOOD_ADDRESS), (f"/orders/{order_id}/carrier", {"carrier": "x"}),
                       ("/orders/bulk", {"action": "cancel", "ids": str(order_id)}), ("/users", {}), ("/roles", {})):
        assert viewer.post(path, data={"csrf_token": token, **data}).status_code == 403, path
    assert viewer.get("/users").status_code == 403
    assert _status(db, order_id) == "pending_review"


def test_the_main_account_makes_a_role_and_a_sub_account_that_can_sign_in(app, signed_in: Client) -> None:  # type: ignore[no-untyped-def]
    boss = signed_in("boss")
    token = csrf_of(boss.get("/users").text)
    assert boss.post("/roles", data={"csrf_token": token, "name": "packer",
                                     "permissions": ["review_orders", "resubmit"]}).status_code == 303
    bad = boss.post("/users", data={"csrf_token": token, "username": "pat", "password": "short", "role": "packer"})
    assert bad.status_code == 400 and 'value="pat"' in bad.text and "short" not in bad.text.split("<main>")[1]
    made = boss.post("/users", data={"csrf_token": token, "username": "pat", "password": "a long password",
                                     "role": "packer"})
    assert made.status_code == 303
    pat = TestClient(app, follow_redirects=False)
    answer = pat.post("/signin", data={"username": "pat", "password": "a long password",
                                       "csrf_token": csrf_of(pat.get("/signin").text)})
    assert answer.status_code == 303
    assert pat.get("/orders").status_code == 200 and pat.get("/users").status_code == 403


def test_the_page_follows_an_order_a_worker_is_sending_until_it_settles(db: Database, seeded: Seeded,
                                                                      signed_in: Client) -> None:
    client = signed_in("boss")
    order_id = seeded.orders["surname"]
    with db.session() as s:
        s.query(Order).filter(Order.id == order_id).update({"status": "ready"})
    page = client.get(f"/orders/{order_id}").text
    assert f'hx-get="/orders/{order_id}/status?was=ready"' in page and 'hx-trigger="every 2s"' in page
    still = client.get(f"/orders/{order_id}/status?was=ready", headers={"HX-Request": "true"})
    assert "HX-Refresh" not in still.headers and "every 2s" in still.text
    with db.session() as s:
        s.query(Order).filter(Order.id == order_id).update({"status": "sent"})
    done = client.get(f"/orders/{order_id}/status?was=ready", headers={"HX-Request": "true"})
    assert done.headers["HX-Refresh"] == "true" and "every 2s" not in done.text and "Sent" in done.text


def test_bulk_cancel_on_everything_the_filter_matches(monkeypatch, db: Database, seeded: Seeded,  # type: ignore[no-untyped-def]
                                                      signed_in: Client) -> None:
    from admin.web import listing

    monkeypatch.setattr(listing, "PAGE_SIZE", 1)
    client = signed_in("boss")
    page = client.get("/orders?q=garcia").text
    assert "Every order matching this filter (2)" in page
    answer = client.post("/orders/bulk", data={"csrf_token": csrf_of(page), "action": "cancel", "scope": "matching",
                                                "status": "pending_review", "q": "garcia"})
    assert "Cancelled: 2 of 2" in answer.text
    assert [_status(db, seeded.orders[k]) for k in ("surname", "postcode", "unknown_sku")] == [
        "pending_review", "cancelled", "cancelled"]


def test_a_sub_accounts_new_role_applies_at_its_next_request(db: Database, seeded: Seeded,
                                                              signed_in: Client) -> None:
    viewer, boss = signed_in("viewer"), signed_in("boss")
    order_id = seeded.orders["postcode"]
    assert "Cancel order" not in viewer.get(f"/orders/{order_id}").text
    with db.session() as s:
        viewer_id = s.query(Account.id).filter(Account.username == "viewer").scalar()
    page = boss.get("/users").text
    assert f'action="/users/{viewer_id}/role"' in page
    answer = boss.post(f"/users/{viewer_id}/role", data={"csrf_token": csrf_of(page), "role": "clerk"})
    assert answer.status_code == 303
    assert "Cancel order" in viewer.get(f"/orders/{order_id}").text
    refused = boss.post(f"/users/{viewer_id}/role", data={"csrf_token": csrf_of(page), "role": "nope"})
    assert refused.status_code == 400 and "no role named nope" in refused.text


def test_changing_the_password_ends_every_other_session(app, signed_in: Client) -> None:  # type: ignore[no-untyped-def]
    here, elsewhere = signed_in("clerk"), signed_in("clerk")
    token = csrf_of(here.get("/account").text)
    wrong = here.post("/account/password", data={"csrf_token": token, "current": "not it", "new": "a new password"})
    assert "current password is not right" in wrong.text
    done = here.post("/account/password", data={"csrf_token": token, "current": "correct horse battery",
                                                  "new": "a new password"})
    assert done.status_code == 303
    assert here.get("/orders").status_code == 200
    assert elsewhere.get("/orders").status_code == 303  # sent to sign in


def test_choose_a_shipping_method_among_the_suppliers_carriers(db: Database, seeded: Seeded,
                                                               signed_in: Client) -> None:
    from sync.models import Channel

    with db.session() as s:
        s.query(Channel).filter(Channel.role == "supplier").update({"settings": {"carriers": ["gls", "dhl"]}})
    client = signed_in("clerk")
    order_id = seeded.orders["postcode"]
    page = client.get(f"/orders/{order_id}").text
    assert '<option value="dhl">' in page and '<option value="gls">' in page
    answer = client.post(f"/orders/{order_id}/carrier", data={"csrf_token": csrf_of(page), "carrier": "dhl"})
    assert answer.status_code == 303
    with db.session() as s:
        o = s.get(Order, order_id)
        assert o is not None and o.carrier == "dhl"
    refused = client.post(f"/orders/{seeded.orders['sent']}/carrier", data={"csrf_token": csrf_of(page),
                                                                            "carrier": "gls"})
    assert refused.status_code == 409 and "can be changed only while it is pending_review" in refused.text


def test_map_an_unknown_sku_to_a_catalogue_product_then_resubmit(db: Database, seeded: Seeded,
                                                                 signed_in: Client) -> None:
    boss = signed_in("boss")
    order_id = seeded.orders["unknown_sku"]
    page = boss.get(f"/orders/{order_id}").text
    assert "Map SKU <b>NOPE-9</b>" in page
    found = boss.get("/catalogue/search", params={"supplier_sku": "sku-2"}).text
    assert '<option value="SKU-2">' in found and "SKU-1" not in found
    assert boss.get("/catalogue/search", params={"supplier_sku": "%"}).text.count("<option") == 0
    token = csrf_of(page)
    missing = boss.post(f"/orders/{order_id}/map-sku", data={"csrf_token": token, "sku": "NOPE-9",
                                                              "supplier_sku": "NOT-THERE"})
    assert missing.status_code == 409 and "has no supplier product NOT-THERE" in missing.text
    mapped = boss.post(f"/orders/{order_id}/map-sku", data={"csrf_token": token, "sku": "NOPE-9",
                                                             "supplier_sku": "SKU-2"})
    assert mapped.status_code == 303
    again = boss.post(f"/orders/{order_id}/map-sku", data={"csrf_token": token, "sku": "NOPE-9",
                                                            "supplier_sku": "SKU-3"})
    assert again.status_code == 409 and "already mapped to SKU-2" in again.text
    assert boss.post(f"/orders/{order_id}/resubmit", data={"csrf_token": token}).status_code == 303
    assert _status(db, order_id) == "sent"
    assert "Map SKU" not in signed_in("clerk").get(f"/orders/{seeded.orders['postcode']}").text
