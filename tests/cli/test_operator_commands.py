"""What an operator does from the command line, run in-process through ``main(argv)``: resubmit
by issue, find by the shop's number, cancel, edit accounts; and every input checked before it is
stored (exit 2, one line naming what is wrong)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from dramatiq.brokers.stub import StubBroker
from sqlalchemy import select, update

from admin.cli import main
from sync import connect
from sync.db import Database
from sync.forward import forward
from sync.models import Channel, Order, OrderIssue, SupplierOrderRow
from workers import actors

from support.orders import T0, ready_orders
from support.supplier import FakeSupplier


@pytest.fixture
def supplier(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeSupplier]:
    broker = StubBroker()
    broker.emit_after("process_boot")
    actors.install(broker)  # the embedded default: the command forwards in-process
    fake = FakeSupplier()
    monkeypatch.setattr(connect, "supplier_for", lambda row: fake)
    yield fake
    broker.close()


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return code, out, err


def _refuse(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    code, _, err = run(capsys, *argv)
    lines = err.strip().splitlines()
    assert code == 2 and len(lines) == 1, err
    return lines[0]


def _held_for_wallet(db: Database, supplier: FakeSupplier, count: int) -> list[int]:
    ids = ready_orders(db, count)
    supplier.balance = supplier.balance * 0
    for order_id in ids:
        assert forward(db, order_id, connect.supplier_for).result == "pending_review"
    return ids


def test_resubmit_by_issue_takes_every_held_order_oldest_first(db, supplier, capsys) -> None:
    ids = _held_for_wallet(db, supplier, 3)
    with db.session() as s:  # placed in the reverse order of their ids
        for n, order_id in enumerate(ids):
            s.execute(update(Order).where(Order.id == order_id).values(placed_at=T0 - timedelta(hours=n)))
    supplier.balance = supplier.balance + 1000
    with db.session() as s:  # the operator topped the wallet up; the cached balance is stale
        s.execute(update(Channel).where(Channel.role == "supplier").values(wallet_read_at=None))
    code, out, _ = run(capsys, "orders", "resubmit", "--issue", "insufficient_wallet")
    assert code == 0
    checked = [int(line.split()[1].rstrip(":")) for line in out.splitlines() if line.endswith(": ready")]
    assert checked == list(reversed(ids))
    assert out.count(": sent") == 3
    code, out, _ = run(capsys, "orders", "resubmit", "--issue", "insufficient_wallet")
    assert code == 0 and "no order is held" in out
    assert "ID... or --issue" in _refuse(capsys, "orders", "resubmit", str(ids[0]), "--issue", "x")
    assert "unknown issue code 'nonsense'" in _refuse(capsys, "orders", "resubmit", "--issue", "nonsense")
    assert "unknown issue code 'nonsense'" in _refuse(capsys, "orders", "list", "--issue", "nonsense")


def test_a_resubmitted_order_the_supplier_step_holds_again_says_why(db, supplier, capsys) -> None:
    (order_id,) = _held_for_wallet(db, supplier, 1)
    code, out, _ = run(capsys, "orders", "resubmit", str(order_id))
    assert code == 0
    assert out.splitlines() == [f"order {order_id}: ready", f"order {order_id}: pending_review (insufficient_wallet)"]


def test_acknowledging_a_code_the_order_does_not_have_says_so(db, supplier, capsys) -> None:
    (order_id,) = _held_for_wallet(db, supplier, 1)
    assert _refuse(capsys, "orders", "acknowledge", str(order_id), "bogus") == (
        f"orderhub: order {order_id} has no open bogus issue")
    assert "holds the order" in _refuse(capsys, "orders", "acknowledge", str(order_id), "insufficient_wallet")


def test_find_by_the_shops_number(db, supplier, capsys) -> None:
    (order_id,) = ready_orders(db, 1)
    for number in ("#0", "0"):
        code, out, _ = run(capsys, "orders", "find", number, "--json")
        assert code == 0 and f'"id": {order_id}' in out
    assert "no order numbered" in _refuse(capsys, "orders", "find", "#404")


def test_cancel_an_order_not_yet_sent(db, supplier, capsys) -> None:
    first, second = ready_orders(db, 2)
    assert run(capsys, "orders", "cancel", str(first), "--reason", "buyer phoned")[0] == 0
    with db.session() as s:
        assert s.get(Order, first).status == "cancelled"
    assert forward(db, second, connect.supplier_for).result == "sent"
    assert "only orders not at the supplier" in _refuse(capsys, "orders", "cancel", str(second))
    assert "does not exist" in _refuse(capsys, "orders", "cancel", "999999")


def _add(capsys, *extra: str) -> str:
    return _refuse(capsys, "channels", "add", "myshop", "--kind", "shopify", *extra)


def test_channels_add_refuses_what_the_kind_cannot_use(db, capsys) -> None:
    url = "https://myshop.example"
    assert "access_token" in _add(capsys, "--url", url)
    line = _add(capsys, "--url", url, "--credential", "access_token=shpat_secret1", "--credential", "apikey=zzz")
    assert "apikey" in line and "shpat_secret1" not in line
    assert "colour" in _add(capsys, "--url", url, "--credential", "access_token=t", "--setting", "colour=blue")
    assert "pull_every_seconds" in _add(capsys, "--url", url, "--credential", "access_token=t",
                                        "--setting", "pull_every_seconds=-5")
    assert "api_version" in _add(capsys, "--url", url, "--credential", "access_token=t",
                                 "--setting", "api_version=latest")
    for bad in ("myshop.example", "ftp://myshop.example", "https://", "https://user:pw@shop.example",
                "https://shop.example:99999", "https://shop example"):
        assert "URL" in _add(capsys, "--url", bad, "--credential", "access_token=t"), bad
    assert "nested too deeply" in _add(capsys, "--url", url, "--credential", "access_token=t",
                                       "--setting", "pull_every_seconds=" + "[" * 100_000)
    assert "language" in _refuse(capsys, "channels", "add", "bb", "--kind", "bigbuy", "--url", url,
                                 "--credential", "api_key=k", "--setting", "language=english")
    with db.session() as s:
        assert s.scalars(select(Channel)).all() == []  # nothing stored on the way
    code, out, _ = run(capsys, "channels", "add", "myshop", "--kind", "shopify", "--url", url + "/",
                       "--credential", "access_token=t", "--setting", "pull_every_seconds=60")
    assert code == 0
    with db.session() as s:
        row = s.scalar(select(Channel))
        assert (row.url, row.settings) == (url, {"pull_every_seconds": 60})


def test_channels_edit_disable_and_remove(db, capsys) -> None:
    url = "https://myshop.example"
    assert run(capsys, "channels", "add", "myshop", "--kind", "shopify", "--url", url,
               "--credential", "access_token=old")[0] == 0
    assert run(capsys, "channels", "edit", "myshop", "--credential", "access_token=new",
               "--setting", "allow_authorized=true", "--url", "https://other.example")[0] == 0
    assert "nope" in _refuse(capsys, "channels", "edit", "myshop", "--credential", "nope=1")
    assert "nothing to change" in _refuse(capsys, "channels", "edit", "myshop")
    assert run(capsys, "channels", "disable", "myshop")[0] == 0
    with db.session() as s:
        row = s.scalar(select(Channel))
        assert (row.url, row.credentials, row.settings, row.enabled) == (
            "https://other.example", {"access_token": "new"}, {"allow_authorized": True}, False)
    assert run(capsys, "channels", "remove", "myshop")[0] == 0
    assert "no account named" in _refuse(capsys, "channels", "disable", "myshop")


def test_an_account_with_orders_is_not_removed(db, supplier, capsys) -> None:
    (order_id,) = ready_orders(db, 1)
    assert forward(db, order_id, connect.supplier_for).result == "sent"
    assert "disable it instead" in _refuse(capsys, "channels", "remove", "shop")
    assert "disable it instead" in _refuse(capsys, "channels", "remove", "supplier")


def _flagged(db: Database) -> int:
    """An order held for review for a missing surname."""
    (order_id,) = ready_orders(db, 1)
    with db.session() as s:
        s.execute(update(Order).where(Order.id == order_id).values(status="pending_review"))
        s.add(OrderIssue(order_id=order_id, code="missing_surname", field="shipping_address.last_name",
                         message="no surname"))
    return order_id


def test_orders_edit_checks_each_field(db, capsys) -> None:
    order_id = _flagged(db)
    edit = ("orders", "edit", str(order_id), "--set")
    assert "phone" in _refuse(capsys, *edit, "phone=12")
    assert "email" in _refuse(capsys, *edit, "email=lucia@@example")
    assert "country_code" in _refuse(capsys, *edit, "country_code=XX")
    assert "at most" in _refuse(capsys, *edit, "city=" + "V" * 500)
    assert "control characters" in _refuse(capsys, *edit, "last_name=Gar\x00cia")
    code, out, _ = run(capsys, *edit, "phone=600 123 456", "--set", "email=Lucia@Example.com",
                       "--set", "country_code=es", "--set", "last_name=Garcia")
    assert code == 0
    # the answer names what changed; the buyer's phone and email are not printed back
    assert "country_code, email, last_name, phone" in out
    assert "600123456" not in out and "Lucia@" not in out
    with db.session() as s:
        address = s.get(Order, order_id).shipping_address
    assert (address["phone"], address["country_code"], address["email"]) == ("+34600123456", "ES",
                                                                              "Lucia@example.com")


def test_mark_sent_refuses_a_reference_that_is_not_this_orders(db, supplier, capsys) -> None:
    order_id = _flagged(db)
    other = ready_orders_more(db)
    assert forward(db, other, connect.supplier_for).result == "sent"
    with db.session() as s:
        taken = s.scalar(select(SupplierOrderRow).where(SupplierOrderRow.order_id == other))
        other_reference = s.get(Order, other).internal_reference
    mark = ("orders", "mark-sent", str(order_id), "--reference")
    assert f"order {other}" in _refuse(capsys, *mark, taken.supplier_order_id)
    assert f"order {other}" in _refuse(capsys, *mark, other_reference)
    assert "characters" in _refuse(capsys, *mark, "R" * 65)
    assert run(capsys, *mark, "BY-HAND-1")[0] == 0


def ready_orders_more(db: Database) -> int:
    """One more ready order beside those already stored."""
    from connectors.records import OrderPage
    from sync.ingest import store_page

    from support.orders import order

    with db.session() as s:
        channel_id = s.scalar(select(Channel.id).where(Channel.role == "channel"))
        (ready,) = store_page(s, channel_id, OrderPage(orders=[order("extra")])).ready
    return ready


def test_acknowledge_cannot_close_what_holds_an_order(db, capsys) -> None:
    order_id = _flagged(db)
    assert "holds the order for review" in _refuse(capsys, "orders", "acknowledge", str(order_id), "missing_surname")
    with db.session() as s:
        assert s.scalar(select(OrderIssue.closed_at).where(OrderIssue.order_id == order_id)) is None
