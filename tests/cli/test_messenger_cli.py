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


def _expiry(db: Database, url: str) -> object:
    with db.session() as s:
        link = links.resolve(s, url.rsplit("/", 1)[1])
        return link.expires_at - link.created_at


def test_a_link_works_as_long_as_its_store_says_or_the_hours_given(db: Database,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    from datetime import timedelta

    setup_store(db)
    assert main(["messenger", "create", "--store", "Chat shop", "--line", "SKU-1:2", "--json"]) == 0
    order_id = str(json.loads(capsys.readouterr().out)["id"])
    assert main(["messenger", "store", "Chat shop", "--edit", "--link-hours", "6"]) == 0
    assert "6" in capsys.readouterr().out
    assert main(["messenger", "link", order_id]) == 0
    out = capsys.readouterr()
    assert _expiry(db, out.out.strip()) == timedelta(hours=6) and "works until" in out.err
    assert main(["messenger", "link", order_id, "--hours", "30"]) == 0
    assert _expiry(db, capsys.readouterr().out.strip()) == timedelta(hours=30)
    assert main(["messenger", "store", "Other shop", "--link-hours", "2"]) == 0
    assert main(["messenger", "store", "Chat shop", "--edit", "--default-link-hours"]) == 0
    capsys.readouterr()
    with db.session() as s:
        from sync import messenger as m

        assert m.store_named(s, "Other shop").settings == {"link_hours": 2}
        assert m.store_named(s, "Chat shop").settings == {}


@pytest.mark.parametrize("argv, words", [
    (["messenger", "link", "1", "--hours", "0"], "from 1 to 2160"),
    (["messenger", "link", "1", "--hours", "2161"], "from 1 to 2160"),
    (["messenger", "link", "1", "--hours", "soon"], "not a number of hours"),
    (["messenger", "store", "New shop", "--link-hours", "nan"], "from 1 to 2160"),
    (["messenger", "store", "Chat shop", "--edit"], "--link-hours"),
    (["messenger", "store", "New shop", "--default-link-hours"], "--edit"),
])
def test_link_hours_out_of_bounds_exit_2_with_one_line(db: Database, capsys: pytest.CaptureFixture[str],
                                                       argv: list[str], words: str) -> None:
    setup_store(db)
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert words in err and err.count("\n") == 1
