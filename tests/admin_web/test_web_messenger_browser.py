"""Messenger orders in a real browser (Chromium driven by Playwright), on either backend: the seller
creates the order and its link, the buyer completes it on a phone, the seller approves and confirms
the payment, and the order reaches the supplier; or, self-delivered, the seller ships it by hand and
the buyer's page shows the tracking."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from admin.web.app import create_app
from sync import accounts
from sync import messenger_links as links
from sync.db import Database
from sync.messenger_models import MessengerOrder
from sync.models import Order

from support.admin import PASSWORD, seed
from support.browser import PHONE, Site, needs_browser, serving
from support.messenger import PNG, new_order, setup_store, setup_warehouse

pytestmark = needs_browser


@pytest.fixture
def site(db: Database) -> Iterator[Site]:
    accounts.set_hash_cost(1, 8, 1)
    seeded = seed(db)
    setup_store(db)
    with db.session() as s:
        accounts.save_role(s, "chat clerk", ["messenger_orders", "review_orders"])
        accounts.create_account(s, "chatclerk", PASSWORD, role="chat clerk")
    app = create_app(db, forward=seeded.forwarder(db), supplier_for=lambda _row: seeded.supplier,
                     secret="browser-test-secret", check_account=seeded.check_account)
    with serving(app) as url:
        yield Site(url, db, seeded)
    accounts.set_hash_cost()


def _page(browser: Browser, viewport: dict[str, int] | None = None) -> Page:
    context = browser.new_context(viewport=viewport or {"width": 1366, "height": 860})
    context.set_default_timeout(8000)
    return context.new_page()


def sign_in(page: Page, site: Site, username: str = "boss") -> None:
    page.goto(site.url + "/signin")
    page.get_by_label("User name").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto(site.url + "/messenger")
    expect(page.get_by_role("heading", name="Messenger orders")).to_be_visible()


def test_create_complete_on_a_phone_approve_confirm_and_forward(browser: Browser, site: Site,
                                                                tmp_path: Path) -> None:
    seller = _page(browser)
    sign_in(seller, site)
    form = seller.locator("#create-order")
    form.get_by_label("SKU").first.fill("SKU-1")
    form.get_by_label("Qty").first.fill("2")
    form.get_by_role("button", name="Save: waiting to add info").click()
    row = seller.locator("#list-add_info tbody tr")
    expect(row).to_have_count(1)
    row.get_by_role("button", name="Link", exact=True).click()
    link = seller.locator("#buyer-link").input_value()
    assert "/m/" in link

    buyer = _page(browser, PHONE)
    buyer.goto(link)
    expect(buyer.locator("#total")).to_have_text("19.00 EUR")
    for label, value in (("First name", "Ana"), ("Last name", "Lopez"), ("Phone", "+34600000001"),
                         ("Email", "ana@example.com"), ("Address", "Calle Mayor 1"), ("City", "Valencia"),
                         ("Postcode", "4600"), ("Country (2 letters, e.g. ES)", "ES")):
        buyer.get_by_label(label, exact=True).fill(value)
    buyer.get_by_label("Bank transfer").check()
    slip = tmp_path / "slip.png"
    slip.write_bytes(PNG)
    buyer.get_by_label(re.compile("Payment slip")).set_input_files(str(slip))
    buyer.get_by_role("button", name="Send").click()
    expect(buyer.locator("#error-postcode")).to_be_visible()
    expect(buyer.get_by_label("City", exact=True)).to_have_value("Valencia")  # what was typed is kept
    buyer.get_by_label("Postcode").fill("46005")
    buyer.get_by_label(re.compile("Payment slip")).set_input_files(str(slip))
    buyer.get_by_role("button", name="Send").click()
    expect(buyer.locator("#step")).to_have_text("Waiting for the seller's approval")

    seller.goto(site.url + "/messenger")
    seller.locator("#list-to_approve tbody tr").get_by_role("button", name="Approve", exact=True).click()
    confirm = seller.locator("#list-to_confirm tbody tr")
    expect(confirm.locator("b.warn")).to_have_text("!")
    confirm.get_by_placeholder("transaction reference").fill("TX-100")
    confirm.get_by_role("button", name="Confirm payment").click()
    expect(seller.locator("#list-to_confirm tbody tr")).to_have_count(0)
    with site.db.session() as s:
        order_id = s.query(MessengerOrder).one().order_id
        assert s.get(Order, order_id).status == "sent"
    assert site.seeded.supplier.creates == 1
    buyer.reload()
    expect(buyer.locator("#step")).to_have_text("Payment confirmed")


def test_tampered_expired_and_second_submissions(browser: Browser, site: Site, tmp_path: Path) -> None:
    order_id = new_order(site.db, method="Cash on delivery")
    expired_id = new_order(site.db)
    with site.db.session() as s:
        token = links.new_link(s, order_id, actor="user:boss")
        expired = links.new_link(s, expired_id, actor="user:boss", lifetime=-links.LIFETIME)
    buyer = _page(browser, PHONE)
    for bad in (token[:-3] + "xyz", expired):
        buyer.goto(f"{site.url}/m/{bad}")
        expect(buyer.get_by_role("heading")).to_have_text("This link is not valid")
    second = buyer.context.new_page()
    second.goto(f"{site.url}/m/{token}")  # the same form open twice: one submission counts
    buyer.goto(f"{site.url}/m/{token}")
    for label, value in (("First name", "Ana"), ("Last name", "Lopez"), ("Phone", "+34600000001"),
                         ("Address", "Calle Mayor 1"), ("City", "Valencia"), ("Postcode", "46005"),
                         ("Country (2 letters, e.g. ES)", "ES")):
        buyer.get_by_label(label, exact=True).fill(value)
    buyer.get_by_label("Cash on delivery").check()
    buyer.get_by_role("button", name="Send").click()
    expect(buyer.locator("#step")).to_have_text("Waiting for the seller's approval")
    second.get_by_label("City", exact=True).fill("Madrid")
    second.get_by_label("Cash on delivery").check()
    second.get_by_role("button", name="Send").click()
    expect(second.locator("#step")).to_have_text("Waiting for the seller's approval")
    with site.db.session() as s:
        assert s.get(Order, order_id).shipping_address["city"] == "Valencia"
        assert links.expire(s) == [expired_id]
    seller = _page(browser)
    sign_in(seller, site)
    expect(seller.locator("#list-voided")).to_contain_text("expired")


def test_a_sub_account_without_price_permission_cannot_change_a_price(browser: Browser, site: Site) -> None:
    clerk = _page(browser)
    sign_in(clerk, site, "chatclerk")
    expect(clerk.locator('input[name="unit_price_0"]')).to_have_count(0)
    # the field forced into the form anyway: the server refuses it
    clerk.evaluate("""() => { const i = document.createElement('input'); i.name = 'unit_price_0';
        i.value = '0.01'; document.getElementById('create-order').appendChild(i); }""")
    form = clerk.locator("#create-order")
    form.get_by_label("SKU").first.fill("SKU-1")
    form.get_by_role("button", name="Save: waiting to add info").click()
    expect(clerk.locator("#error")).to_contain_text("edit prices")
    with site.db.session() as s:
        assert s.query(MessengerOrder).count() == 0


def _stocked_shop(site: Site) -> None:
    """Our warehouse holding SKU-1 and SKU-2, and SKU-2 at the supplier with its EAN-13."""
    from decimal import Decimal

    from sqlalchemy import select

    from sync import prices
    from sync.models import CatalogueItem, Channel, SupplierProduct

    setup_warehouse(site.db, stock_levels={"SKU-1": 10, "SKU-2": 4})
    with site.db.session() as s:
        s.merge(CatalogueItem(sku="SKU-2", supplier_sku="SKU-2", title="Shade"))
        prices.set_wholesale(s, "SKU-2", 1, None, Decimal("4.00"))
        supplier = s.scalar(select(Channel.id).where(Channel.role == "supplier"))
        s.add(SupplierProduct(supplier_id=supplier, sku="SKU-2", product_id="2", gtin="08412345678905"))


def test_self_delivered_from_a_list_and_a_gtin_edited_completed_approved_and_shipped(browser: Browser,
                                                                                     site: Site) -> None:
    from sync import stock
    from sync.models import Shipment

    _stocked_shop(site)
    seller = _page(browser)
    sign_in(seller, site)
    seller.get_by_label("Find a product (SKU, GTIN or title)").fill("8412345678905")
    expect(seller.locator("#products li.product")).to_have_count(1)  # found by htmx, no reload
    expect(seller.locator("#products")).to_contain_text("Shade")
    seller.locator('input[name="pick_SKU-2"]').check()
    form = seller.locator("#create-order")
    form.get_by_label("Logistics").select_option("self_delivery")
    form.get_by_label("Warehouse").select_option("Shop floor")
    form.get_by_label(re.compile("Bulk add")).fill("SKU-1,2\nNOPE-9 1")
    form.get_by_label("Payment method").select_option("Cash on delivery")
    form.get_by_role("button", name="Save: waiting to add info").click()
    expect(seller.locator("#error")).to_contain_text("NOPE-9 1 (unknown SKU)")
    form = seller.locator("#create-order")
    expect(form.get_by_label(re.compile("Bulk add"))).to_have_value("SKU-1,2\nNOPE-9 1")  # kept as typed
    expect(form.get_by_label("Warehouse")).to_have_value("Shop floor")
    expect(seller.locator('input[name="pick_SKU-2"]')).to_be_checked()
    form.get_by_label(re.compile("Bulk add")).fill("SKU-1,2")
    form.get_by_role("button", name="Save: waiting to add info").click()
    row = seller.locator("#list-add_info tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("self delivery")

    row.get_by_role("link").first.click()  # the order page: a line edited before approval
    expect(seller.locator("#logistics")).to_have_text("Self delivery")
    expect(seller.get_by_label("SKU 2", exact=True)).to_have_value("SKU-1")  # after the ticked SKU-2
    seller.get_by_label("Qty 2", exact=True).fill("3")
    seller.get_by_label("Weight 2", exact=True).fill("0.5")
    seller.get_by_role("button", name="Save lines").click()
    expect(seller.get_by_role("status")).to_have_text("lines saved")
    expect(seller.locator("#total-weight")).to_have_text("1.500 kg")

    seller.goto(site.url + "/messenger")
    seller.locator("#list-add_info tbody tr").get_by_role("button", name="Link", exact=True).click()
    link = seller.locator("#buyer-link").input_value()
    buyer = _page(browser, PHONE)
    buyer.goto(link)
    expect(buyer.locator("#total")).to_have_text("32.50 EUR")  # 3 x 9.50 + 1 x 4.00
    for label, value in (("First name", "Ana"), ("Last name", "Lopez"), ("Phone", "+34600000001"),
                         ("Address", "Calle Mayor 1"), ("City", "Valencia"), ("Postcode", "46005"),
                         ("Country (2 letters, e.g. ES)", "ES")):
        buyer.get_by_label(label, exact=True).fill(value)
    buyer.get_by_label("Cash on delivery").check()
    buyer.get_by_role("button", name="Send").click()
    expect(buyer.locator("#step")).to_have_text("Waiting for the seller's approval")
    assert buyer.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    seller.goto(site.url + "/messenger")
    seller.locator("#list-to_approve tbody tr").get_by_role("button", name="Approve", exact=True).click()
    ship = seller.locator("#list-to_ship tbody tr")
    expect(ship).to_have_count(1)
    ship.get_by_placeholder("carrier").fill("SEUR")
    ship.get_by_placeholder("tracking number").fill("SE 1")
    ship.get_by_role("button", name="Shipped").click()
    expect(seller.locator("#error")).to_contain_text("without spaces")
    expect(seller.get_by_label("Carrier")).to_have_value("SEUR")  # kept on the order page's form
    seller.get_by_label("Tracking number").fill("SE123456789")
    seller.get_by_role("button", name="Mark shipped").click()
    expect(seller.locator("#shipping .tracking")).to_have_text("Shipped with SEUR, tracking SE123456789")

    buyer.reload()
    expect(buyer.locator("#step")).to_have_text("Shipped")
    expect(buyer.get_by_text("Tracking: SE123456789 (SEUR)")).to_be_visible()
    assert site.seeded.supplier.creates == 0  # never sent to the supplier
    with site.db.session() as s:
        order_id = s.query(MessengerOrder).one().order_id
        assert s.get(Order, order_id).status == "shipped"
        assert s.query(Shipment).filter(Shipment.order_id == order_id).count() == 1
        warehouse = stock.warehouse_named(s, "Shop floor").id
        assert (stock.level(s, warehouse, "SKU-1"), stock.level(s, warehouse, "SKU-2")) == (7, 3)
