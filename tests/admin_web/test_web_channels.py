"""The channels page: sync state, errors, unreadable bodies (only with "view prices"), sync now,
switch on/off; credentials never shown."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient

from sync.db import Database
from sync.models import Channel, QuarantinedBody

from support.admin import Seeded, csrf_of

Client = Callable[[str], TestClient]


def _clerk_may_manage_channels(db: Database) -> None:
    from sync import accounts

    with db.session() as s:
        accounts.save_role(s, "clerk", ["review_orders", "manage_channels"])


def test_the_channels_page_shows_sync_state_and_never_credentials(db: Database, seeded: Seeded,
                                                                  signed_in: Client) -> None:
    with db.session() as s:
        s.query(Channel).filter(Channel.id == seeded.channel_id).update({"last_error": "HTTP 401 from the shop"})
        s.add(QuarantinedBody(channel_id=seeded.channel_id, external_id="77", error="total is not a number",
                              body='{"id": 77, "total_price": "12.50x"}'))
    page = signed_in("boss").get("/channels").text
    assert "HTTP 401 from the shop" in page and "total is not a number" in page and "12.50x" in page
    assert 'access_token' not in page and '"t"' not in page and "api_key" not in page
    _clerk_may_manage_channels(db)
    clerk = signed_in("clerk").get("/channels").text
    assert "total is not a number" in clerk and "12.50" not in clerk


def test_sync_now_and_switch_off(db: Database, seeded: Seeded, signed_in: Client) -> None:
    client = signed_in("boss")
    token = csrf_of(client.get("/channels").text)
    answer = client.post(f"/channels/{seeded.channel_id}/sync", data={"csrf_token": token})
    assert answer.status_code == 303 and seeded.synced == [seeded.channel_id]
    assert client.post(f"/channels/{seeded.channel_id}/enabled",
                       data={"csrf_token": token, "enabled": "0"}).status_code == 303
    refused = client.post(f"/channels/{seeded.channel_id}/sync", data={"csrf_token": token})
    assert refused.status_code == 409 and seeded.synced == [seeded.channel_id]
    with db.session() as s:
        row = s.get(Channel, seeded.channel_id)
        assert row is not None and row.enabled is False


def _health_of(page: str, name: str) -> str:
    row = page.split(f'data-account="{name}"', 1)[1].split("</tr>", 1)[0]
    return row.split('class="health h-', 1)[1].split('"', 1)[0]


def test_each_account_shows_its_credential_health_in_words(db: Database, seeded: Seeded, signed_in: Client) -> None:
    from datetime import timedelta

    from sync.models import utcnow

    soon = (utcnow() + timedelta(days=3)).timestamp()
    with db.session() as s:
        s.query(Channel).filter(Channel.id == seeded.channel_id).update(
            {"last_error": "auth_broken: Login with Amazon refused the refresh token (invalid_grant): the seller "
                           "revoked the authorisation or it is wrong; authorise the app again"})
        s.add_all([Channel(name="woo", kind="woocommerce", url="https://woo.example", credentials={},
                           last_error="auth_broken: HTTP 401 from WooCommerce"),
                   Channel(name="sp", kind="shopee", url="https://partner.example", credentials={},
                           settings={"refresh_expires_at": soon})])
    page = signed_in("boss").get("/channels").text
    assert (_health_of(page, "shop"), _health_of(page, "woo"), _health_of(page, "sp"),
            _health_of(page, "supplier")) == ("revoked", "failing", "expiring", "ok")
    assert "authorise OrderHub again" in page and "refused for its credentials" in page
    assert "runs out on" in page


def test_a_supplier_shows_when_its_catalogue_and_stock_were_read(db: Database, seeded: Seeded,
                                                                 signed_in: Client) -> None:
    from sync.models import SupplierProduct

    client = signed_in("boss")
    assert "catalogue never read" in client.get("/channels").text
    with db.session() as s:
        supplier_id = s.query(Channel.id).filter(Channel.role == "supplier").scalar()
        s.add(SupplierProduct(supplier_id=supplier_id, sku="SKU-1", product_id="1", stock=4))
    page = client.get("/channels").text
    row = page.split('data-account="supplier"', 1)[1].split("</tr>", 1)[0]
    assert "catalogue never read" not in row and "catalogue 20" in row and "stock 20" in row and "never" not in row
    assert "channels edit" in page and "channels add" not in page
