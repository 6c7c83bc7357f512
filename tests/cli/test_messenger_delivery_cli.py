"""``orderhub messenger create --logistics self_delivery``, ``edit-lines``, ``show``,
``find-product`` and ``ship``: the same rules as the admin; misuse exits 2 with one line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from admin.cli import main
from sync import stock
from sync.db import Database
from sync.models import Order, Shipment

from support.messenger import setup_store, setup_warehouse


@pytest.fixture(autouse=True)
def _logs_left_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("admin.cli.configure", lambda *args, **kwargs: None)


BUYER_ARGS = ["--buyer", "first_name=Ana", "--buyer", "last_name=Lopez", "--buyer", "phone=+34600000001",
              "--buyer", "address1=Calle Mayor 1", "--buyer", "city=Valencia", "--buyer", "postcode=46005",
              "--buyer", "country_code=ES"]


def test_self_delivered_from_a_list_edited_approved_and_shipped(db: Database, tmp_path: Path,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    setup_store(db)
    setup_warehouse(db)
    listed = tmp_path / "list.txt"
    listed.write_text("SKU-1,2\n")
    assert main(["messenger", "create", "--store", "Chat shop", "--line", "SKU-1:1::0.4", "--bulk", str(listed),
                 "--logistics", "self_delivery", "--warehouse", "Shop floor", "--currency", "gbp",
                 "--payment-method", "Cash on delivery", "--for-approval", "--json", *BUYER_ARGS]) == 0
    order_id = str(json.loads(capsys.readouterr().out)["id"])
    assert main(["messenger", "show", order_id, "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert (shown["logistics"], shown["warehouse"], shown["currency"], shown["revision"]) == (
        "self_delivery", "Shop floor", "GBP", 0)
    assert [(ln["sku"], ln["quantity"], ln["weight_kg"]) for ln in shown["lines"]] == [
        ("SKU-1", 3, "0.400")]  # the same SKU from --line and --bulk is one line
    assert main(["messenger", "edit-lines", order_id, "--revision", "0", "--line", "SKU-1:3::0.5"]) == 0
    assert "revision 1" in capsys.readouterr().out
    assert main(["messenger", "find-product", "Lamp"]) == 0
    assert capsys.readouterr().out.startswith("SKU-1\tLamp")
    assert main(["messenger", "approve", order_id]) == 0
    assert "awaiting_shipment" in capsys.readouterr().out
    assert main(["messenger", "ship", order_id, "--carrier", "SEUR", "--tracking", "SE42"]) == 0
    assert capsys.readouterr().out.strip() == f"order {order_id} shipped with SEUR, tracking SE42"
    with db.session() as s:
        assert s.get(Order, int(order_id)).status == "shipped"
        assert s.query(Shipment).one().tracking_number == "SE42"
        assert stock.level(s, stock.warehouse_named(s, "Shop floor").id, "SKU-1") == 7


@pytest.mark.parametrize("argv, words", [
    (["messenger", "ship", "1", "--carrier", "SEUR"], "--tracking"),
    (["messenger", "ship", "999", "--carrier", "SEUR", "--tracking", "T1"], "is not a messenger order"),
    (["messenger", "ship", "{made}", "--carrier", "SEUR", "--tracking", "T1"], "not self-delivered"),
    (["messenger", "create", "--store", "Chat shop", "--line", "SKU-1:1:-5"], "'-5' is below 0"),
    (["messenger", "create", "--store", "Chat shop", "--line", "SKU-1:1", "--buyer", "surname=Ruiz"],
     "--buyer: surname is not one of first_name"),
    (["messenger", "create", "--store", "Chat shop", "--line", "SKU-1:1", "--logistics", "self_delivery"],
     "one of your warehouses"),
    (["messenger", "create", "--store", "Chat shop", "--line", "SKU-1:1", "--currency", "XYZ"], "ISO 4217"),
    (["messenger", "create", "--store", "Chat shop", "--line", "SKU-1:1::-2"], "weight of SKU-1"),
    (["messenger", "create", "--store", "Chat shop", "--bulk", "/nonexistent/list"], "cannot be read"),
    (["messenger", "edit-lines", "1", "--revision", "5", "--line", "SKU-1:1"], "nothing was done"),
])
def test_misuse_exits_2_with_one_line(db: Database, capsys: pytest.CaptureFixture[str], argv: list[str],
                                      words: str) -> None:
    setup_store(db)
    setup_warehouse(db)
    assert main(["messenger", "create", "--store", "Chat shop", "--line", "SKU-1:1", "--json"]) == 0
    made = str(json.loads(capsys.readouterr().out)["id"])
    assert main([made if a == "{made}" else a for a in argv]) == 2
    err = capsys.readouterr().err
    assert words in err and err.count("\n") == 1, err
