"""Customer pages, levels and prices in the admin, and the same through /api: the list's columns and
search, a customer's page, add/edit/merge/erase/delete, CSV import; amounts only with "view prices"."""

from __future__ import annotations

import re
from collections.abc import Callable

from fastapi import FastAPI
from fastapi.testclient import TestClient

from sync.db import Database
from sync.models import Order

from support.admin import Seeded, csrf_of
from support.after_sales import confirmed_refund
from support.customers import buyer_order, ingest

Client = Callable[[str], TestClient]


def _token(client: TestClient) -> str:
    page = client.post("/account/tokens", data={"csrf_token": csrf_of(client.get("/account").text),
                                                "name": "script"}).text
    found = re.search(r'<code class="token">([^<]+)</code>', page)
    assert found
    return found.group(1)


def _post(client: TestClient, path: str, data: dict[str, str], page: str = "/customers") -> object:
    return client.post(path, data={"csrf_token": csrf_of(client.get(page).text), **data})


def test_the_list_shows_the_seeds_columns_and_finds_by_order_number(signed_in: Client, seeded: Seeded) -> None:
    boss = signed_in("boss")
    page = boss.get("/customers").text
    for column in ("Customer name", "Customer code", "Phone", "Email", "Total orders", "Total spend", "Source",
                   "First order time", "Last order time", "Update time", "Note"):
        assert column in page
    assert "CN00000001" in page and "lucia@example.com" in page and "159.60 EUR" in page
    assert "CN00000001" in boss.get("/customers", params={"q": "#101"}).text
    assert "No customer matches" in boss.get("/customers", params={"q": "nobody-at-all"}).text


def test_a_customer_page_and_every_change_through_its_forms(signed_in: Client, db: Database,
                                                            seeded: Seeded) -> None:
    boss = signed_in("boss")
    added = _post(boss, "/customers", {"first_name": "Marta", "last_name": "Vidal", "email": "marta@example.com",
                                        "note": "met at the fair"})
    assert added.status_code == 303  # type: ignore[attr-defined]
    marta = added.headers["location"]  # type: ignore[attr-defined]
    page = boss.get(marta).text
    assert "Marta Vidal" in page and "CN00000002" in page
    bad = _post(boss, marta, {"email": "not-mail", "note": "typed, not saved"}, marta)
    assert bad.status_code == 422 and "e-mail" in bad.text  # type: ignore[attr-defined]
    # what was typed comes back, and the field is marked
    assert 'value="not-mail" aria-invalid="true"' in bad.text and 'value="typed, not saved"' in bad.text  # type: ignore[attr-defined]
    assert 'class="bad">Email' in bad.text  # type: ignore[attr-defined]
    assert _post(boss, marta, {"first_name": "Marta", "note": "VIP soon"}, marta).status_code == 303  # type: ignore[attr-defined]
    with db.session() as s:
        lucia = s.scalar(Order.__table__.select().with_only_columns(Order.customer_id).limit(1))
    merged = _post(boss, f"{marta}/merge", {"other": "CN00000001"}, marta)
    assert merged.headers["location"] == f"/customers/{lucia}"  # type: ignore[attr-defined]  # the older kept
    kept = boss.get(f"/customers/{lucia}").text
    assert "VIP soon" in kept and "#101" in kept and "159.60 EUR" in kept
    assert _post(boss, f"/customers/{lucia}/erase", {}).status_code == 303  # type: ignore[attr-defined]
    assert "personal data erased" in boss.get(f"/customers/{lucia}").text
    assert _post(boss, f"/customers/{lucia}/delete", {}).status_code == 303  # type: ignore[attr-defined]
    assert boss.get(f"/customers/{lucia}").status_code == 404
    with db.session() as s:
        assert s.query(Order).count() == 4  # the orders stay


def test_amounts_stay_hidden_without_view_prices(signed_in: Client, app: FastAPI) -> None:
    clerk = signed_in("clerk")
    assert "159.60" not in clerk.get("/customers").text and "Total spend" not in clerk.get("/customers").text
    api = TestClient(app, headers={"Authorization": f"Bearer {_token(clerk)}"})
    listed = api.get("/api/customers").json()["customers"]
    assert listed[0]["customer_code"] == "CN00000001" and "spend" not in listed[0]
    one = api.get(f"/api/customers/{listed[0]['id']}").json()
    assert one["total_orders"] == 4 and "spend" not in one and all("total" not in o for o in one["orders"])
    assert api.get("/api/prices/quote", params={"sku": "SKU-1"}).status_code == 403
    assert clerk.get("/prices").status_code == 403


