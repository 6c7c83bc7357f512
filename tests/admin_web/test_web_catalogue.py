"""The catalogue page: products and stock as last synced (search, pages), costs only with "view
prices"; SKU mappings added, removed and imported from a CSV file (the command's parser: all rows
or none, bad rows by line); "sync catalogue now" sent to the workers. Reading is for every
account, changing takes "manage catalogue"."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from fastapi.testclient import TestClient
from sqlalchemy import select

from sync.db import Database
from sync.models import CatalogueItem, Channel, SupplierProduct

from support.admin import Seeded, csrf_of

Client = Callable[[str], TestClient]


def _products(db: Database, *skus: str) -> None:
    with db.session() as s:
        supplier_id = s.scalar(select(Channel.id).where(Channel.role == "supplier"))
        for n, sku in enumerate(skus):
            s.add(SupplierProduct(supplier_id=supplier_id, sku=sku, product_id=str(1000 + n), stock=n,
                                  cost=Decimal("12.34"), active=sku != "GONE-1"))


def _mapped(db: Database) -> dict[str, str]:
    with db.session() as s:
        return dict(s.execute(select(CatalogueItem.sku, CatalogueItem.supplier_sku)
                              .where(CatalogueItem.source == "manual")).all())


def _import(client: TestClient, body: bytes, token: str) -> TestClient:
    return client.post("/catalogue/import", data={"csrf_token": token},  # type: ignore[return-value]
                       files={"file": ("map.csv", body, "text/csv")})


def test_every_account_reads_the_catalogue_but_only_price_viewers_see_costs(db: Database, seeded: Seeded,
                                                                            signed_in: Client) -> None:
    _products(db, "SKU-1", "SKU-2", "GONE-1")
    boss = signed_in("boss").get("/catalogue").text
    assert "SKU-2" in boss and "12.34" in boss and "discontinued" in boss and "Sync catalogue now" in boss
    assert "3 references, 1 in stock, 1 discontinued" in boss
    viewer = signed_in("viewer").get("/catalogue")
    assert viewer.status_code == 200 and "SKU-2" in viewer.text and "12.34" not in viewer.text
    assert "Sync catalogue now" not in viewer.text and 'action="/catalogue/import"' not in viewer.text


def test_search_by_sku_and_keyset_pages(db: Database, seeded: Seeded, signed_in: Client) -> None:
    _products(db, *(f"P-{n:03d}" for n in range(60)), "ABC-9")
    client = signed_in("boss")
    found = client.get("/catalogue", params={"q": "abc"}).text
    assert "ABC-9" in found and "P-001" not in found
    first = client.get("/catalogue").text
    assert "ABC-9" in first and "P-048" in first and "P-049" not in first
    second = client.get("/catalogue", params={"after": "P-048"}).text
    assert "P-049" in second and "P-059" in second and "P-048</code>" not in second and "Next" not in second
    # a search past any SKU or title is cut to 100 characters, not refused
    assert client.get("/catalogue", params={"q": "abc-9" + "x" * 200}).status_code == 200


def test_map_a_sku_keep_a_bad_one_and_remove_one(db: Database, seeded: Seeded, signed_in: Client) -> None:
    client = signed_in("boss")
    token = csrf_of(client.get("/catalogue").text)
    bad = client.post("/catalogue/mappings", data={"csrf_token": token, "channel_sku": "",
                                                   "supplier_sku": "SKU-2"})
    assert bad.status_code == 400 and 'value="SKU-2"' in bad.text and 'aria-invalid="true"' in bad.text
    ok = client.post("/catalogue/mappings", data={"csrf_token": token, "channel_sku": "MY-RED",
                                                  "supplier_sku": "SKU-2"})
    assert ok.status_code == 303 and _mapped(db) == {"MY-RED": "SKU-2"}
    assert "MY-RED" in client.get("/catalogue").text
    assert client.post("/catalogue/mappings/remove", data={"csrf_token": token,
                                                           "channel_sku": "MY-RED"}).status_code == 303
    assert _mapped(db) == {}
    assert client.post("/catalogue/mappings/remove", data={"csrf_token": token,
                                                           "channel_sku": "SKU-1"}).status_code == 404


def test_a_csv_import_is_all_or_nothing_and_names_bad_lines(db: Database, seeded: Seeded,
                                                            signed_in: Client) -> None:
    _products(db, "SKU-1", "SKU-2")
    client = signed_in("boss")
    token = csrf_of(client.get("/catalogue").text)
    bad = _import(client, b"channel_sku,supplier_sku\nA-1,SKU-1\nA-2,NOT-SOLD\nA-3\n", token)
    assert bad.status_code == 400
    assert "Line 3: the supplier sells no &#39;NOT-SOLD&#39;" in bad.text and "Line 4: expected 2 columns" in bad.text
    assert _mapped(db) == {}
    good = _import(client, "\ufeffchannel_sku,supplier_sku\nA-1,SKU-1\nA-2,SKU-2\n".encode(), token)
    assert good.status_code == 200 and "2 mappings imported" in good.text
    assert _mapped(db) == {"A-1": "SKU-1", "A-2": "SKU-2"}
    assert _import(client, b"\xff\xfe\x00bad", token).status_code == 400
    assert _import(client, b"a,b\n" * 300_000, token).status_code == 413
    assert _import(client, b"a,b\n" * 600_000, token).status_code == 413  # refused before it is read
    missing = client.post("/catalogue/import", data={"csrf_token": token})
    assert missing.status_code == 400 and "choose a CSV file" in missing.text


def test_sync_catalogue_now_asks_the_workers(db: Database, seeded: Seeded, signed_in: Client) -> None:
    client = signed_in("boss")
    token = csrf_of(client.get("/catalogue").text)
    answer = client.post("/catalogue/sync", data={"csrf_token": token})
    assert answer.status_code == 303 and seeded.catalogue_syncs == [None]
    with db.session() as s:
        s.query(Channel).filter(Channel.role == "supplier").update({"enabled": False})
    refused = client.post("/catalogue/sync", data={"csrf_token": token})
    assert refused.status_code == 409 and seeded.catalogue_syncs == [None]


def test_changes_need_manage_catalogue_and_the_csrf_token(db: Database, seeded: Seeded, signed_in: Client) -> None:
    viewer = signed_in("viewer")
    token = csrf_of(viewer.get("/catalogue").text)
    for path in ("/catalogue/sync", "/catalogue/mappings", "/catalogue/mappings/remove"):
        answer = viewer.post(path, data={"csrf_token": token, "channel_sku": "X", "supplier_sku": "SKU-1"})
        assert answer.status_code == 403, path
    assert _import(viewer, b"X,SKU-1\n", token).status_code == 403
    boss = signed_in("boss")
    assert boss.post("/catalogue/mappings", data={"channel_sku": "X", "supplier_sku": "SKU-1"}).status_code == 403
    assert _import(boss, b"X,SKU-1\n", "forged").status_code == 403
    assert _mapped(db) == {} and seeded.catalogue_syncs == []
