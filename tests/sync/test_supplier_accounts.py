"""Several sellers on one installation: each channel forwards to its own supplier account, whose
wallet pays, whose rate bucket paces, whose reference prefix its orders carry, and which is asked
for their tracking; an installation with one account needs to say nothing."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select, text

from connectors.records import OrderPage, SupplierRefusal
from sync import channel_accounts, connect, supplier_accounts, track, wallet, wallet_auto
from sync.alert_conditions import Thresholds, conditions
from sync.db import Database
from sync.fields import FieldError
from sync.forward import forward
from sync.ingest import store_page
from sync.models import Channel, Order, SupplierOrderRow, utcnow
from sync.review import mark_sent_manually

from support.orders import add_accounts, order
from support.supplier import FakeSupplier

BIGBUY = {"api_key": "k"}


def _supplier(db: Database, name: str, **settings: object) -> int:
    with db.session() as s:
        row = channel_accounts.add_account(s, channel_accounts.Draft(
            name=name, kind="bigbuy", url=f"https://{name}.invalid", role="supplier", credentials=BIGBUY,
            settings=dict(settings)))
        return row.id


def _shop(db: Database, name: str, account: str | None = None) -> int:
    settings = {supplier_accounts.SETTING: account} if account else {}
    with db.session() as s:
        row = channel_accounts.add_account(s, channel_accounts.Draft(
            name=name, kind="shopify", url=f"https://{name}.invalid", credentials={"access_token": "t"},
            settings=settings))
        return row.id


def _ready(db: Database, channel_id: int, *external_ids: str) -> list[int]:
    with db.session() as s:
        return store_page(s, channel_id, OrderPage(orders=[order(e) for e in external_ids])).ready


def _two_sellers(db: Database) -> tuple[int, int, int, int]:
    """Shop A on account a (the installation's first), shop B on account b; the catalogue of add_accounts."""
    shop_a, first = add_accounts(db)
    with db.session() as s:
        s.get(Channel, first).name = "a"  # type: ignore[union-attr]
        s.get(Channel, shop_a).settings = {supplier_accounts.SETTING: "a"}  # type: ignore[union-attr]
    second = _supplier(db, "b")
    shop_b = _shop(db, "shop-b", "b")
    return shop_a, first, shop_b, second


def test_a_channel_goes_to_the_account_it_names_and_to_the_only_one_when_it_names_none(db: Database) -> None:
    with db.session() as s:
        lonely = Channel(name="early", kind="shopify", role="channel", url="https://e.invalid", settings={})
        s.add(lonely)
        s.flush()
        with pytest.raises(supplier_accounts.NoSupplier, match="no supplier account is configured"):
            supplier_accounts.for_channel(s, lonely)
    only = _supplier(db, "only")
    with db.session() as s:
        assert supplier_accounts.for_channel(s, s.get_one(Channel, lonely.id)).id == only
    _supplier(db, "second")
    with db.session() as s:
        # adding the second account wrote down where the unnamed channel went so far
        early = s.get_one(Channel, lonely.id)
        assert early.settings[supplier_accounts.SETTING] == "only"
        early.settings = {}
        with pytest.raises(supplier_accounts.NoSupplier, match="names no supplier account and there are 2"):
            supplier_accounts.for_channel(s, early)
        early.settings = {supplier_accounts.SETTING: "second"}
        assert supplier_accounts.for_channel(s, early).name == "second"
        s.scalar(select(Channel).where(Channel.name == "second")).enabled = False  # type: ignore[union-attr]
        with pytest.raises(supplier_accounts.NoSupplier, match="which is disabled"):
            supplier_accounts.for_channel(s, early)


def test_adding_or_editing_a_channel_checks_the_account_it_names(db: Database) -> None:
    _supplier(db, "a")
    _shop(db, "one")  # one account: nothing to name
    _supplier(db, "b")
    with db.session() as s, pytest.raises(channel_accounts.AccountRefused) as refused:
        channel_accounts.add_account(s, channel_accounts.Draft(
            name="two", kind="shopify", url="https://two.invalid", credentials={"access_token": "t"}, settings={}))
    assert refused.value.errors == {
        "supplier_account": "name the supplier account this channel forwards to: one of a, b"}
    with db.session() as s, pytest.raises(channel_accounts.AccountRefused) as refused:
        channel_accounts.add_account(s, channel_accounts.Draft(
            name="two", kind="shopify", url="https://two.invalid", credentials={"access_token": "t"},
            settings={"supplier_account": "one"}))  # a sales channel is no supplier account
    assert "'one' is no supplier account: one of a, b" in refused.value.errors["supplier_account"]
    with db.session() as s:
        assert s.scalar(select(Channel).where(Channel.name == "two")) is None
        row = channel_accounts.find(s, "one")
        assert channel_accounts.edit_account(s, row, channel_accounts.Change(settings={"supplier_account": "b"})) \
            == ["settings"]
        assert row.settings["supplier_account"] == "b"
        with pytest.raises(channel_accounts.AccountRefused, match="name the supplier account"):
            channel_accounts.edit_account(s, row, channel_accounts.Change(unset=("supplier_account",)))


def test_renaming_an_account_is_followed_and_one_that_channels_name_is_not_removed(db: Database) -> None:
    _supplier(db, "a")
    _supplier(db, "b")
    _shop(db, "shop", "b")
    with db.session() as s:
        b = channel_accounts.find(s, "b")
        channel_accounts.edit_account(s, b, channel_accounts.Change(rename="b-eu"))
    with db.session() as s:
        assert channel_accounts.find(s, "shop").settings["supplier_account"] == "b-eu"
        with pytest.raises(FieldError, match="channel shop forwards to b-eu"):
            channel_accounts.remove_account(s, channel_accounts.find(s, "b-eu"))


def test_a_channel_is_not_moved_while_an_order_is_on_its_way(db: Database) -> None:
    shop_a, _, _, _ = _two_sellers(db)
    (oid,) = _ready(db, shop_a, "1")
    with db.session() as s:
        s.get_one(Order, oid).status = "forwarding"
    with db.session() as s, pytest.raises(channel_accounts.AccountRefused, match="being sent"):
        channel_accounts.edit_account(s, s.get_one(Channel, shop_a),
                                      channel_accounts.Change(settings={"supplier_account": "b"}))


def test_each_channels_orders_go_to_its_account_and_its_wallet_pays(db: Database) -> None:
    shop_a, a, shop_b, b = _two_sellers(db)
    at = {a: FakeSupplier(), b: FakeSupplier()}
    at[b].balance = Decimal("15")  # one order of 10
    orders_a = _ready(db, shop_a, "1", "2")
    orders_b = _ready(db, shop_b, "1", "2")
    results = [forward(db, oid, lambda row: at[row.id]).result for oid in orders_a + orders_b]
    assert results == ["sent", "sent", "sent", "pending_review"]
    assert (at[a].creates, at[b].creates) == (2, 1)
    with db.session() as s:
        placed = dict(s.execute(select(SupplierOrderRow.order_id, SupplierOrderRow.supplier_id)).all())
        assert placed == {orders_a[0]: a, orders_a[1]: a, orders_b[0]: b}
        balances = {r.id: r.wallet_balance for r in s.scalars(select(Channel).where(Channel.role == "supplier"))}
        assert Decimal(str(balances[a])) == Decimal("980.00") and Decimal(str(balances[b])) == Decimal("5.00")
    # the wallet-short alert names b alone, with b's held order
    with db.session() as s:
        short = [c for c in conditions(s, utcnow(), Thresholds()).values() if c.kind == "wallet_short"]
    assert [(c.key, c.details["held"]) for c in short] == [("wallet_short:b", 1)]


def test_the_automatic_resubmit_reads_and_spends_each_accounts_own_wallet(db: Database) -> None:
    shop_a, a, shop_b, b = _two_sellers(db)
    at = {a: FakeSupplier(), b: FakeSupplier()}
    at[a].refuse = at[b].refuse = [SupplierRefusal(code="insufficient_wallet", message="short")]
    (held_a,) = _ready(db, shop_a, "1")
    (held_b,) = _ready(db, shop_b, "1")
    for oid in (held_a, held_b):
        assert forward(db, oid, lambda row: at[row.id]).result == "pending_review"
    with db.session() as s:
        wallet_auto.set_auto_resubmit(s, b, True)
    at[b].balance = Decimal("50")
    done = wallet_auto.resubmit_covered(db, lambda row: at[row.id], ttl=timedelta(0))
    assert done.resubmitted == [held_b]  # a's switch is off: its held order waits for an operator


def test_a_manual_placement_and_the_retry_of_a_partial_stay_with_the_account_that_holds_the_order(
        db: Database) -> None:
    shop_a, a, _, b = _two_sellers(db)
    (oid,) = _ready(db, shop_a, "1")
    with db.session() as s:
        s.add(SupplierOrderRow(order_id=oid, supplier_id=a, supplier_order_id="9", internal_reference="X-1",
                               source="created", status="created", skus=["SKU-9"]))
        s.get_one(Channel, shop_a).settings = {supplier_accounts.SETTING: "b"}
    with db.session() as s:
        assert supplier_accounts.for_order(s, oid).id == a
        s.get_one(Order, oid).status = "pending_review"
        s.execute(text("DELETE FROM supplier_orders"))
        mark_sent_manually(s, oid, "BY-HAND", actor="user:ana")
        placed = select(SupplierOrderRow.supplier_id).where(SupplierOrderRow.internal_reference == "BY-HAND")
        assert s.scalar(placed) == b


def test_tracking_asks_each_account_about_its_own_orders(db: Database) -> None:
    shop_a, a, shop_b, b = _two_sellers(db)
    at = {a: FakeSupplier(), b: FakeSupplier()}
    for shop in (shop_a, shop_b):
        (oid,) = _ready(db, shop, "1")
        forward(db, oid, lambda row: at[row.id])
    asked: dict[int, list[str]] = {a: [], b: []}
    for account, supplier in at.items():
        real = supplier.tracking

        def spy(ids: list[str], account: int = account, real=real) -> list:  # type: ignore[no-untyped-def,type-arg]
            asked[account].extend(ids)
            return real(ids)
        supplier.tracking = spy  # type: ignore[method-assign]
    result = track.sweep(db, lambda row: at[row.id])
    assert result.asked == 2
    with db.session() as s:
        by_account = {sid: [r for r, in s.execute(select(SupplierOrderRow.supplier_order_id)
                                                   .where(SupplierOrderRow.supplier_id == sid))] for sid in (a, b)}
    assert asked == by_account and all(len(v) == 1 for v in asked.values())


def test_an_account_may_carry_its_own_reference_prefix_fixed_once_its_channels_hold_orders(db: Database) -> None:
    shop_a, a, _, b = _two_sellers(db)
    with db.session() as s:
        channel_accounts.edit_account(s, s.get_one(Channel, b), channel_accounts.Change(
            settings={"reference_prefix": "SELLERB"}))
    shop_b2 = _shop(db, "shop-b2", "b")
    (oid_a,) = _ready(db, shop_a, "7")
    (oid_b,) = _ready(db, shop_b2, "7")
    with db.session() as s:
        ref_a = s.get_one(Order, oid_a).internal_reference
        ref_b = s.get_one(Order, oid_b).internal_reference
        assert ref_b == f"SELLERB{shop_b2}-7" and not ref_a.startswith("SELLERB")
        # a re-read of the same order finds it under the same reference: nothing is stored twice
        store_page(s, shop_b2, OrderPage(orders=[order("7", updated=5)]))
        assert s.scalar(select(text("count(*)")).select_from(Order).where(Order.channel_id == shop_b2)) == 1
    with db.session() as s, pytest.raises(channel_accounts.AccountRefused, match="cannot change now"):
        channel_accounts.edit_account(s, s.get_one(Channel, b), channel_accounts.Change(
            settings={"reference_prefix": "OTHER"}))
    with db.session() as s, pytest.raises(channel_accounts.AccountRefused, match="another prefix"):
        channel_accounts.edit_account(s, s.get_one(Channel, shop_a), channel_accounts.Change(
            settings={"supplier_account": "b"}))
    with db.session() as s, pytest.raises(channel_accounts.AccountRefused):
        channel_accounts.edit_account(s, s.get_one(Channel, b), channel_accounts.Change(
            settings={"reference_prefix": "no spaces"}))


def test_each_account_has_its_own_rate_bucket(db: Database) -> None:
    _, a, _, b = _two_sellers(db)
    with db.session() as s:
        s.get_one(Channel, b).settings = {"rate_per_second": 2.5}
    with db.session() as s:
        one = connect.supplier_for(s.get_one(Channel, a))
        two = connect.supplier_for(s.get_one(Channel, b))
    pacers = [one.pacer.inner, two.pacer.inner]  # type: ignore[attr-defined]
    assert pacers[0].key != pacers[1].key and pacers[1].rate == 2.5
    assert pacers[0].key == f"supplier:bigbuy:{a}" and pacers[1].key == f"supplier:bigbuy:{b}"


@pytest.mark.redis
def test_the_shared_redis_buckets_of_two_accounts_do_not_pace_each_other() -> None:
    import time

    import redis

    from connectors.ratelimit import TokenBucket

    from support import REDIS_URL

    if not REDIS_URL:
        pytest.skip("ORDERHUB_TEST_REDIS_URL is not set")
    keys = [f"test-accounts-{n}-{time.time_ns()}" for n in range(2)]
    first, second = TokenBucket(keys[0], 1.0, REDIS_URL), TokenBucket(keys[1], 1.0, REDIS_URL)
    try:
        first.wait()
        # the first account's bucket is spent for a second; the other account's is untouched
        assert first._limiter.try_acquire(keys[0], blocking=False) is False
        assert second._limiter.try_acquire(keys[1], blocking=False) is True
    finally:
        redis.Redis.from_url(REDIS_URL).delete(*[f"orderhub:pace:{k}" for k in keys])


def test_the_migration_names_the_account_every_stored_channel_went_to(tmp_path: Path) -> None:
    from sync.migrate import upgrade

    db = Database(f"sqlite:///{tmp_path / 'm.sqlite3'}")
    upgrade(db, "0010_body_digest")
    with db.engine.begin() as conn:
        for name, role, enabled in (("off", "supplier", False), ("main", "supplier", True), ("shop", "channel", True),
                                    ("named", "channel", True)):
            conn.execute(text("INSERT INTO channels (name, kind, role, url, credentials, settings, enabled, "
                              "cursor_state) VALUES (:n, 'k', :r, 'u', '{}', :s, :e, '{}')"),
                         {"n": name, "r": role, "e": enabled,
                          "s": '{"supplier_account": "off"}' if name == "named" else '{"pull_every_seconds": 60}'})
    upgrade(db)
    with db.session() as s:
        settings = dict(s.execute(select(Channel.name, Channel.settings).where(Channel.role == "channel")).all())
    assert settings == {"shop": {"pull_every_seconds": 60, "supplier_account": "main"},
                        "named": {"supplier_account": "off"}}
    db.dispose()


def test_the_first_account_is_still_what_the_catalogue_is_read_from(db: Database) -> None:
    _two_sellers(db)
    with db.session() as s:
        assert wallet.supplier_row(s).name == "a"


def test_a_messenger_store_names_its_supplier_account_like_any_channel(db: Database) -> None:
    """A second account writes the first down on every channel, the messenger stores too: the
    store's settings stay editable, and it may name another account, never one that does not exist."""
    from sync import messenger

    _supplier(db, "bigbuy-a")
    with db.session() as s:
        messenger.add_store(s, "Chat shop")
    _supplier(db, "bigbuy-b")
    with db.session() as s:
        store = messenger.edit_store(s, "Chat shop", {"link_hours": 48})
        assert supplier_accounts.named(store.settings) == "bigbuy-a" and store.settings["link_hours"] == 48
        with pytest.raises(messenger.MessengerError, match="no supplier account") as refused:
            messenger.edit_store(s, "Chat shop", {supplier_accounts.SETTING: "nope"})
        assert refused.value.field == supplier_accounts.SETTING
    with db.session() as s:
        store = messenger.edit_store(s, "Chat shop", {supplier_accounts.SETTING: "bigbuy-b"})
        assert supplier_accounts.for_channel(s, store).name == "bigbuy-b"
        with pytest.raises(messenger.MessengerError, match="no supplier account"):
            messenger.add_store(s, "Other shop", {supplier_accounts.SETTING: "nope"})
        other = messenger.add_store(s, "Other shop", {supplier_accounts.SETTING: "bigbuy-a"})
        assert supplier_accounts.for_channel(s, other).name == "bigbuy-a"