def test_the_api_lists_changes_and_quotes_prices(signed_in: Client, app: FastAPI, db: Database,
                                                 seeded: Seeded) -> None:
    api = TestClient(app, headers={"Authorization": f"Bearer {_token(signed_in('boss'))}"})
    listed = api.get("/api/customers", params={"q": "lucia"}).json()["customers"]
    assert listed[0]["spend"] == [{"currency": "EUR", "orders": 4, "total_spend": "159.60",
                                   "average_order_value": "39.90"}]
    assert api.post("/api/levels", json={"name": "VIP"}).status_code == 201
    made = api.post("/api/customers", json={"first_name": "Ot", "level": "VIP"})
    assert made.status_code == 201 and made.json()["customer_code"] == "CN00000002"
    assert api.post("/api/customers", json={"first_name": "Ot", "customer_code": "CN00000002"}).status_code == 422
    answer = api.post("/api/prices/import", content="sku,level,price\nSKU-1,VIP,30.00\n",
                      headers={"Content-Type": "text/csv"})
    assert answer.json() == {"kind": "tiered", "rows": 1}
    quote = api.get("/api/prices/quote", params={"sku": "SKU-1", "customer": "CN00000002", "quantity": 3}).json()
    assert (quote["price"], quote["source"]) == ("30.00", "tiered")
    assert api.patch(f"/api/customers/{made.json()['id']}", json={"note": "x"}).json()["note"] == "x"
    assert api.post(f"/api/customers/{made.json()['id']}/merge", json={"other": "CN00000404"}).status_code == 404
    assert api.post(f"/api/customers/{made.json()['id']}/erase").json() == {"erased": "CN00000002"}
    assert api.delete(f"/api/customers/{made.json()['id']}").json() == {"deleted": "CN00000002"}
    ingest(db, seeded.channel_id, buyer_order("900", buyer="B77"))
    assert api.get("/api/customers").json()["customers"][0]["customer_code"] == "CN00000003"  # 2 not reused


def test_levels_and_prices_pages_with_a_csv_import(signed_in: Client) -> None:
    boss = signed_in("boss")
    assert _post(boss, "/prices/levels", {"name": "Wholesale"}, "/prices").status_code == 303  # type: ignore[attr-defined]
    token = csrf_of(boss.get("/prices").text)
    done = boss.post("/prices/import", data={"csrf_token": token},
                     files={"file": ("w.csv", b"sku,min_quantity,max_quantity,price\nSKU-1,10,,29.00\n", "text/csv")})
    assert "1 wholesale price saved" in done.text
    bad = _post(boss, "/prices/tiered", {"sku": "SKU-1", "level": "Wholesale", "price": "abc"}, "/prices")
    assert bad.status_code == 422 and "not an amount" in bad.text  # type: ignore[attr-defined]
    assert 'value="abc"' in bad.text and 'value="SKU-1"' in bad.text  # type: ignore[attr-defined]
    # one wholesale price typed into its form: refused in the form's words, what was typed kept
    refused = _post(boss, "/prices/wholesale", {"sku": "SKU-2", "min_quantity": "5", "max_quantity": "",
                                                "price": "abc"}, "/prices")
    assert refused.status_code == 422  # type: ignore[attr-defined]
    assert "not an amount" in refused.text and "line 2" not in refused.text  # type: ignore[attr-defined]
    assert 'value="SKU-2"' in refused.text and 'value="5"' in refused.text  # type: ignore[attr-defined]
    saved = _post(boss, "/prices/wholesale", {"sku": "SKU-2", "min_quantity": "5", "max_quantity": "",
                                              "price": "12.50"}, "/prices")
    assert "1 wholesale price saved" in saved.text  # type: ignore[attr-defined]
    assert _post(boss, "/prices/tiered", {"sku": "SKU-1", "level": "Wholesale", "price": "31.00"},
                 "/prices").status_code == 303  # type: ignore[attr-defined]
    page = boss.get("/prices").text
    assert "Wholesale" in page and "31.00" in page and "10+" in page


def test_confirmed_refunds_show_beside_the_spend_only_with_view_prices(signed_in: Client, app: FastAPI,
                                                                       db: Database, seeded: Seeded) -> None:
    confirmed_refund(db, "CN00000001", "12.50")
    confirmed_refund(db, "CN00000001", "0.500", currency="KWD")
    boss, clerk = signed_in("boss"), signed_in("clerk")
    api = TestClient(app, headers={"Authorization": f"Bearer {_token(boss)}"})
    listed = api.get("/api/customers", params={"q": "lucia"}).json()["customers"]
    assert listed[0]["spend"][0]["total_spend"] == "159.60"  # refunded orders stay in the spend
    one = api.get(f"/api/customers/{listed[0]['id']}").json()
    assert one["refunded"] == {"EUR": "12.50", "KWD": "0.500"}
    page = boss.get(f"/customers/{listed[0]['id']}").text
    assert "Refunded EUR" in page and "12.50 EUR" in page and "0.500 KWD" in page
    hidden = TestClient(app, headers={"Authorization": f"Bearer {_token(clerk)}"})
    assert "refunded" not in hidden.get(f"/api/customers/{listed[0]['id']}").json()
    assert "Refunded" not in clerk.get(f"/customers/{listed[0]['id']}").text
