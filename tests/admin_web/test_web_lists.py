"""The order lists: pending review first and oldest first, reasons in the operators' words,
filters, search, keyset paging, state tabs with counts, the red dot, the CSV export; and no
amount anywhere for an account without "view prices"."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from admin.web import listing
from sync.db import Database
from sync.models import Order, OrderIssue, utcnow

from support.admin import Seeded

Client = Callable[[str], TestClient]


def _numbers(html: str) -> list[str]:
    return re.findall(r'class="number">([^<]+)<', html)


def test_pending_review_is_the_default_tab_oldest_first_with_reasons_in_words(
        db: Database, seeded: Seeded, signed_in: Client) -> None:
    with db.session() as s:  # the postcode order has waited longest
        s.execute(update(Order).where(Order.id == seeded.orders["postcode"])
                  .values(status_changed_at=utcnow() - timedelta(days=2)))
    page = signed_in("boss").get("/orders")
    assert page.status_code == 200
    assert _numbers(page.text) == ["#102", "#101", "#103"]
    for words in ("Missing surname", "Invalid postcode", "Unknown SKU"):
        assert words in page.text
    assert "2 d" in page.text  # the age, in words


@pytest.mark.parametrize(("query", "expected"), [
    ("reason=missing_surname", ["#101"]),
    ("reason=unknown_sku", ["#103"]),
    ("age=24h", ["#102"]),
    ("channel=999", []),
])
def test_filters_by_reason_age_and_channel(db: Database, seeded: Seeded, signed_in: Client, query: str,
                                           expected: list[str]) -> None:
    with db.session() as s:
        s.execute(update(Order).where(Order.id == seeded.orders["postcode"])
                  .values(status_changed_at=utcnow() - timedelta(days=2)))
    assert _numbers(signed_in("boss").get(f"/orders?{query}").text) == expected


def test_filter_by_channel_keeps_that_channels_orders(seeded: Seeded, signed_in: Client) -> None:
    assert len(_numbers(signed_in("boss").get(f"/orders?channel={seeded.channel_id}").text)) == 3


@pytest.mark.parametrize(("q", "expected"), [
    ("101", ["#101"]),                      # order number without the hash
    ("#102", ["#102"]),
    ("lucia ferrer", ["#104"]),             # buyer name, any case
    ("Garcia", ["#102", "#103"]),
    ("LUCIA@example.com", ["#101", "#102", "#103", "#104"]),
    ("+34 600 000 000", ["#101", "#102", "#103", "#104"]),   # phone typed with spaces
    ("BB-777001", ["#104"]),                # the supplier's order id
    ("OH-REF-104", ["#104"]),               # the reference at the supplier
    ("TRK123456789ES", ["#104"]),           # tracking number
    ("garc", ["#102", "#103"]),             # the start of a surname
    ("GARCÍA lu", ["#102", "#103"]),        # surname first, accents and case ignored
    ("600 000 000", ["#101", "#102", "#103", "#104"]),       # the phone's last digits, no country code
    ("ucia", []),                           # a name is searched from its start, not its middle
    ("nobody-at-all", []),
    ("100%_", []),                          # LIKE wildcards are plain text
    ("zz\U0010ffff", []),                   # the last code point: a prefix with no successor
])
def test_search_across_every_state(seeded: Seeded, signed_in: Client, q: str, expected: list[str]) -> None:
    found = signed_in("boss").get("/orders", params={"status": "all", "q": q}).text
    assert sorted(_numbers(found)) == expected


def test_keyset_paging_walks_every_order_once(monkeypatch: pytest.MonkeyPatch, seeded: Seeded,
                                              signed_in: Client) -> None:
    monkeypatch.setattr(listing, "PAGE_SIZE", 2)
    client = signed_in("boss")
    seen: list[str] = []
    url: str | None = "/orders"
    while url:
        html = client.get(url).text
        seen += _numbers(html)
        more = re.search(r'<p class="pager"><a href="([^"]+)"', html)
        url = more.group(1).replace("&amp;", "&") if more else None
    assert seen == ["#101", "#102", "#103"]


def test_state_tabs_show_counts(signed_in: Client) -> None:
    html = signed_in("boss").get("/orders?status=all").text
    assert re.search(r"Pending review <b[^>]*>3</b>", html)
    assert re.search(r"All <b>4</b>", html) and re.search(r"Sent <b>1</b>", html)
    assert _numbers(signed_in("boss").get("/orders?status=sent").text) == ["#104"]


def test_tab_counts_stop_at_the_cap_and_say_so(db: Database, seeded: Seeded, signed_in: Client,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(listing, "TAB_COUNT_CAP", 1)
    with db.session() as s:
        s.execute(update(Order).where(Order.id.in_([seeded.orders["surname"], seeded.orders["postcode"]]))
                  .values(status="cancelled"))
    html = signed_in("boss").get("/orders?status=all").text
    assert re.search(r"Cancelled <b>1\+</b>", html) and re.search(r"Sent <b>1</b>", html)
    assert re.search(r"All <b>3\+</b>", html)
    assert re.search(r"Pending review <b[^>]*>1</b>", html)  # the queue is always counted exactly


def test_every_order_matching_is_counted_up_to_a_cap(seeded: Seeded, signed_in: Client,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    from admin.web import views_orders

    monkeypatch.setattr(listing, "PAGE_SIZE", 2)
    monkeypatch.setattr(views_orders, "MATCHING_CAP", 2)
    # 4 orders: more than the cap
    assert "Every order matching this filter (2+)" in signed_in("boss").get("/orders?status=all").text
    monkeypatch.setattr(views_orders, "MATCHING_CAP", 10)
    assert "Every order matching this filter (3)" in signed_in("boss").get("/orders").text


def test_the_reasons_to_filter_by_are_the_open_ones(db: Database, seeded: Seeded) -> None:
    with db.session() as s:
        assert listing.open_reason_codes(s) == ["invalid_postcode", "missing_surname", "unknown_sku"]
        s.execute(update(OrderIssue).where(OrderIssue.order_id == seeded.orders["surname"])
                  .values(closed_at=utcnow()))
    with db.session() as s:
        assert listing.open_reason_codes(s) == ["invalid_postcode", "unknown_sku"]


def test_the_red_dot_is_on_every_page_and_refreshes_by_itself(seeded: Seeded, signed_in: Client) -> None:
    client = signed_in("boss")
    for path in ("/orders", f"/orders/{seeded.orders['sent']}", "/users", "/account"):
        html = client.get(path).text
        assert 'hx-get="/fragments/review-count"' in html and 'class="dot"' in html, path
        assert "3 orders pending review" in html
    fragment = client.get("/fragments/review-count", headers={"HX-Request": "true"})
    assert fragment.status_code == 200 and ">3</span>" in fragment.text and "<nav" not in fragment.text


#: every amount the seeded data holds: order totals and unit prices, a supplier order's total
SEEDED_AMOUNTS = re.compile(r"39[.,]9|31[.,]5")


def _amounts(text: str) -> list[str]:
    return SEEDED_AMOUNTS.findall(text)


def test_an_account_without_view_prices_never_receives_an_amount(db: Database, seeded: Seeded,
                                                                 signed_in: Client) -> None:
    with db.session() as s:  # a supplier's message that quotes an amount
        s.add(OrderIssue(order_id=seeded.orders["unknown_sku"], code="insufficient_wallet", source="supplier",
                         message="the supplier wallet does not cover about 39.90 for this order"))
    boss, clerk = signed_in("boss"), signed_in("clerk")
    assert "39.90" in boss.get("/orders").text
    assert "39.90" in boss.get(f"/orders/{seeded.orders['unknown_sku']}").text
    assert "31.50" in boss.get(f"/orders/{seeded.orders['sent']}").text
    assert "total" in boss.get("/orders.csv?status=all").text.splitlines()[0]
    pages = [clerk.get(p).text for p in (
        "/orders", "/orders?status=all", "/orders?status=sent", f"/orders/{seeded.orders['unknown_sku']}",
        f"/orders/{seeded.orders['sent']}", f"/orders/{seeded.orders['sent']}/status", "/orders.csv?status=all",
        "/fragments/review-count")]
    pages.append(clerk.get("/orders", params={"q": "lucia ferrer", "status": "all"},
                           headers={"HX-Request": "true", "HX-Target": "rows"}).text)
    for text in pages:
        assert _amounts(text) == [], text[:300]
    assert "Amount" not in pages[0] and "[amount hidden]" in pages[3]


def test_csv_export_follows_the_filter_and_every_page(monkeypatch: pytest.MonkeyPatch, signed_in: Client) -> None:
    monkeypatch.setattr(listing, "PAGE_SIZE", 1)
    lines = signed_in("boss").get("/orders.csv").text.strip().splitlines()
    assert lines[0].startswith("id,channel,number,buyer,status")
    assert [line.split(",")[2] for line in lines[1:]] == ["#101", "#102", "#103"]


def test_a_buyer_name_is_shown_as_text_never_as_markup(db: Database, seeded: Seeded, signed_in: Client) -> None:
    evil = '<script>alert("x")</script>'
    with db.session() as s:
        o = s.get(Order, seeded.orders["surname"])
        assert o is not None
        o.shipping_address = {**(o.shipping_address or {}), "first_name": evil, "last_name": evil}
    client = signed_in("boss")
    for path in ("/orders", f"/orders/{seeded.orders['surname']}"):
        html = client.get(path).text
        assert evil not in html and "&lt;script&gt;" in html, path


def test_a_reason_an_order_has_for_many_fields_is_shown_once(db: Database, seeded: Seeded,
                                                            signed_in: Client) -> None:
    # a masked buyer: one issue per hidden field, one reason to the operator, each field in its title
    surname = seeded.orders["surname"]
    with db.session() as s:
        for field_name in ("First name", "City", "Phone"):
            s.add(OrderIssue(order_id=surname, code="masked_data", source="validation",
                             message=f"{field_name} was hidden by the channel; enter the real value before sending."))
    client = signed_in("boss")
    html = client.get("/orders?reason=masked_data").text
    assert _numbers(html) == ["#101"]
    badges = re.findall(r'<span class="reason" title="([^"]*)">Hidden data</span>', html)
    assert len(badges) == 1
    assert all(name in badges[0] for name in ("First name", "City", "Phone"))
    assert html.count(">Missing surname</span>") == 1
    row = next(line for line in client.get("/orders.csv").text.splitlines() if ",#101," in line)
    assert row.count("masked_data") == 1 and "missing_surname" in row
