"""``orderhub orders confirm-payment|reject-payment``: any order's payment, the order named by its
id, its number or its reference; misuse exits 2 with one line."""

from __future__ import annotations

import pytest

from admin.cli import main
from sync.db import Database

from support.payments import add_shop, ingest, order_id_of, standing, woo_body


@pytest.fixture(autouse=True)
def _quiet(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    monkeypatch.setattr("admin.cli.configure", lambda *args, **kwargs: None)
    handed: list[int] = []

    def forward_soon(ids):  # type: ignore[no-untyped-def]
        handed.extend(ids)
        return ["queued"] * len(list(ids))
    monkeypatch.setattr("workers.dispatch.forward_soon", forward_soon)
    return handed


def test_reject_then_confirm_by_the_shop_number(db: Database, capsys: pytest.CaptureFixture[str],
                                                _quiet: list[int]) -> None:
    ingest(db, add_shop(db), woo_body())
    order_id = order_id_of(db)
    assert main(["orders", "reject-payment", "#727", "--reason", "not on the statement"]) == 0
    assert standing(db, order_id) == ("awaiting_payment", "rejected", "user:cli")
    assert main(["orders", "confirm-payment", "727", "--reference", "TX-1"]) == 0
    assert "payment confirmed; ready" in capsys.readouterr().out
    assert _quiet == [order_id]  # handed on to be forwarded, once
    assert main(["orders", "confirm-payment", str(order_id)]) == 0
    assert "confirmed already" in capsys.readouterr().out
    assert _quiet == [order_id]
    assert standing(db, order_id) == ("ready", "confirmed", "user:cli")


@pytest.mark.parametrize("argv, words", [
    (["orders", "confirm-payment", "#nope"], "no order"),
    (["orders", "reject-payment", "#727"], "--reason"),
    (["orders", "reject-payment", "#727", "--reason", " "], "say why"),
])
def test_misuse_exits_2_with_one_line(db: Database, capsys: pytest.CaptureFixture[str], argv: list[str],
                                      words: str) -> None:
    ingest(db, add_shop(db), woo_body())
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert words in err and "\n" not in err
    assert standing(db, order_id_of(db)) == ("awaiting_payment", "pending", None)
