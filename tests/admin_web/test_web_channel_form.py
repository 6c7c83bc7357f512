"""Adding and editing accounts in the browser's forms: the command line's checks, every bad field
marked and what was typed kept (never a secret), stored credentials shown only as "set"; remove,
check the connection; each refused without "manage channels" or without the form's CSRF token."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy import select

from sync.db import Database
from sync.models import Channel

from support.admin import Seeded, csrf_of

Client = Callable[[str], TestClient]
SHOP = {"kind": "shopify", "name": "second shop", "url": "https://second.example",
        "credentials.access_token": "shpat_first_secret", "settings.pull_every_seconds": "60"}


def _clerk_may(db: Database, *permissions: str) -> None:
    from sync import accounts

    with db.session() as s:
        accounts.save_role(s, "clerk", ["review_orders", *permissions])


def _row(db: Database, name: str) -> Channel | None:
    with db.session() as s:
        return s.scalar(select(Channel).where(Channel.name == name))


def test_the_form_offers_every_registered_kind_and_the_kinds_own_fields(signed_in: Client) -> None:
    client = signed_in("boss")
    chooser = client.get("/channels/new").text
    for kind in ("shopify", "woocommerce", "amazon", "shopee", "bigbuy"):
        assert f'value="{kind}"' in chooser
    shopee = client.get("/channels/new?kind=shopee").text
    for key in ("partner_id", "partner_key", "shop_id", "access_token", "refresh_token"):
        assert f'name="credentials.{key}"' in shopee
    assert 'name="settings.refresh_expires_at"' in shopee and 'name="settings.pull_every_seconds"' in shopee
    bigbuy = client.get("/channels/new?kind=bigbuy").text
    assert 'name="settings.carriers"' in bigbuy and 'name="settings.pull_every_seconds"' not in bigbuy
    assert 'name="credentials.access_token"' not in client.get("/channels/new?kind=nonsense").text


def test_a_bad_form_marks_each_field_keeps_what_was_typed_but_no_secret_then_adds(
        db: Database, seeded: Seeded, signed_in: Client) -> None:
    client = signed_in("boss")
    token = csrf_of(client.get("/channels/new?kind=shopify").text)
    bad = {**SHOP, "csrf_token": token, "url": "ftp://second.example", "settings.pull_every_seconds": "5",
           "settings.api": "graphql"}
    answer = client.post("/channels/new", data=bad)
    assert answer.status_code == 400
    page = answer.text
    assert page.count('aria-invalid="true"') == 2
    assert 'value="ftp://second.example"' in page and 'value="5"' in page and 'value="second shop"' in page
    assert '<option value="graphql" selected' in page
    assert "shpat_first_secret" not in page
    # the secret typed is not sent back, and the form says so rather than losing it silently
    assert page.count("not saved: type it again") == 1
    assert "http(s) URL" in page and "greater than or equal to 10" in page
    assert _row(db, "second shop") is None
    answer = client.post("/channels/new", data={**SHOP, "csrf_token": token})
    assert answer.status_code == 303 and answer.headers["location"] == "/channels?done=added"
    row = _row(db, "second shop")
    assert row is not None
    assert (row.kind, row.role, row.url, row.credentials, row.settings) == (
        "shopify", "channel", "https://second.example", {"access_token": "shpat_first_secret"},
        {"pull_every_seconds": 60})
    again = client.post("/channels/new", data={**SHOP, "csrf_token": token})
    assert again.status_code == 400 and "exists already" in again.text


def test_a_missing_credential_and_an_unknown_kind_are_refused(db: Database, signed_in: Client) -> None:
    client = signed_in("boss")
    token = csrf_of(client.get("/channels/new").text)
    missing = client.post("/channels/new", data={**SHOP, "csrf_token": token, "credentials.access_token": "",
                                                  "settings.pull_every_seconds": "5"})
    # the blank credential and the bad setting are marked together, in the form's words
    assert missing.status_code == 400 and "--credential" not in missing.text
    assert '<small class="err" id="err-credentials-access_token">required</small>' in missing.text
    assert 'aria-describedby="err-settings-pull_every_seconds"' in missing.text
    shopee = client.post("/channels/new", data={"csrf_token": token, "kind": "shopee", "name": "sp",
                                                 "url": "https://partner.shopeemobile.com",
                                                 "credentials.partner_id": "1"})
    assert shopee.text.count(">required</small>") == 4
    unknown = client.post("/channels/new", data={**SHOP, "csrf_token": token, "kind": "ebay"})
    assert unknown.status_code == 400 and "choose the kind of account" in unknown.text
    assert _row(db, "second shop") is None


def test_editing_shows_credentials_as_set_keeps_them_when_blank_and_replaces_them_when_typed(
        db: Database, seeded: Seeded, signed_in: Client) -> None:
    client = signed_in("boss")
    form = client.get(f"/channels/{seeded.channel_id}/edit").text
    assert "access_token — set" in form and 'value="t"' not in form
    token = csrf_of(form)
    url = f"/channels/{seeded.channel_id}/edit"
    base = {"csrf_token": token, "name": "shop", "url": "http://shop.invalid"}
    assert client.post(url, data=base).headers["location"] == "/channels?done=unchanged"
    saved = client.post(url, data={**base, "url": "https://shop.example", "settings.allow_authorized": "true"})
    assert saved.status_code == 303 and saved.headers["location"] == "/channels?done=saved"
    row = _row(db, "shop")
    assert row is not None and row.credentials == {"access_token": "t"}
    assert (row.url, row.settings) == ("https://shop.example", {"allow_authorized": True})
    bad = client.post(url, data={**base, "name": "", "credentials.access_token": "typed-secret",
                                 "settings.page_size": "9999"})
    assert bad.status_code == 400 and "typed-secret" not in bad.text and 'value="9999"' in bad.text
    assert bad.text.count('aria-invalid="true"') == 2
    replaced = client.post(url, data={**base, "url": "https://shop.example", "credentials.access_token": "new"})
    assert replaced.status_code == 303
    row = _row(db, "shop")
    assert row is not None and row.credentials == {"access_token": "new"} and row.settings == {}
    # the webhook's signing secret, which Shopify's deliveries need, is set from the form too
    assert "webhook_secret (optional) — not set" in client.get(url).text
    assert client.post(url, data={**base, "url": "https://shop.example",
                                  "credentials.webhook_secret": "whsec"}).status_code == 303
    row = _row(db, "shop")
    assert row is not None and row.credentials == {"access_token": "new", "webhook_secret": "whsec"}
    assert "webhook_secret (optional) — set" in client.get(url).text


def test_remove_only_an_account_that_holds_nothing(db: Database, seeded: Seeded, signed_in: Client) -> None:
    client = signed_in("boss")
    token = csrf_of(client.get("/channels").text)
    held = client.post(f"/channels/{seeded.channel_id}/remove", data={"csrf_token": token})
    assert held.status_code == 409 and "disable it instead" in held.text
    client.post("/channels/new", data={**SHOP, "csrf_token": token})
    row = _row(db, "second shop")
    assert row is not None
    assert client.post(f"/channels/{row.id}/remove", data={"csrf_token": token}).status_code == 303
    assert _row(db, "second shop") is None and _row(db, "shop") is not None


def test_check_connection_says_what_the_connector_answered_without_amounts_for_clerks(
        db: Database, seeded: Seeded, signed_in: Client) -> None:
    client = signed_in("boss")
    supplier = _row(db, "supplier")
    assert supplier is not None
    token = csrf_of(client.get("/channels").text)
    page = client.post(f"/channels/{supplier.id}/check", data={"csrf_token": token}).text
    assert "connection works" in page and "1234.56" in page
    failed = client.post(f"/channels/{seeded.channel_id}/check", data={"csrf_token": token}).text
    assert "connection failed" in failed and "credentials refused" in failed
    _clerk_may(db, "manage_channels")
    clerk = signed_in("clerk")
    hidden = clerk.post(f"/channels/{supplier.id}/check", data={"csrf_token": csrf_of(clerk.get("/channels").text)})
    assert "connection works" in hidden.text and "1234.56" not in hidden.text
    assert seeded.checked == ["supplier", "shop", "supplier"]


def test_without_manage_channels_or_without_the_csrf_token_nothing_is_changed(
        db: Database, seeded: Seeded, signed_in: Client) -> None:
    clerk = signed_in("clerk")
    token = csrf_of(clerk.get("/orders").text)
    one = f"/channels/{seeded.channel_id}"
    for method, path in (("GET", "/channels/new"), ("POST", "/channels/new"), ("GET", f"{one}/edit"),
                         ("POST", f"{one}/edit"), ("POST", f"{one}/remove"), ("POST", f"{one}/check")):
        answer = clerk.request(method, path, data={**SHOP, "csrf_token": token})
        assert answer.status_code == 403 and "manage_channels" in answer.text, path
    boss = signed_in("boss")
    for data in (SHOP, {**SHOP, "csrf_token": "forged"}):
        assert boss.post("/channels/new", data=data).status_code == 403
    assert boss.post(f"/channels/{seeded.channel_id}/remove", data={}).status_code == 403
    assert _row(db, "second shop") is None and _row(db, "shop") is not None and seeded.checked == []


def test_an_account_whose_kind_is_not_installed_or_gone_is_not_edited(db: Database, signed_in: Client) -> None:
    with db.session() as s:
        row = Channel(name="old market", kind="ebay", url="https://ebay.example", credentials={"k": "v"})
        s.add(row)
        s.flush()
        old_id = row.id
    client = signed_in("boss")
    token = csrf_of(client.get("/channels").text)
    assert client.get(f"/channels/{old_id}/edit").status_code == 409
    refused = client.post(f"/channels/{old_id}/edit", data={"csrf_token": token, "name": "x", "url": "https://x.example"})
    assert refused.status_code == 409 and "ebay" in refused.text
    assert client.get("/channels/999999/edit").status_code == 404
    row = _row(db, "old market")
    assert row is not None and row.url == "https://ebay.example"
