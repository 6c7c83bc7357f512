"""``orderhub after-sales ...``: each flow from the command line; misuse exits 2 with one line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from admin.cli import main
from sync import stock
from sync.db import Database
from sync.messenger import add_store
from sync.messenger_models import MessengerOrder

from support.after_sales import stored_order
from support.messenger import PNG


@pytest.fixture(autouse=True)
def _logs_left_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("admin.cli.configure", lambda *args, **kwargs: None)


def _json(capsys: pytest.CaptureFixture[str]) -> dict:
    return json.loads(capsys.readouterr().out)


def test_return_and_refund_from_the_command_line(db: Database, capsys: pytest.CaptureFixture[str],
                                                 tmp_path: Path) -> None:
    order_id = stored_order(db)
    assert main(["after-sales", "create", "--type", "return_refund", "--order", str(order_id),
                 "--item", "SKU-1:2", "--json"]) == 0
    made = _json(capsys)
    assert (made["number"], made["state"], made["return_amount"]) == ("AS-000001", "to_confirm", "20.00")
    assert main(["after-sales", "confirm", "AS-000001"]) == 0
    assert main(["after-sales", "tracking", "AS-000001", "RT-9"]) == 0
    assert main(["after-sales", "stock-in", "--tracking", "RT-9"]) == 0
    assert "stocked in (received_return)" in capsys.readouterr().out
    assert main(["after-sales", "stock-in", "AS-000001"]) == 2
    assert "stocked in already" in capsys.readouterr().err
    capsys.readouterr()
    proof = tmp_path / "proof.png"
    proof.write_bytes(PNG)
    assert main(["after-sales", "refund", "AS-000001", "--amount", "20.00", "--payment-info", "IBAN",
                 "--proof", str(proof), "--json"]) == 0
    refund = _json(capsys)
    assert (refund["amount"], refund["state"], refund["has_proof"]) == ("20.00", "requested", True)
    assert main(["after-sales", "confirm-refund", str(refund["id"])]) == 0
    capsys.readouterr()
    assert main(["after-sales", "show", "AS-000001", "--json"]) == 0
    shown = _json(capsys)
    assert shown["state"] == "completed" and shown["refund_orders"][0]["state"] == "confirmed"
    assert [h["to"] for h in shown["history"]][-1] == "completed"
    assert [i["received_quantity"] for i in shown["items"]] == [2]
    with db.session() as s:
        assert stock.level(s, stock.default_warehouse(s).id, "SKU-1") == 2


def test_refund_only_rejected_then_refunded_and_listed(db: Database, capsys: pytest.CaptureFixture[str]) -> None:
    order_id = stored_order(db, status="sent")
    assert main(["after-sales", "create", "--type", "refund_only", "--order", str(order_id), "--item", "SKU-2:1"]) == 0
    assert main(["after-sales", "confirm", "1"]) == 0
    capsys.readouterr()
    assert main(["after-sales", "refund", "1", "--amount", "5", "--json"]) == 0
    first = _json(capsys)["id"]
    assert main(["after-sales", "reject-refund", str(first)]) == 2
    assert "--reason" in capsys.readouterr().err
    assert main(["after-sales", "reject-refund", str(first), "--reason", "wrong account"]) == 0
    assert main(["after-sales", "refund", "1", "--amount", "5.01"]) == 2
    assert "up to 5.00 EUR" in capsys.readouterr().err
    capsys.readouterr()
    assert main(["after-sales", "list", "--state", "confirm_refund", "--json"]) == 0
    assert [x["number"] for x in _json(capsys)["after_sales"]] == ["AS-000001"]


def test_an_exchange_and_an_offline_sale(db: Database, capsys: pytest.CaptureFixture[str]) -> None:
    order_id = stored_order(db)
    with db.session() as s:
        add_store(s, "Chat shop")
    assert main(["after-sales", "create", "--type", "exchange", "--order", str(order_id), "--item", "SKU-2:1",
                 "--exchange-item", "SKU-9:1:12.50", "--json"]) == 0
    assert _json(capsys)["refundable"] == "0.00"
    assert main(["after-sales", "confirm", "AS-000001", "--stock-in"]) == 0
    capsys.readouterr()
    assert main(["after-sales", "exchange", "AS-000001", "--store", "Chat shop", "--json"]) == 0
    exchange_id = _json(capsys)["order_id"]
    with db.session() as s:
        assert s.get(MessengerOrder, exchange_id).state == "waiting_to_approve"
    assert main(["after-sales", "complete", "AS-000001", "--reason", "the buyer pays the difference"]) == 0
    assert "AS-000001 completed" in capsys.readouterr().out
    assert main(["after-sales", "create", "--type", "refund_only", "--offline-buyer", "Kenji Sato", "--currency",
                 "JPY", "--buyer", "phone=+81300000000", "--item", "SKU-1:2:1500", "--json"]) == 0
    offline = _json(capsys)
    assert (offline["order_id"], offline["return_amount"], offline["currency"]) == (None, "3000", "JPY")
    assert main(["after-sales", "list"]) == 0
    assert "offline: Kenji Sato" in capsys.readouterr().out


def test_a_channel_refund_starts_an_after_sales_order(db: Database, capsys: pytest.CaptureFixture[str]) -> None:
    body = {"id": 7, "refunds": [{"id": 726, "reason": "damaged", "total": "-5.00"}]}
    order_id = stored_order(db, kind="woocommerce", raw=body)
    assert main(["after-sales", "create", "--type", "refund_only", "--order", str(order_id),
                 "--channel-refund", "726", "--json"]) == 0
    made = _json(capsys)
    assert (made["channel_refund_id"], made["return_amount"]) == ("726", "5.00")


def test_exchange_items_changed_from_the_command_line(db: Database, capsys: pytest.CaptureFixture[str]) -> None:
    order_id = stored_order(db)
    assert main(["after-sales", "create", "--type", "exchange", "--order", str(order_id), "--item", "SKU-1:1",
                 "--exchange-item", "SKU-9:1:3.00"]) == 0
    capsys.readouterr()
    assert main(["after-sales", "exchange-items", "AS-000001", "--exchange-item", "SKU-8:2:2.50",
                 "--exchange-item", "SKU-7:1:1.00", "--json"]) == 0
    changed = _json(capsys)
    assert (changed["exchange_amount"], changed["state"]) == ("6.00", "to_confirm")
    assert main(["after-sales", "show", "AS-000001", "--json"]) == 0
    shown = _json(capsys)
    exchanged = [(i["sku"], i["quantity"]) for i in shown["items"] if i["kind"] == "exchange"]
    assert exchanged == [("SKU-8", 2), ("SKU-7", 1)]
    assert main(["after-sales", "exchange-items", "AS-000001"]) == 2
    assert "at least one --exchange-item" in capsys.readouterr().err


@pytest.mark.parametrize("argv, words", [
    (["after-sales", "create", "--type", "return_refund"], "--order ID or --offline-buyer"),
    (["after-sales", "create", "--type", "swap", "--order", "1"], "invalid choice"),
    (["after-sales", "create", "--type", "return_refund", "--order", "{new}"], "to pickup, shipped"),
    (["after-sales", "create", "--type", "refund_only", "--offline-buyer", "Bo"], "--currency"),
    (["after-sales", "create", "--type", "refund_only", "--offline-buyer", "Bo", "--currency", "EUR",
      "--item", "SKU-1"], "SKU:QUANTITY"),
    (["after-sales", "create", "--type", "refund_only", "--order", "{shipped}", "--item", "SKU-1:1:abc"],
     "not an amount"),
    (["after-sales", "confirm", "AS-999999"], "no after-sales order"),
    (["after-sales", "create", "--type", "refund_only", "--offline-buyer", "Bo", "--currency", "EUR",
      "--item", "SKU-1:1:1", "--buyer", "email=bo at home"], "buyer email: an address like"),
    (["after-sales", "show", "99999999999999999999"], "no after-sales order"),
    (["after-sales", "list", "--state", "shipped"], "invalid choice"),
    (["after-sales", "list", "--type", "swap"], "invalid choice"),
    (["after-sales", "stock-in"], "--tracking"),
    (["after-sales", "stock-in", "--tracking", "NOPE"], "no after-sales order waits"),
    (["after-sales", "refund", "AS-000001", "--amount", "1", "--proof", "/nonexistent/p.png"], "--proof"),
    (["after-sales", "confirm-refund", "x"], "order id"),
    (["after-sales"], "a command is needed"),
])
def test_misuse_exits_2_with_one_line(db: Database, capsys: pytest.CaptureFixture[str], argv: list[str],
                                      words: str) -> None:
    ids = {"{new}": str(stored_order(db, status="new", external_id="n")),
           "{shipped}": str(stored_order(db, external_id="s"))}
    assert main([ids.get(a, a) for a in argv]) == 2
    err = capsys.readouterr().err.strip()
    assert words in err and len(err.splitlines()) == 1
