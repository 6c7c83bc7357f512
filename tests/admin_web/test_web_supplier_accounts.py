"""Several supplier accounts in the admin: the channel form chooses the account (and refuses one
that does not exist, keeping what was typed), the order list filters by account, and the wallet
page shows each account with its channels and the orders held for it."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy import select

from connectors.records import OrderPage
from sync.db import Database
from sync.ingest import store_page
from sync.models import Channel

from support.admin import Seeded, csrf_of, hold_for_wallet
from support.orders import order

Client = Callable[[str], TestClient]
SHOP = {"kind": "shopify", "name": "seller two", "url": "https://two.example",
        "credentials.access_token": "shpat_two", "settings.pull_every_seconds": "60"}


def _second_seller(db: Database) -> tuple[int, int]:
    """Account ``bigbuy-two`` and its channel ``shop-two``, beside the seeded ``shop`` and ``supplier``."""
    with db.session() as s:
        account = Channel(name="bigbuy-two", kind="bigbuy", role="supplier", url="https://bb2.invalid",
                          credentials={"api_key": "k2"}, settings={})
        shop = Channel(name="shop-two", kind="shopify", role="channel", url="https://two.invalid",
                       credentials={"access_token": "t"}, settings={"supplier_account": "bigbuy-two"})
        s.add_all([account, shop])
        s.flush()
        seeded_shop = s.scalar(select(Channel).where(Channel.name == "shop"))
        assert seeded_shop is not None
        seeded_shop.settings = {"supplier_account": "supplier"}  # written down when the second was added
        return account.id, shop.id


def _orders_of(db: Database, channel_id: int) -> list[int]:
    from sync.models import Order

    with db.session() as s:
        return list(s.scalars(select(Order.id).where(Order.channel_id == channel_id).order_by(Order.id)))


def test_the_channel_form_offers_the_accounts_and_refuses_one_that_is_none(
        db: Database, seeded: Seeded, signed_in: Client) -> None:
    _second_seller(db)
    client = signed_in("boss")
    form = client.get("/channels/new?kind=shopify").text
    assert 'name="settings.supplier_account"' in form
    assert '<option value="bigbuy-two"' in form and '<option value="supplier"' in form
    token = csrf_of(form)
    # two accounts: a new channel must name one
    answer = client.post("/channels/new", data={**SHOP, "csrf_token": token})
    assert answer.status_code == 400
    assert "name the supplier account this channel forwards to: one of supplier, bigbuy-two" in answer.text
    assert 'value="seller two"' in answer.text and "shpat_two" not in answer.text
    # a name typed by hand (a crafted form) that is no supplier account
    answer = client.post("/channels/new", data={**SHOP, "csrf_token": token, "settings.supplier_account": "shop"})
    assert answer.status_code == 400 and "&#39;shop&#39; is no supplier account" in answer.text
    with db.session() as s:
        assert s.scalar(select(Channel).where(Channel.name == "seller two")) is None
    answer = client.post("/channels/new", data={**SHOP, "csrf_token": token,
                                                "settings.supplier_account": "bigbuy-two"})
    assert answer.status_code == 303
    with db.session() as s:
        row = s.scalar(select(Channel).where(Channel.name == "seller two"))
        assert row is not None and row.settings["supplier_account"] == "bigbuy-two"
    edit = client.get(f"/channels/{row.id}/edit").text
    assert '<option value="bigbuy-two" selected' in edit
    answer = client.post(f"/channels/{row.id}/edit", data={**SHOP, "csrf_token": csrf_of(edit),
                                                            "settings.supplier_account": "supplier"})
    assert answer.status_code == 303
    with db.session() as s:
        assert s.get_one(Channel, row.id).settings["supplier_account"] == "supplier"


def test_one_account_needs_no_choice(db: Database, seeded: Seeded, signed_in: Client) -> None:
    client = signed_in("boss")
    token = csrf_of(client.get("/channels/new?kind=shopify").text)
    assert client.post("/channels/new", data={**SHOP, "csrf_token": token}).status_code == 303
    orders = client.get("/orders?status=all").text
    assert 'name="supplier"' not in orders  # one account: no filter to choose


def test_the_order_list_filters_by_supplier_account(db: Database, seeded: Seeded, signed_in: Client) -> None:
    account, shop = _second_seller(db)
    with db.session() as s:
        store_page(s, shop, OrderPage(orders=[order("201", last_name=None)]))
    client = signed_in("clerk")
    everything = client.get("/orders?status=all").text
    assert 'aria-label="Supplier account"' in everything and "#201" in everything and "#101" in everything
    theirs = client.get(f"/orders?status=all&supplier={account}").text
    assert "#201" in theirs and "#101" not in theirs and f'<option value="{account}" selected' in theirs
    with db.session() as s:
        first = s.scalar(select(Channel.id).where(Channel.name == "supplier"))
    ours = client.get(f"/orders?status=all&supplier={first}").text
    assert "#101" in ours and "#201" not in ours
    csv = client.get(f"/orders.csv?status=all&supplier={account}").text
    assert "#201" in csv and "#101" not in csv
    assert client.get("/orders?status=all&supplier=x²").status_code == 200  # nonsense: no filter, no error


def test_the_wallet_page_shows_each_account_with_its_channels_and_held_orders(
        db: Database, seeded: Seeded, signed_in: Client) -> None:
    account, shop = _second_seller(db)
    with db.session() as s:
        store_page(s, shop, OrderPage(orders=[order("201", last_name=None)]))
    (held,) = _orders_of(db, shop)
    hold_for_wallet(db, held)
    with db.session() as s:
        from sync.models import Order

        s.get_one(Order, held).status = "pending_review"
    page = signed_in("boss").get("/wallet").text
    assert "Supplier wallets" in page and "bigbuy-two" in page and "shop-two" in page
    assert f'/orders?reason=insufficient_wallet&amp;supplier={account}">1</a>' in page
