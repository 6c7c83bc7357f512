"""Messenger orders in a real browser (Chromium driven by Playwright), on either backend: the seller
creates the order and its link, the buyer completes it on a phone, the seller approves and confirms
the payment, and the order reaches the supplier."""

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
from support.messenger import PNG, new_order, setup_store

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
