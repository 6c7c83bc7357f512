"""The wallet page: what is held for the wallet, and resubmitting all of it after a top-up."""

from __future__ import annotations

import re
from collections.abc import Callable

from fastapi.testclient import TestClient

from sync.db import Database
from sync.models import Channel, Order

from support.admin import Seeded, csrf_of, hold_for_wallet

Client = Callable[[str], TestClient]


def test_the_wallet_page_shows_the_balance_and_what_is_held(db: Database, seeded: Seeded, signed_in: Client) -> None:
    from decimal import Decimal

    hold_for_wallet(db, seeded.orders["surname"])
    with db.session() as s:
        s.query(Channel).filter(Channel.role == "supplier").update({"wallet_balance": Decimal("12.34")})
    boss = signed_in("boss").get("/wallet").text
    assert "Held for insufficient wallet: 1" in boss and "12.34 EUR" in boss and "39.90 EUR" in boss
    assert "Resubmit all 1, oldest first" in boss
    clerk = signed_in("clerk").get("/wallet").text
    assert "Held for insufficient wallet: 1" in clerk
    assert not re.search(r"12[.,]34|39[.,]9", clerk)


def test_resubmit_everything_held_for_the_wallet_after_a_top_up(db: Database, seeded: Seeded,
                                                                signed_in: Client) -> None:
    hold_for_wallet(db, seeded.orders["surname"])
    client = signed_in("clerk")
    answer = client.post("/wallet/resubmit-held", data={"csrf_token": csrf_of(client.get("/wallet").text)})
    assert answer.status_code == 200 and "Resubmitted: 1 of 1" in answer.text
    assert ">Order #101</a>: checked again" in answer.text
    with db.session() as s:
        o = s.get(Order, seeded.orders["surname"])
        assert o is not None and o.status == "sent"
    assert "Held for insufficient wallet: 0" in client.get("/wallet").text
