"""The dashboard: orders per day per channel drawn as SVG on the server, states, time to sent,
and what needs someone."""

from __future__ import annotations

import re
from collections.abc import Callable

from fastapi.testclient import TestClient

from sync.db import Database

from support.admin import Seeded, hold_for_wallet

Client = Callable[[str], TestClient]


def test_the_dashboard_counts_and_draws_without_any_script(db: Database, seeded: Seeded, signed_in: Client) -> None:
    hold_for_wallet(db, seeded.orders["surname"])
    html = signed_in("clerk").get("/dashboard").text
    tiles = dict(re.findall(r"<b>(\d+)</b><span>([^<]+)</span>", html))
    assert {v: k for k, v in tiles.items()}["Pending review"] == "3"
    assert {v: k for k, v in tiles.items()}["Held for the wallet"] == "1"
    assert "Orders per day, last 14 days (4)" in html
    bars = re.findall(r"<rect [^>]*><title>([^<]+)</title>", html)
    assert bars and all(": " in b for b in bars) and sum(int(b.rsplit(": ", 1)[1]) for b in bars) == 4
    assert "<script" not in html.split("<main>")[1]
    assert not re.search(r"39[.,]9", html)


def test_time_from_ingest_to_sent_is_shown_once_orders_are_sent(db: Database, seeded: Seeded,
                                                                signed_in: Client) -> None:
    client = signed_in("boss")
    assert "No order sent in the last 7 days." in client.get("/dashboard").text
    hold_for_wallet(db, seeded.orders["surname"])
    from support.admin import csrf_of

    client.post("/wallet/resubmit-held", data={"csrf_token": csrf_of(client.get("/wallet").text)})
    assert re.search(r"Sent: 1 · median <b>\d+ s</b>", client.get("/dashboard").text)
