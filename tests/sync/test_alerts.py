"""Alerts: raised once when a condition starts, cleared once when it ends, never a storm; two
sweeps at once tell once; a failed notice is sent again by a later sweep; no credential logged."""

from __future__ import annotations

import threading
from datetime import timedelta
from decimal import Decimal

import structlog
from pydantic import SecretStr
from sqlalchemy import update

from connectors.records import OrderPage
from sync.alert_conditions import Thresholds
from sync.alert_models import Alert, AlertNotice
from sync.alerts import evaluate_alerts
from sync.db import Database
from sync.ingest import store_page
from sync.models import Channel, Order, OrderIssue, utcnow
from sync.settings import Settings

from support.orders import add_accounts, order
from support.receivers import Recorder, smtp_server, webhook_server

LIMITS = Thresholds(review_after=timedelta(hours=4), channel_silent_after=timedelta(hours=1))


def _flagged(db: Database, *numbers: str) -> tuple[int, int, list[int]]:
    """Orders held for review (no surname), all of them flagged long ago."""
    channel_id, supplier_id = add_accounts(db)
    with db.session() as s:
        store_page(s, channel_id, OrderPage(orders=[order(n, last_name=None) for n in numbers]))
        s.execute(update(Order).values(status_changed_at=utcnow() - timedelta(days=1)))
        ids = [o.id for o in s.query(Order).order_by(Order.id)]
    return channel_id, supplier_id, ids


def _resolve(db: Database, order_id: int) -> None:
    with db.session() as s:
        s.execute(update(Order).where(Order.id == order_id).values(status="cancelled"))


def test_overdue_review_is_told_once_then_once_more_when_it_clears(db: Database) -> None:
    _, _, ids = _flagged(db, "101", "102")
    hook = Recorder()
    now = utcnow()
    first = evaluate_alerts(db, now, limits=LIMITS, notifiers=[hook])
    assert first.raised == ["review_overdue"]
    for minutes in range(1, 6):  # the condition goes on: nothing more is said
        assert evaluate_alerts(db, now + timedelta(minutes=minutes), limits=LIMITS, notifiers=[hook]).raised == []
    assert hook.events() == [("review_overdue", "raised")]
    assert hook.sent[0].payload["details"]["orders"] == ["#101", "#102"]
    assert "Lucia" not in hook.sent[0].text and "lucia@example.com" not in hook.sent[0].text
    _resolve(db, ids[0])
    evaluate_alerts(db, now + timedelta(minutes=7), limits=LIMITS, notifiers=[hook])
    assert hook.events() == [("review_overdue", "raised")]  # one order is still overdue
    _resolve(db, ids[1])
    cleared = evaluate_alerts(db, now + timedelta(minutes=8), limits=LIMITS, notifiers=[hook])
    assert cleared.cleared == ["review_overdue"]
    evaluate_alerts(db, now + timedelta(minutes=9), limits=LIMITS, notifiers=[hook])
    assert hook.events() == [("review_overdue", "raised"), ("review_overdue", "cleared")]
    with db.session() as s:
        row = s.get(Alert, "review_overdue")
        assert row is not None and not row.active and row.cleared_at is not None


def test_orders_flagged_recently_are_no_alert(db: Database) -> None:
    _flagged(db, "101")
    hook = Recorder()
    assert evaluate_alerts(db, utcnow(), limits=Thresholds(review_after=timedelta(days=2)), notifiers=[hook]).raised \
        == []
    assert hook.sent == []


def test_a_channel_that_stops_syncing_and_one_whose_credentials_fail(db: Database) -> None:
    channel_id, _ = add_accounts(db)
    now = utcnow()
    with db.session() as s:
        s.execute(update(Channel).where(Channel.id == channel_id).values(last_sync_at=now - timedelta(hours=3)))
    hook = Recorder()
    assert evaluate_alerts(db, now, limits=LIMITS, notifiers=[hook]).raised == [f"channel_silent:{channel_id}"]
    with db.session() as s:
        s.execute(update(Channel).where(Channel.id == channel_id)
                  .values(last_error="auth_broken: the grant was revoked"))
    assert evaluate_alerts(db, now, limits=LIMITS, notifiers=[hook]).raised == [f"channel_auth:{channel_id}"]
    with db.session() as s:  # the credential is set again and a pull goes through
        s.execute(update(Channel).where(Channel.id == channel_id).values(last_error=None, last_sync_at=now))
    assert sorted(evaluate_alerts(db, now, limits=LIMITS, notifiers=[hook]).cleared) == \
        sorted([f"channel_silent:{channel_id}", f"channel_auth:{channel_id}"])
    assert [e for _, e in hook.events()] == ["raised", "raised", "cleared", "cleared"]


