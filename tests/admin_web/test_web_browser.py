"""The admin in a real browser (Debian's Chromium driven by Playwright): what an operator does all
day, and screenshots of each main page at laptop and phone widths into tests/artifacts/."""

from __future__ import annotations

import os
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import uvicorn
from playwright.sync_api import Browser, Page, expect, sync_playwright

from admin.web.app import create_app
from sync.db import Database
from sync.models import Order

from support import REPO
from support.admin import PASSWORD, Seeded, hold_for_wallet, seed

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = REPO / "tests" / "artifacts"
SIZES = {"desktop": {"width": 1366, "height": 860}, "phone": {"width": 390, "height": 844}}
AMOUNT = re.compile(r"39[.,]90|31[.,]50")

#: .ci/run sets this: there a missing browser is a failure, not a skip
REQUIRED = os.environ.get("ORDERHUB_TEST_BROWSER") == "required"
pytestmark = pytest.mark.skipif(not CHROMIUM.exists() and not REQUIRED,
                                reason="no /usr/bin/chromium (apt-get install chromium)")


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as pw:
        launched = pw.chromium.launch(executable_path=str(CHROMIUM), args=[
            "--no-sandbox", "--disable-background-networking", "--disable-component-update",
            "--disable-dev-shm-usage"])
        yield launched
        launched.close()


@dataclass
class Site:
    url: str
    db: Database
    seeded: Seeded


@pytest.fixture
def site(sqlite_db: Database) -> Iterator[Site]:
    from sync import accounts

    accounts.set_hash_cost(1, 8, 1)
    seeded = seed(sqlite_db)
    app = create_app(sqlite_db, forward=seeded.forwarder(sqlite_db),
                     supplier_for=lambda _row: seeded.supplier, secret="browser-test-secret")
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "the admin did not start"
        time.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    yield Site(f"http://127.0.0.1:{port}", sqlite_db, seeded)
    server.should_exit = True
    thread.join(10)
    accounts.set_hash_cost()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport=SIZES["desktop"])
    context.set_default_timeout(8000)
    opened = context.new_page()
    yield opened
    context.close()


def sign_in(page: Page, site: Site, username: str = "boss") -> None:
    page.goto(site.url + "/")
    expect(page).to_have_url(re.compile(r"/signin"))
    page.get_by_label("User name").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("tab", name=re.compile("Pending review")).or_(
        page.locator(".tabs a.on"))).to_be_visible()


def shoot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for size, viewport in SIZES.items():
        page.set_viewport_size(viewport)
        page.screenshot(path=str(ARTIFACTS / f"{name}-{size}.png"), full_page=True)
    page.set_viewport_size(SIZES["desktop"])


def test_fix_a_missing_surname_resubmit_and_see_it_sent(page: Page, site: Site) -> None:
    sign_in(page, site)
    expect(page.locator("#review-badge .dot")).to_have_text("3")
    row = page.locator("tr", has_text="Missing surname")
    expect(row).to_have_count(1)
    row.get_by_role("link").click()
    expect(page.locator(".redbox")).to_contain_text("Missing surname")
    expect(page.locator("dd.flag")).to_have_text("missing")
    page.get_by_text("✎ Edit delivery address").click()
    page.get_by_label("Surname").fill("Martinez")
    page.get_by_role("button", name="Save address").click()
    expect(page.locator(".note")).to_contain_text("Delivery address saved")
    page.get_by_role("button", name="Resubmit order").click()
    expect(page.locator("#order-status")).to_have_text("Sent")
    expect(page.locator(".redbox")).to_have_count(0)
    expect(page.locator("#review-badge .dot")).to_have_text("2")
    assert site.seeded.supplier.creates == 1


def test_mark_another_order_sent_manually(page: Page, site: Site) -> None:
    sign_in(page, site)
    page.goto(f"{site.url}/orders/{site.seeded.orders['unknown_sku']}")
    page.get_by_text("Order sent manually…").click()
    expect(page.locator(".manual .warn")).to_contain_text("duplicate")
    page.get_by_label("Reference at the supplier").fill("BB-HAND-42")
    page.get_by_role("button", name="Mark as sent manually").click()
    expect(page.locator("#order-status")).to_have_text("Sent")
    expect(page.locator("body")).to_contain_text("BB-HAND-42")


def test_a_bad_form_keeps_what_was_typed(page: Page, site: Site) -> None:
    sign_in(page, site)
    page.goto(f"{site.url}/orders/{site.seeded.orders['surname']}")
    page.get_by_text("✎ Edit delivery address").click()
    page.get_by_label("Surname").fill("Ruiz Ibáñez")
    page.get_by_label("Postcode").fill("4600")
    page.get_by_label("Company").fill("Casa Lucía")
    page.get_by_role("button", name="Save address").click()
    expect(page.locator(".alert")).to_contain_text("not saved")
    expect(page.get_by_label("Postcode")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("Postcode")).to_have_value("4600")
    expect(page.get_by_label("Surname")).to_have_value("Ruiz Ibáñez")
    expect(page.get_by_label("Company")).to_have_value("Casa Lucía")
    shoot(page, "order-bad-form")


def test_a_sub_account_without_price_permission_sees_no_amount(page: Page, site: Site) -> None:
    sign_in(page, site, "boss")
    assert AMOUNT.search(page.content())
    page.context.clear_cookies()
    sign_in(page, site, "clerk")
    for path in ("/orders", "/orders?status=all", f"/orders/{site.seeded.orders['sent']}",
                 f"/orders/{site.seeded.orders['surname']}"):
        page.goto(site.url + path)
        assert not AMOUNT.search(page.content()), path
    shoot(page, "order-without-prices")


