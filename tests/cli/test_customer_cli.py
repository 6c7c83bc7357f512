"""``orderhub customers ...`` and ``orderhub prices ...``: the same rules as the admin; misuse exits 2
with one line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from admin.cli import main
from sync.db import Database

from support.after_sales import confirmed_refund
from support.customers import add_channel, buyer_order, ingest


@pytest.fixture(autouse=True)
def _logs_left_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("admin.cli.configure", lambda *args, **kwargs: None)


def test_customers_from_the_command_line(db: Database, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    shop = add_channel(db)
    ingest(db, shop, buyer_order("1", buyer="B1", total="10.00"), buyer_order("2", buyer="B2", total="4.00"))
    assert main(["customers", "add", "--set", "first_name=Carla", "--set", "phone=+34 600 1"]) == 0
    assert main(["customers", "edit", "CN00000003", "--set", "note=calls first"]) == 0
    assert main(["customers", "merge", "CN00000002", "CN00000001"]) == 0
    assert main(["customers", "erase", "CN00000003"]) == 0
    capsys.readouterr()
    assert main(["customers", "list", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)["customers"]
    assert [(c["customer_code"], c["total_orders"]) for c in listed] == [("CN00000003", 0), ("CN00000001", 2)]
    assert listed[0]["name"] == "erased" and listed[0]["note"] == "calls first"
    assert main(["customers", "show", "CN00000001", "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["spend"] == [{"currency": "EUR", "orders": 2, "total_spend": "14.00", "average_order_value": "7.00"}]
    assert shown["refunded"] == {}
    confirmed_refund(db, "CN00000001", "3.00")
    assert main(["customers", "show", "CN00000001", "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["spend"][0]["total_spend"] == "14.00" and shown["refunded"] == {"EUR": "3.00"}
    assert main(["customers", "show", "CN00000001"]) == 0
    text = capsys.readouterr().out
    assert "EUR: 2 orders, spend 14.00, average 7.00\nEUR: refunded 3.00\n" in text
    assert sorted(o["number"] for o in shown["orders"]) == ["#1", "#2"]

    assert main(["prices", "level", "VIP"]) == 0
    assert main(["customers", "edit", "CN00000001", "--set", "level=VIP"]) == 0
    path = tmp_path / "tiered.csv"
    path.write_text("sku,level,price\nSKU-1,VIP,8.00\n", encoding="utf-8")
    assert main(["prices", "import", str(path)]) == 0
    capsys.readouterr()
    assert main(["prices", "quote", "SKU-1", "--customer", "CN00000001", "--quantity", "2"]) == 0
    assert capsys.readouterr().out.strip() == "SKU-1 x2: 8.00 (tiered); last unit price 4.00"


@pytest.mark.parametrize("argv, words", [
    (["customers", "show", "CN99999999"], "no customer 'CN99999999'\n"),  # quoted whole
    (["customers", "edit", "CN00000001", "--set", "email=not-mail"], "e-mail"),
    (["customers", "edit", "CN00000001"], "nothing to change"),
    (["customers", "merge", "CN00000001", "CN00000001"], "itself"),
    (["customers", "add", "--set", "colour=red"], "unknown customer field"),
    (["prices", "import", "/nonexistent.csv"], "no such file"),
])
def test_misuse_exits_2_with_one_line(db: Database, capsys: pytest.CaptureFixture[str], argv: list[str],
                                      words: str) -> None:
    shop = add_channel(db)
    ingest(db, shop, buyer_order("1"))
    capsys.readouterr()
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert words in err and len(err.strip().splitlines()) == 1
