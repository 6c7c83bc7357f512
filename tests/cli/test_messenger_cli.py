"""``orderhub messenger ...``: the seller's actions from the command line; misuse exits 2 with one line."""

from __future__ import annotations

import json

import pytest

from admin.cli import main
from sync import messenger_links as links
from sync.db import Database
from sync.messenger_models import MessengerOrder
from sync.models import Order

from support.messenger import setup_store


@pytest.fixture(autouse=True)
def _logs_left_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("admin.cli.configure", lambda *args, **kwargs: None)


BUYER_ARGS = ["--buyer", "first_name=Ana", "--buyer", "last_name=Lopez", "--buyer", "phone=+34600000001",
              "--buyer", "address1=Calle Mayor 1", "--buyer", "city=Valencia", "--buyer", "postcode=46005",
              "--buyer", "country_code=ES"]


def test_create_link_approve_and_confirm(db: Database, capsys: pytest.CaptureFixture[str]) -> None:
    setup_store(db)
    assert main(["messenger", "create", "--store", "Chat shop", "--line", "SKU-1:2", "--payment-method",
                 "Bank transfer", "--for-approval", "--json", *BUYER_ARGS]) == 0
    made = json.loads(capsys.readouterr().out)
    assert made["state"] == "waiting_to_approve"
    order_id = str(made["id"])
    assert main(["messenger", "link", order_id, "--base-url", "https://shop.example"]) == 0
    url = capsys.readouterr().out.strip()
    assert url.startswith("https://shop.example/m/")
    with db.session() as s:
        assert links.resolve(s, url.rsplit("/", 1)[1]).order_id == int(order_id)
    assert main(["messenger", "approve", order_id]) == 0
    assert "awaiting_payment" in capsys.readouterr().out
    assert main(["messenger", "reject-payment", order_id, "--reason", "blurred"]) == 0
    assert main(["messenger", "confirm-payment", order_id, "--reference", "TX-5"]) == 0
    assert main(["messenger", "confirm-payment", order_id]) == 0
    assert "confirmed already" in capsys.readouterr().out
    with db.session() as s:
        assert s.get(Order, int(order_id)).status == "ready"
        assert s.get(MessengerOrder, int(order_id)).transaction_reference == "TX-5"


@pytest.mark.parametrize("argv, words", [
    (["messenger", "create", "--store", "Chat shop", "--line", "SKU-1"], "SKU:QUANTITY"),
    (["messenger", "create", "--store", "Nope", "--line", "SKU-1:1"], "no messenger store"),
    (["messenger", "create", "--store", "Chat shop", "--line", "SKU-1:1", "--for-approval"], "first name"),
    (["messenger", "approve", "999"], "not a messenger order"),
    (["messenger", "disapprove", "1"], "--reason"),
    (["messenger", "approve", "x"], "order id"),
])
def test_misuse_exits_2_with_one_line(db: Database, capsys: pytest.CaptureFixture[str], argv: list[str],
                                      words: str) -> None:
    setup_store(db)
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert words in err and err.count("\n") == 1