def test_search_filters_and_keys_update_the_list_in_place(page: Page, site: Site) -> None:
    sign_in(page, site)
    page.evaluate("window.notReloaded = true")
    page.keyboard.press("/")
    page.keyboard.type("102")
    expect(page.locator("table.orders a.number")).to_have_text(["#102"])
    expect(page).to_have_url(re.compile(r"q=102"))
    page.locator("#q").fill("")
    expect(page.locator("table.orders a.number")).to_have_count(3)
    with site.db.session() as s:  # another operator deals with one order meanwhile
        s.query(Order).filter(Order.id == site.seeded.orders["postcode"]).update({"status": "cancelled"})
    # what the badge's 20-second poll does, without waiting for it
    page.evaluate("htmx.ajax('GET', '/fragments/review-count', {target: '#review-badge', swap: 'outerHTML'})")
    expect(page.locator("#review-badge .dot")).to_have_text("2")
    assert page.evaluate("window.notReloaded") is True
    page.evaluate("document.activeElement.blur()")
    page.keyboard.press("j")
    page.keyboard.press("e")
    expect(page).to_have_url(re.compile(r"/orders/\d+$"))


def test_resubmit_everything_held_for_the_wallet_after_a_top_up(page: Page, site: Site) -> None:
    hold_for_wallet(site.db, site.seeded.orders["surname"])
    sign_in(page, site)
    page.get_by_role("link", name="Wallet").click()
    expect(page.locator("h2", has_text="Held for insufficient wallet")).to_have_text("Held for insufficient wallet: 1")
    shoot(page, "wallet")
    page.get_by_role("button", name=re.compile("Resubmit all 1")).click()
    expect(page.locator("h1")).to_have_text("Resubmitted: 1 of 1")
    page.get_by_role("link", name=f"Order {site.seeded.orders['surname']}").click()
    expect(page.locator("#order-status")).to_have_text("Sent")


def test_map_an_unknown_sku_and_send_the_order(page: Page, site: Site) -> None:
    sign_in(page, site)
    page.goto(f"{site.url}/orders/{site.seeded.orders['unknown_sku']}")
    box = page.get_by_label(re.compile("Map SKU"))
    box.press_sequentially("sku-3")
    expect(page.locator("#products option")).to_have_count(1)
    expect(page.locator("#products option")).to_have_attribute("value", "SKU-3")
    box.fill("SKU-3")
    page.get_by_role("button", name="Map SKU").click()
    expect(page.locator(".note")).to_contain_text("SKU mapped")
    page.get_by_role("button", name="Resubmit order").click()
    expect(page.locator("#order-status")).to_have_text("Sent")


def test_screenshots_of_the_main_pages(page: Page, site: Site) -> None:
    page.goto(site.url + "/signin")
    shoot(page, "signin")
    sign_in(page, site)
    shoot(page, "pending-review")
    page.goto(site.url + "/orders?status=all")
    shoot(page, "all-orders")
    page.goto(f"{site.url}/orders/{site.seeded.orders['surname']}")
    shoot(page, "order-pending-review")
    page.goto(f"{site.url}/orders/{site.seeded.orders['sent']}")
    shoot(page, "order-sent")
    page.goto(site.url + "/users")
    shoot(page, "users")
    page.goto(site.url + "/dashboard")
    shoot(page, "dashboard")
    page.goto(site.url + "/account")
    shoot(page, "account")
    page.goto(site.url + "/channels")
    shoot(page, "channels")
    assert len(list(ARTIFACTS.glob("*-phone.png"))) >= 8


def test_keys_move_through_the_queue_and_r_resubmits_the_current_order(page: Page, site: Site) -> None:
    sign_in(page, site)
    page.keyboard.press("j")
    page.keyboard.press("j")
    expect(page.locator("tr.cursor a.number")).to_have_text("#102")
    page.keyboard.press("k")
    expect(page.locator("tr.cursor a.number")).to_have_text("#101")
    page.keyboard.press("r")
    expect(page.locator("h1")).to_have_text("Resubmitted: 0 of 1")
    expect(page.locator("ul.outcomes")).to_contain_text("still pending review: Missing surname")


def test_find_a_customer_open_their_page_and_give_them_a_level_with_a_tiered_price(page: Page, site: Site) -> None:
    sign_in(page, site)
    page.get_by_role("link", name="Prices").click()
    page.get_by_label("Level name").fill("VIP")
    page.get_by_role("button", name="Add level").click()
    expect(page.locator("#levels")).to_contain_text("VIP")
    tiered = page.locator("form[action='/prices/tiered']")
    tiered.get_by_label("SKU").fill("SKU-1")
    tiered.get_by_label("Price").fill("35.00")
    page.get_by_role("button", name="Save tiered price").click()
    expect(page.locator("#tiered")).to_contain_text("35.00")

    page.get_by_role("link", name="Customers").click()
    expect(page.locator("#customers")).to_contain_text("CN00000001")
    page.get_by_label(re.compile("Search by name")).fill("#102")
    page.get_by_role("button", name="Search").click()
    expect(page.locator("#customers tbody tr")).to_have_count(1)
    page.locator("#customers tbody a").first.click()
    expect(page.locator("#total-orders")).to_have_text("4")
    expect(page.locator("#history")).to_contain_text("#101")
    expect(page.locator("#addresses")).to_contain_text("Valencia")
    page.get_by_label("Level").select_option("VIP")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("dl.kv")).to_contain_text("VIP")
    shoot(page, "customer")
