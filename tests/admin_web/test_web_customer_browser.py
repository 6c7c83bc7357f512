"""A customer's destructive buttons in a real browser (Chromium driven by Playwright): erasing a
customer's personal data or deleting them asks first, under the pages' CSP (no inline script)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Dialog, Page, expect
from sqlalchemy import select

from sync.db import Database
from sync.models import Customer, Order

from support.browser import Site, admin_site, needs_browser, signed_in_page

pytestmark = needs_browser


@pytest.fixture
def site(sqlite_db: Database) -> Iterator[Site]:
    with admin_site(sqlite_db) as served:
        yield served


@pytest.fixture
def page(browser: Browser, site: Site) -> Iterator[Page]:
    with signed_in_page(browser, site) as opened:
        yield opened


def answer(page: Page, accept: bool, asked: list[str]) -> None:
    def on_dialog(dialog: Dialog) -> None:
        asked.append(dialog.message)
        dialog.accept() if accept else dialog.dismiss()

    page.once("dialog", on_dialog)


def test_erasing_a_customer_asks_first_and_no_leaves_them_as_they_were(page: Page, site: Site) -> None:
    with site.db.session() as s:
        customer_id = s.scalar(select(Order.customer_id).where(Order.customer_id.is_not(None)).limit(1))
        email = s.get(Customer, customer_id).email  # type: ignore[union-attr]
    page.goto(f"{site.url}/customers/{customer_id}")
    asked: list[str] = []

    answer(page, False, asked)
    page.get_by_role("button", name="Erase personal data").click()
    expect(page.locator("dl.kv")).to_contain_text(email)
    assert asked == ["Erase this customer's name, phone, email and addresses?"]
    with site.db.session() as s:
        assert s.get(Customer, customer_id).email == email  # type: ignore[union-attr]

    answer(page, True, asked)
    page.get_by_role("button", name="Erase personal data").click()
    expect(page.locator("h1 + .state + .state")).to_have_text("personal data erased")
    assert len(asked) == 2


def test_deleting_a_customer_asks_first(page: Page, site: Site) -> None:
    with site.db.session() as s:
        customer_id = s.scalar(select(Order.customer_id).where(Order.customer_id.is_not(None)).limit(1))
    page.goto(f"{site.url}/customers/{customer_id}")
    asked: list[str] = []
    answer(page, False, asked)
    page.get_by_role("button", name="Delete").click()
    expect(page.get_by_role("button", name="Erase personal data")).to_be_visible()
    assert asked == ["Delete this customer? Their orders stay."]
    with site.db.session() as s:
        assert s.get(Customer, customer_id) is not None
