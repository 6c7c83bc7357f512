"""The command line as a user runs it: real processes, exit codes, one clear line on misuse."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from support import PAYLOADS, REPO

ORDER_FIELDS = {"external_id", "number", "currency", "total", "payment_status", "shipping_address", "lines", "customer"}
ADDRESS_FIELDS = {"first_name", "last_name", "address1", "address2", "city", "region", "postcode", "country_code",
                  "phone", "email", "company"}


def orderhub(*args: str, env: dict[str, str] | None = None, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "admin.cli", *args], capture_output=True, text=True,
                          cwd=REPO, env={**os.environ, **(env or {})}, timeout=timeout)


def _order_files(channel: str) -> list[Path]:
    folder = PAYLOADS / channel
    if not folder.exists():
        return []
    files = []
    for path in sorted(folder.glob("*.json")):
        body = json.loads(path.read_text())
        holds_orders = (channel == "shopify" and isinstance(body, dict) and ("order" in body or "orders" in body)) or (
            channel == "woocommerce" and path.name.startswith("orders__"))
        if holds_orders:
            files.append(path)
    return files


@pytest.mark.parametrize("channel", ["shopify", "woocommerce"])
def test_every_real_payload_that_holds_orders_goes_through_inspect(channel: str) -> None:
    files = _order_files(channel)
    assert files, f"no {channel} order payloads found"
    for path in files:
        done = orderhub("inspect", channel, str(path))
        assert done.returncode == 0, f"{path.name}: {done.stderr or done.stdout}"
        out = json.loads(done.stdout)
        assert out["orders"], path.name
        for item in out["orders"]:
            assert set(item["order"]) >= ORDER_FIELDS, path.name
            if item["order"]["shipping_address"] is not None:
                assert set(item["order"]["shipping_address"]) >= ADDRESS_FIELDS
            for issue in item["issues"]:
                assert set(issue) == {"code", "field", "message"}
            assert isinstance(item["order"]["total"], str)  # money as a decimal string


def test_inspect_flags_what_the_rules_find(tmp_path: Path) -> None:
    body = {"order": {"id": 1, "name": "#1", "email": "a@example.com", "currency": "EUR", "total_price": "10.00",
                      "financial_status": "paid", "created_at": "2026-11-01T10:00:00+01:00",
                      "updated_at": "2026-11-01T10:00:00+01:00", "line_items": [
                          {"id": 2, "sku": "", "quantity": 1, "price": "10.00", "title": "Lamp"}],
                      "shipping_address": {"first_name": "Ana", "last_name": "", "address1": "Calle 1",
                                           "city": "Madrid", "zip": "ABC", "country_code": "ES",
                                           "phone": "+34600000000"}}}
    path = tmp_path / "order.json"
    path.write_text(json.dumps(body))
    done = orderhub("inspect", "shopify", str(path))
    assert done.returncode == 0, done.stderr
    codes = {i["code"] for i in json.loads(done.stdout)["orders"][0]["issues"]}
    assert codes == {"missing_surname", "invalid_postcode", "missing_sku"}


def test_inspect_prints_the_state_each_order_would_enter(tmp_path: Path) -> None:
    sample = json.loads((PAYLOADS / "shopify" / "order.json").read_text())["order"]
    sample["financial_status"] = "paid"
    variants = {
        "ready": {},
        "pending_review": {"shipping_address": {**sample["shipping_address"], "last_name": None}},
        "awaiting_payment": {"financial_status": "pending"},
        "cancelled": {"cancelled_at": "2008-01-10T12:00:00-05:00"},
        "ignored": {"test": True},
        "fulfilled_on_channel": {"fulfillment_status": "fulfilled"},
    }
    path = tmp_path / "orders.json"
    bodies = [sample | {"id": n} | change for n, change in enumerate(variants.values(), 1)]
    path.write_text(json.dumps({"orders": bodies}))
    done = orderhub("inspect", "shopify", str(path))
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)["orders"]
    assert [o["status"] for o in out] == list(variants)
    assert all(o["reason"] for o in out)
    assert "missing_surname" in out[1]["reason"]


@pytest.mark.parametrize("args, needle", [
    (["inspect", "ebay", "x.json"], "unknown connector"),
    (["inspect", "shopify", "/nonexistent/file.json"], "no such file"),
    (["orders", "list", "--status", "lost"], "unknown status"),
    (["orders", "resubmit"], "ID... or --issue"),
    (["orders", "mark-sent", "1"], "--reference"),
    (["frobnicate"], "invalid choice"),
    # a command left out is named by the commands to choose from, not by argparse's internal name
    (["channels"], "orderhub channels: a command is needed, one of: list, add, sync"),
    (["channels", "webhooks"], "a command is needed, one of: register, list"),
    (["customers"], "a command is needed, one of: list, show"),
])
def test_misuse_exits_2_with_one_clear_line(args: list[str], needle: str, tmp_path: Path) -> None:
    done = orderhub(*args, env={"ORDERHUB_DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite3'}"})
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and needle in lines[0], done.stderr
    assert "Traceback" not in done.stderr


def test_a_body_that_holds_no_orders_is_refused_in_one_line(tmp_path: Path) -> None:
    path = tmp_path / "address.json"
    path.write_text('{"payload": {"AmazonOrderId": "902-1845936-5435065"}}')
    done = orderhub("inspect", "amazon", str(path))
    assert done.returncode == 2
    assert done.stderr.strip() == f"orderhub: {path} does not hold amazon orders: body is neither " \
        '{"order": {...}}, {"orders": [...]} nor a v0 order bundle'


def test_unreadable_json_exits_2(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text('{"orders": [')
    done = orderhub("inspect", "woocommerce", str(path))
    assert done.returncode == 2
    assert len(done.stderr.strip().splitlines()) == 1 and "not JSON" in done.stderr


def test_sandbox_prints_its_urls_first_and_they_answer_like_the_platforms() -> None:
    import httpx

    proc = subprocess.Popen([sys.executable, "-m", "admin.cli", "sandbox", "--rate-per-second", "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO)
    try:
        assert proc.stdout is not None
        first = json.loads(proc.stdout.readline())
        assert set(first) >= {"shopify", "woocommerce", "bigbuy"}
        assert proc.stderr is not None
        assert "--setting first_pull_hours=" in proc.stderr.readline()  # the seeds are older than a day
        bb = first["bigbuy"]
        r = httpx.post(f"{bb['url']}/rest/order/check.json", headers={"Authorization": f"Bearer {bb['api_key']}"},
                       json={"order": {"internalReference": "x", "language": "en", "paymentMethod": "moneybox",
                                       "carriers": [{"name": "gls"}],
                                       "shippingAddress": {"firstName": "A", "lastName": "B", "country": "ES",
                                                           "postcode": "46005", "town": "Valencia",
                                                           "address": "Calle 1", "phone": "600000000",
                                                           "email": "a@example.com"},
                                       "products": [{"reference": "S0001000", "quantity": 1}]}})
        assert r.status_code == 200 and "total" in r.json()
        sh = first["shopify"]
        r = httpx.get(f"{sh['url']}/admin/api/2024-10/orders.json", params={"status": "any"},
                      headers={"X-Shopify-Access-Token": sh["access_token"]})
        assert r.status_code == 200 and len(r.json()["orders"]) > 0
        wc = first["woocommerce"]
        from connectors.woocommerce.oauth import OAuth1

        # plain http: WooCommerce (and so the sandbox) takes OAuth 1.0a signatures only
        r = httpx.get(f"{wc['url']}/wp-json/wc/v3/orders", auth=OAuth1(wc["consumer_key"], wc["consumer_secret"]))
        assert r.status_code == 200 and isinstance(r.json(), list)
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_channels_add_shows_how_far_back_the_first_pull_reaches(tmp_path: Path) -> None:
    env = {"ORDERHUB_DATABASE_URL": f"sqlite:///{tmp_path / 'add.sqlite3'}"}
    assert orderhub("db", "upgrade", env=env).returncode == 0
    added = orderhub("channels", "add", "shop", "--kind", "shopify", "--url", "https://shop.example",
                     "--credential", "access_token=shpat_x", env=env)
    assert added.returncode == 0, added.stderr
    assert "first pull: orders updated in the last 24 hours (setting first_pull_hours)" in added.stdout
    bad = orderhub("channels", "add", "shop2", "--kind", "shopify", "--url", "https://shop.example",
                   "--credential", "access_token=shpat_x", "--setting", "first_pull_hours=-3", env=env)
    assert bad.returncode == 2 and "first_pull_hours" in bad.stderr and "Traceback" not in bad.stderr


def test_orders_list_json_after_a_channel_sync(tmp_path: Path) -> None:
    from admin import stack as sandbox_stack

    stack = sandbox_stack.start(bigbuy_rate=0)
    env = {"ORDERHUB_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.sqlite3'}", "ORDERHUB_SUPPLIER_RATE": "50"}
    try:
        assert orderhub("db", "upgrade", env=env).returncode == 0
        described = stack.describe()
        sh = described["shopify"]
        bb = described["bigbuy"]
        # the sandbox's orders are dated from a fixed day: the first pull must reach back to it
        hours = sandbox_stack.seeds_first_pull_hours()
        added = orderhub("channels", "add", "shop", "--kind", "shopify", "--url", sh["url"],
                         "--credential", f"access_token={sh['access_token']}",
                         "--setting", f"first_pull_hours={hours}", env=env)
        assert added.returncode == 0, added.stderr
        assert f"first pull: orders updated in the last {hours} hours" in added.stdout
        assert orderhub("channels", "add", "bigbuy", "--kind", "bigbuy", "--url", bb["url"],
                        "--credential", f"api_key={bb['api_key']}", env=env).returncode == 0
        dup = orderhub("channels", "add", "shop", "--kind", "shopify", "--url", sh["url"], env=env)
        assert dup.returncode == 2 and "exists" in dup.stderr
        # the catalogue is what unknown_sku is checked against
        from sync.db import Database

        db = Database(env["ORDERHUB_DATABASE_URL"])
        with db.session() as s:
            sandbox_stack.load_catalogue(s)
        db.dispose()
        synced = orderhub("channels", "sync", "shop", env=env, timeout=120)
        assert synced.returncode == 0, synced.stderr
        assert json.loads(synced.stdout.splitlines()[-1])["inserted"] == 30
        listed = orderhub("orders", "list", "--status", "pending_review", "--json", env=env)
        items = json.loads(listed.stdout)
        assert items and all({"id", "channel", "external_id", "status", "issues"} <= set(i) for i in items)
        assert all(i["status"] == "pending_review" and i["issues"] for i in items)
        surname = [i["id"] for i in items if i["issues"] == ["missing_surname"]]
        assert surname
        bad = orderhub("orders", "edit", str(surname[0]), "--set", "lastname=Garcia", env=env)
        assert bad.returncode == 2 and "lastname" in bad.stderr
        fixed = orderhub("orders", "edit", str(surname[0]), "--set", "last_name=Garcia", env=env)
        assert fixed.returncode == 0, fixed.stderr
        resent = orderhub("orders", "resubmit", str(surname[0]), env=env, timeout=120)
        assert resent.returncode == 0 and "sent" in resent.stdout, resent.stdout + resent.stderr
        flagged = next(i["id"] for i in items if i["id"] != surname[0])
        shown = json.loads(orderhub("orders", "show", str(flagged), "--json", env=env).stdout)
        assert shown["history"] and shown["issues"]
        sent = orderhub("orders", "mark-sent", str(flagged), "--reference", "BY-HAND-1", env=env)
        assert sent.returncode == 0, sent.stderr
        again = orderhub("orders", "mark-sent", str(flagged), "--reference", "BY-HAND-2", env=env)
        assert again.returncode == 2 and "pending review" in again.stderr
        wallet = orderhub("orders", "list", "--issue", "insufficient_wallet", "--json", env=env)
        assert wallet.returncode == 0
    finally:
        stack.stop()


def test_inspect_reads_shopees_published_order_detail_and_flags_its_masked_buyer(tmp_path: Path) -> None:
    published = PAYLOADS / "shopee" / "v2.order.get_order_detail.200.example.json"
    done = orderhub("inspect", "shopee", str(published))
    assert done.returncode == 0, done.stderr
    (item,) = json.loads(done.stdout)["orders"]
    assert item["order"]["external_id"] == "2404098R48U37H"
    assert item["order"]["lines"][0]["sku"] == "QAZ-SADOER-05"
    assert item["status"] == "fulfilled_on_channel"  # COMPLETED on Shopee: never forwarded
    # the same buyer on an order still to ship: the stars are flagged, never sent to the supplier
    body = json.loads(published.read_text())
    body["response"]["order_list"][0]["order_status"] = "READY_TO_SHIP"
    path = tmp_path / "ready.json"
    path.write_text(json.dumps(body))
    done = orderhub("inspect", "shopee", str(path))
    assert done.returncode == 0, done.stderr
    (item,) = json.loads(done.stdout)["orders"]
    assert "masked_data" in {i["code"] for i in item["issues"]}
    assert item["status"] == "pending_review"


def test_inspect_refuses_shopees_sample_as_published_in_one_line() -> None:
    # Shopee's documentation prints this sample with a stray brace and a missing comma
    published = PAYLOADS / "shopee" / "v2.order.get_order_detail.response_sample.published.txt"
    done = orderhub("inspect", "shopee", str(published))
    assert done.returncode == 2 and len(done.stderr.strip().splitlines()) == 1
    assert "is not JSON" in done.stderr and "Traceback" not in done.stderr
