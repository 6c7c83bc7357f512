"""After-sales in a real browser (Chromium driven by Playwright), on either backend: a return &
refund from a shipped order's page to its stock-in by tracking number and its refund with a proof;
a refund-only whose first refund is rejected; an exchange whose exchange order is generated."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from sync.after_sales_models import AfterSalesOrder
from sync.db import Database
from sync.messenger_models import MessengerOrder
from sync.stock import level, warehouse_named

from support.admin import Seeded
from support.after_sales import stored_order
from support.browser import Site, admin_site, needs_browser, signed_in_page
from support.messenger import PNG, setup_store

pytestmark = needs_browser


@pytest.fixture
def site(db: Database) -> Iterator[Site]:
    def prepare(seeded: Seeded) -> None:
        setup_store(db, sku="SKU-3", price="8.00")
        seeded.orders["shipped"] = stored_order(db, external_id="950")  # SKU-1 x2 at 10.00, SKU-2 x1 at 5.00

    with admin_site(db, prepare) as served:
        yield served


@pytest.fixture
def page(browser: Browser, site: Site) -> Iterator[Page]:
    with signed_in_page(browser, site) as opened:
        yield opened


def _start(page: Page, site: Site, kind: str) -> None:
    """From the shipped order's page: the After-sales button, the type, SKU-2 taken off."""
    page.goto(f"{site.url}/orders/{site.seeded.orders['shipped']}")
    page.locator("#start-after-sales").click()
    expect(page.get_by_role("heading", name=re.compile("New after-sales order"))).to_be_visible()
    page.get_by_label("Type").select_option(label=kind)
    page.get_by_label("Return SKU-2").uncheck()


def _state(page: Page, name: str) -> None:
    expect(page.locator("#as-state")).to_have_text(name)


def _refund(page: Page, amount: str, proof: Path | None = None) -> None:
    form = page.locator("#new-refund")
    form.get_by_label(re.compile("Refund amount")).fill(amount)
    form.get_by_label("Payment information").fill("IBAN ES91 2100 0418")
    if proof is not None:
        form.get_by_label(re.compile("Payment proof")).set_input_files(str(proof))
    form.get_by_role("button", name="Create refund order").click()
    _state(page, "Refund processing")


def test_return_and_refund_from_the_order_to_stock_in_by_tracking_and_a_refund_with_proof(
        page: Page, site: Site, tmp_path: Path) -> None:
    _start(page, site, "Return & refund")
    page.get_by_label("Buyer's return tracking number").fill("RT-BROWSER-1")
    page.get_by_role("button", name="Create after-sales order").click()
    expect(page.locator("#done")).to_have_text("After-sales order created.")
    _state(page, "To confirm")
    expect(page.locator("#return-amount")).to_have_text("20.00 EUR")
    page.locator("#confirm").get_by_role("button", name="Confirm").click()  # confirm only: the default
    _state(page, "Confirm return")

    page.locator("nav.top").get_by_role("link", name="After-sales").click()
    page.get_by_role("link", name="Stock-in / return").click()
    page.get_by_label("Return tracking number").fill("RT-BROWSER-1")
    page.get_by_role("button", name="Find").click()
    expect(page.get_by_label("Received SKU-1")).to_have_value("2")
    page.get_by_role("button", name="Stock in").click()
    _state(page, "Received return")
    with site.db.session() as s:
        assert level(s, warehouse_named(s, "Main").id, "SKU-1") == 2

    proof = tmp_path / "transfer.png"
    proof.write_bytes(PNG)
    _refund(page, "20.00", proof)
    rows = page.locator("#refund-orders tbody tr")
    expect(rows.get_by_role("link", name="Download")).to_be_visible()
    rows.get_by_role("button", name="Confirm refund").click()
    _state(page, "Completed")
    expect(page.locator("#history")).to_contain_text("refund order 1 of 20.00 EUR confirmed")


def test_refund_only_a_rejection_needs_a_reason_and_a_new_refund_is_confirmed(page: Page, site: Site) -> None:
    _start(page, site, "Refund only")
    page.get_by_label("Quantity of SKU-1").fill("1")
    page.get_by_role("button", name="Create after-sales order").click()
    _state(page, "To confirm")
    page.locator("#confirm").get_by_role("button", name="Confirm").click()
    _state(page, "Confirm refund")
    _refund(page, "10.00")
    page.locator("#refund-orders").get_by_role("button", name="Reject refund").click()
    expect(page.locator("#error")).to_contain_text("reason")
    _state(page, "Refund processing")
    page.locator("#refund-orders").get_by_label("Reason for rejecting").fill("wrong IBAN")
    page.locator("#refund-orders").get_by_role("button", name="Reject refund").click()
    _state(page, "Confirm refund")
    expect(page.locator("#refund-orders")).to_contain_text("rejected: wrong IBAN")
    _refund(page, "10.00")
    page.goto(site.url + "/after-sales/refunds")
    page.locator("#refunds tbody tr").get_by_role("button", name="Confirm refund").click()
    expect(page.locator(".note")).to_contain_text("Refund confirmed")
    with site.db.session() as s:
        assert s.scalars(select(AfterSalesOrder.state)).one() == "completed"


def test_exchange_confirmed_with_stock_in_generates_its_order_then_the_remainder_is_refunded(
        page: Page, site: Site) -> None:
    _start(page, site, "Exchange")
    page.get_by_label("Quantity of SKU-1").fill("1")
    page.get_by_label("Exchange SKU 1").fill("SKU-3")
    page.get_by_role("button", name="Create after-sales order").click()
    _state(page, "To confirm")
    page.get_by_label("Confirm with stock-in").check()
    page.locator("#confirm").get_by_role("button", name="Confirm").click()
    _state(page, "Received return")
    page.get_by_label(re.compile("Messenger store")).select_option("Chat shop")
    page.get_by_role("button", name="Generate exchange order").click()
    expect(page.locator("#done")).to_have_text("Exchange order generated.")
    expect(page.locator("#refundable")).to_have_text("2.00 EUR")  # 10.00 returned less 8.00 sent out
    with site.db.session() as s:
        exchange_id = s.scalars(select(AfterSalesOrder.exchange_order_id)).one()
        assert s.scalar(select(MessengerOrder.state).where(MessengerOrder.order_id == exchange_id)) == \
            "waiting_to_approve"
    page.locator("#exchange-order").click()
    expect(page.locator("#after-sales, .card").first).to_be_visible()
    assert page.url.endswith(f"/orders/{exchange_id}")
    page.go_back()
    _refund(page, "2.00")
    page.locator("#refund-orders").get_by_role("button", name="Confirm refund").click()
    _state(page, "Completed")
