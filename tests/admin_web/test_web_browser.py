"""The admin in a real browser (Debian's Chromium driven by Playwright): what an operator does all
day, and screenshots of each main page at laptop and phone widths into tests/artifacts/."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from admin.web.app import create_app
from sync.db import Database
from sync.models import Order

from support import REPO
from support.admin import PASSWORD, hold_for_wallet, seed
from support.browser import Site, needs_browser, serving

ARTIFACTS = REPO / "tests" / "artifacts"
SIZES = {"desktop": {"width": 1366, "height": 860}, "phone": {"width": 390, "height": 844}}
AMOUNT = re.compile(r"39[.,]90|31[.,]50")

pytestmark = needs_browser


@pytest.fixture
def site(sqlite_db: Database) -> Iterator[Site]:
    from sync import accounts

    accounts.set_hash_cost(1, 8, 1)
    seeded = seed(sqlite_db)
    app = create_app(sqlite_db, forward=seeded.forwarder(sqlite_db),
                     supplier_for=lambda _row: seeded.supplier, secret="browser-test-secret",
                     sync_catalogue=lambda: seeded.catalogue_syncs.append(None), check_account=seeded.check_account)
    with serving(app) as url:
        yield Site(url, sqlite_db, seeded)
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
    page.get_by_role("link", name="Order #101").click()  # by its number in the shop
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
    page.goto(site.url + "/channels/new?kind=shopee")
    shoot(page, "channel-add")
    page.goto(f"{site.url}/channels/{site.seeded.channel_id}/edit")
    shoot(page, "channel-edit")
    _supplier_products(site.db, "SKU-1", "SKU-2", "SKU-3")
    page.goto(site.url + "/catalogue")
    shoot(page, "catalogue")
    assert len(list(ARTIFACTS.glob("*-phone.png"))) >= 11


def _supplier_products(db: Database, *skus: str) -> None:
    from decimal import Decimal

    from sync.models import Channel, SupplierProduct

    with db.session() as s:
        supplier_id = s.query(Channel.id).filter(Channel.role == "supplier").scalar()
        s.add_all([SupplierProduct(supplier_id=supplier_id, sku=sku, product_id=str(700 + n), stock=n * 4,
                                   cost=Decimal("9.95")) for n, sku in enumerate(skus)])


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


def test_r_resubmits_only_the_current_order_even_with_every_matching_order_ticked(
        monkeypatch: pytest.MonkeyPatch, page: Page, site: Site) -> None:
    from admin.web import listing

    monkeypatch.setattr(listing, "PAGE_SIZE", 2)
    sign_in(page, site)
    page.get_by_label(re.compile("Every order matching this filter")).check()
    page.evaluate("document.activeElement.blur()")  # keys act on the list, not in a field
    page.keyboard.press("j")
    expect(page.locator("tr.cursor a.number")).to_have_text("#101")
    page.keyboard.press("r")
    expect(page.locator("h1")).to_have_text("Resubmitted: 0 of 1")


def test_add_a_channel_with_a_bad_value_then_correct_it(page: Page, site: Site) -> None:
    sign_in(page, site)
    page.get_by_role("link", name="Channels").click()
    page.get_by_role("link", name="+ Add an account").click()
    page.get_by_label("Kind of account").select_option("shopify")
    expect(page.get_by_label("access_token")).to_be_visible()
    page.get_by_label("Name", exact=True).fill("Second shop")
    page.get_by_label("Address (URL)").fill("second.example")
    page.get_by_label("access_token").fill("shpat_typed_secret")
    page.get_by_label("Pull every seconds").fill("5")
    page.get_by_role("button", name="Add account").click()
    expect(page.locator(".alert")).to_contain_text("Not saved")
    url, every = page.get_by_label("Address (URL)"), page.get_by_label("Pull every seconds")
    expect(url).to_have_attribute("aria-invalid", "true")
    expect(url).to_have_value("second.example")
    expect(every).to_have_attribute("aria-invalid", "true")
    expect(every).to_have_value("5")
    expect(page.get_by_label("Name", exact=True)).to_have_value("Second shop")
    expect(page.get_by_label("access_token")).to_have_value("")  # a secret is never sent back
    assert "shpat_typed_secret" not in page.content()
    shoot(page, "channel-add-bad-form")
    url.fill("https://second.example")
    every.fill("60")
    page.get_by_label("access_token").fill("shpat_typed_secret")
    page.get_by_role("button", name="Add account").click()
    expect(page.locator(".note")).to_have_text("Account added.")
    row = page.locator("tr[data-account='Second shop']")
    expect(row.locator(".health")).to_have_text("OK")
    row.get_by_role("link", name="Edit").click()
    expect(page.get_by_label(re.compile("access_token — set"))).to_have_value("")
    expect(page.get_by_label("Pull every seconds")).to_have_value("60")


def test_import_a_mapping_csv_and_see_the_mappings(page: Page, site: Site) -> None:
    sign_in(page, site)
    page.get_by_role("link", name="Catalogue").click()
    page.get_by_label("CSV file").set_input_files(
        files=[{"name": "bad.csv", "mimeType": "text/csv", "buffer": b"channel_sku,supplier_sku\nRED-1,SKU-1\nBLUE\n"}])
    page.get_by_role("button", name="Import").click()
    expect(page.locator(".alert")).to_contain_text("Line 3: expected 2 columns")
    expect(page.locator("table.mappings")).to_contain_text("No mapping")
    page.get_by_label("CSV file").set_input_files(
        files=[{"name": "map.csv", "mimeType": "text/csv",
                "buffer": b"channel_sku,supplier_sku\nRED-1,SKU-1\nBLUE-2,SKU-2\n"}])
    page.get_by_role("button", name="Import").click()
    expect(page.locator(".note")).to_have_text("2 mappings imported.")
    expect(page.locator("table.mappings tbody tr")).to_have_count(2)
    expect(page.locator("table.mappings")).to_contain_text("BLUE-2")
    shoot(page, "catalogue-mappings")
    page.get_by_role("button", name="Remove the mapping of BLUE-2").click()
    expect(page.locator(".note")).to_have_text("Mapping removed.")
    expect(page.locator("table.mappings tbody tr")).to_have_count(1)


def test_no_page_scrolls_sideways_at_phone_width(page: Page, site: Site) -> None:
    from sync import after_sales

    hold_for_wallet(site.db, site.seeded.orders["surname"])
    sent = site.seeded.orders["sent"]
    with site.db.session() as s:
        made = after_sales.create(s, kind="return_refund", order_id=sent, actor="user:boss", can_after_sales=True,
                                  return_tracking="RT-PHONE-1").id
    sign_in(page, site)
    page.set_viewport_size(SIZES["phone"])
    paths = ["/orders", "/orders?status=all", f"/orders/{site.seeded.orders['postcode']}",
             f"/orders/{sent}", "/wallet", "/dashboard", "/channels", "/channels/new?kind=shopee",
             f"/channels/{site.seeded.channel_id}/edit", "/catalogue", "/users", "/account", "/alerts",
             "/customers", "/prices", "/after-sales?state=all", f"/after-sales/orders/{made}",
             f"/after-sales/new?order={sent}", "/after-sales/new", "/after-sales/stock-in?tracking=RT-PHONE-1",
             "/after-sales/refunds", "/stock"]
    for path in paths:
        page.goto(site.url + path)
        wide, inner = page.evaluate("[document.scrollingElement.scrollWidth, window.innerWidth]")
        assert wide <= inner, (path, wide, inner)
    # an alert's text is read without scrolling its table sideways
    from sync.alert_models import Alert
    from sync.models import utcnow

    with site.db.session() as s:
        s.add(Alert(key="review_overdue", kind="review_overdue", active=True, raised_at=utcnow(),
                    summary="3 orders wait in pending review for more than 240 minutes (#101, #102, #103)"))
    page.goto(site.url + "/alerts")
    right = page.evaluate("document.querySelector('table.alerts td[data-label=What]').getBoundingClientRect().right")
    assert right <= page.evaluate("window.innerWidth"), right
    # a customer's figures each say what they are, as the table's headings do on a wide screen
    page.goto(site.url + "/customers")
    label = page.evaluate("getComputedStyle(document.querySelector('#customers tbody td[data-label=\"First order\"]'),"
                          " '::before').content")
    assert label == '"First order: "', label
    page.locator("#customers tbody a").first.click()
    wide, inner = page.evaluate("[document.scrollingElement.scrollWidth, window.innerWidth]")
    assert wide <= inner, ("a customer", wide, inner)
    expect(page.locator("nav.top a", has_text="Catalogue")).to_be_visible()
    expect(page.locator("nav.top button", has_text="Sign out")).to_be_visible()


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


@pytest.mark.parametrize("width", [800, 1024, 1280])
def test_the_main_account_top_bar_fits_a_laptop_without_scrolling_sideways(page: Page, site: Site,
                                                                           width: int) -> None:
    sign_in(page, site)
    page.set_viewport_size({"width": width, "height": 800})
    page.goto(site.url + "/orders")
    wide, inner = page.evaluate("[document.scrollingElement.scrollWidth, window.innerWidth]")
    assert wide <= inner, (width, wide, inner)
    right = page.evaluate("document.querySelector('nav.top form.inline').getBoundingClientRect().right")
    assert right <= inner, ("sign out off the screen", right, inner)


def test_on_a_phone_a_history_still_says_who_and_a_stock_movement_where(page: Page, site: Site) -> None:
    from sync import after_sales, stock

    with site.db.session() as s:
        stock.add_warehouse(s, "Back room")
        made = after_sales.create(s, kind="return_refund", order_id=site.seeded.orders["sent"], actor="user:boss",
                                  can_after_sales=True, return_tracking="RT-PHONE-2")
        after_sales.confirm(s, made.id, actor="user:boss", can_after_sales=True, stock_in=True, warehouse="Back room")
        made_id = made.id
    sign_in(page, site)
    page.set_viewport_size(SIZES["phone"])
    page.goto(site.url + f"/after-sales/orders/{made_id}")
    expect(page.locator("#history tbody tr").first.locator("td", has_text="user:boss")).to_be_visible()
    page.goto(site.url + "/stock")
    expect(page.locator("#movements tbody tr").first.locator("td", has_text="Back room")).to_be_visible()
    wide, inner = page.evaluate("[document.scrollingElement.scrollWidth, window.innerWidth]")
    assert wide <= inner, ("/stock", wide, inner)
