"""Pages whose address was edited by hand (a pasted search, a number too large, a word for an
id): the page, or a page saying what does not work, never a raw JSON error or a 500."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

HUGE = "99999999999999999999999"


@pytest.mark.parametrize("path", ["/customers?q=" + "x" * 300, "/catalogue?q=" + "y" * 150,
                                  f"/orders?status=shipped&after=2026-11-30T06:42:57|{HUGE}",
                                  f"/orders?status=pending_review&after=2026-11-30T06:42:57|-{HUGE}"])
def test_a_long_search_or_a_cursor_past_any_row_shows_the_page(signed_in: Callable[[str], TestClient],
                                                                path: str) -> None:
    page = signed_in("boss").get(path)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")


@pytest.mark.parametrize(("path", "named"), [("/orders/abc", "order_id"), ("/after-sales/new?order=abc", "order"),
                                            (f"/orders/{HUGE}", "order_id")])
def test_a_page_address_that_does_not_work_says_which_part(signed_in: Callable[[str], TestClient], path: str,
                                                           named: str) -> None:
    page = signed_in("boss").get(path)
    assert page.status_code == 422 and page.headers["content-type"].startswith("text/html")
    assert "This address does not work" in page.text and f"({named}: " in page.text


def test_the_api_still_answers_a_bad_request_in_json(signed_in: Callable[[str], TestClient]) -> None:
    answer = signed_in("boss").get(f"/api/orders?after=2026-11-30T06:42:57|{HUGE}")
    assert answer.status_code == 200 and answer.headers["content-type"] == "application/json"
    assert signed_in("boss").get("/api/orders/abc").status_code == 422