def test_the_wallet_short_of_the_orders_held_for_it(db: Database) -> None:
    _, supplier_id, ids = _flagged(db, "101", "102")
    with db.session() as s:
        s.query(OrderIssue).delete()
        for order_id in ids:
            s.add(OrderIssue(order_id=order_id, code="insufficient_wallet", source="supplier", message="short"))
        s.execute(update(Channel).where(Channel.id == supplier_id).values(wallet_balance=Decimal("15.00")))
    hook = Recorder()
    now = utcnow()
    assert evaluate_alerts(db, now, limits=Thresholds(review_after=None), notifiers=[hook]).raised == \
        ["wallet_short:supplier"]
    details = hook.sent[0].payload["details"]
    assert details["held"] == 2 and details["held_cost"] == "20.00" and details["balance"] == "15.00"
    with db.session() as s:  # a top-up covers both
        s.execute(update(Channel).where(Channel.id == supplier_id).values(wallet_balance=Decimal("25.00")))
    assert evaluate_alerts(db, now, limits=Thresholds(review_after=None), notifiers=[hook]).cleared == \
        ["wallet_short:supplier"]
    low = Thresholds(review_after=None, wallet_below=Decimal("100"))
    assert evaluate_alerts(db, now, limits=low, notifiers=[hook]).raised == ["wallet_short:supplier"]


def test_two_sweeps_at_once_tell_once(db: Database) -> None:
    _flagged(db, "101")
    hook = Recorder()
    now = utcnow()
    start = threading.Barrier(4)

    def sweep() -> None:
        start.wait()
        evaluate_alerts(db, now, limits=LIMITS, notifiers=[hook])

    threads = [threading.Thread(target=sweep) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert hook.events() == [("review_overdue", "raised")]
    with db.session() as s:
        assert s.query(AlertNotice).count() == 1


def test_a_failed_notice_is_sent_by_a_later_sweep_and_holds_no_other(db: Database) -> None:
    _flagged(db, "101")
    hook, mail = Recorder(failing=True), Recorder(destination="email")
    now = utcnow()
    first = evaluate_alerts(db, now, limits=LIMITS, notifiers=[hook, mail])
    assert first.delivery.failed == 1 and first.delivery.sent == 1 and hook.sent == []
    hook.failing = False
    evaluate_alerts(db, now + timedelta(seconds=10), limits=LIMITS, notifiers=[hook, mail])
    assert hook.sent == []  # not before its time to try again
    later = evaluate_alerts(db, now + timedelta(minutes=2), limits=LIMITS, notifiers=[hook, mail])
    assert later.delivery.sent == 1
    assert hook.events() == mail.events() == [("review_overdue", "raised")]
    with db.session() as s:
        sent = s.query(AlertNotice).filter(AlertNotice.destination == "webhook").one()
        assert sent.attempts == 2 and sent.sent_at is not None and sent.last_error is None


def test_by_mail_and_webhook_from_the_settings_without_logging_a_credential(db: Database, capsys) -> None:
    _flagged(db, "101")
    with smtp_server() as box, webhook_server() as hook, structlog.testing.capture_logs() as logs:
        box.password = "mail-pass-4401"
        settings = Settings(smtp_host="127.0.0.1", smtp_port=box.port, smtp_user="hub",
                            smtp_password=SecretStr("mail-pass-4401"), smtp_to="ops@shop.example",
                            smtp_starttls=False, alert_webhook_url=SecretStr(hook.url),
                            alert_webhook_secret=SecretStr("hook-secret-8812"))
        hook.fail_with = 500
        sweep = evaluate_alerts(db, utcnow(), limits=LIMITS, settings=settings)
        assert sweep.delivery.sent == 1 and sweep.delivery.failed == 1  # the webhook answered 500
        hook.fail_with = None
        evaluate_alerts(db, utcnow() + timedelta(minutes=5), limits=LIMITS, settings=settings)
    assert len(hook.requests) == 1 and len(box.messages) == 1 and box.logins == [("hub", "mail-pass-4401")]
    assert box.messages[0]["Subject"] == "[OrderHub] ALERT: review_overdue"
    assert any(e["event"] == "alerts.notice_failed" for e in logs)
    out, err = capsys.readouterr()
    shown = repr(logs) + out + err + repr(settings)
    for secret in ("mail-pass-4401", "hook-secret-8812", hook.url):
        assert secret not in shown


def test_a_destination_that_fails_is_not_tried_again_for_each_notice_of_the_sweep(db: Database) -> None:
    channel_id, _, _ = _flagged(db, "101")
    with db.session() as s:
        s.execute(update(Channel).where(Channel.id == channel_id)
                  .values(last_error="auth_broken: refused", last_sync_at=utcnow() - timedelta(days=1)))
    tries: list[str] = []

    class Down(Recorder):
        def send(self, notice: object) -> None:
            tries.append("webhook")
            super().send(notice)

    hook = Down(failing=True)
    sweep = evaluate_alerts(db, utcnow(), limits=LIMITS, notifiers=[hook])
    assert len(sweep.raised) == 3 and tries == ["webhook"] and sweep.delivery.failed == 1
    hook.failing = False
    later = evaluate_alerts(db, utcnow() + timedelta(minutes=5), limits=LIMITS, notifiers=[hook])
    assert later.delivery.sent == 3 and len(hook.sent) == 3
