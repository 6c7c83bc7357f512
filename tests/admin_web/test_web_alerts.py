"""The alerts page (raised and recent alerts, whether their notices went out, the settings without
a secret) and the wallet's switch for resubmitting by itself."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal

from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import update

from sync.alerts import evaluate_alerts
from sync.db import Database
from sync.models import Channel, Order, utcnow
from sync.settings import Settings

from support.admin import Seeded, csrf_of, hold_for_wallet
from support.receivers import Recorder

Client = Callable[[str], TestClient]


def test_the_alerts_page_lists_what_is_raised_and_hides_amounts_from_who_may_not_see_them(
        db: Database, seeded: Seeded, signed_in: Client) -> None:
    hold_for_wallet(db, seeded.orders["surname"])
    with db.session() as s:
        s.execute(update(Order).values(status_changed_at=utcnow() - timedelta(days=1)))
        s.execute(update(Channel).where(Channel.role == "supplier").values(wallet_balance=Decimal("3.21")))
    failing = Recorder(failing=True)
    evaluate_alerts(db, utcnow(), notifiers=[failing])
    boss = signed_in("boss").get("/alerts").text
    assert "Alerts raised now: 2" in boss
    assert "review_overdue" in boss and "wallet_short:supplier" in boss and "3.21" in boss
    assert "not sent yet" in boss and "the webhook answered 503" in boss
    clerk = signed_in("clerk").get("/alerts").text
    assert "wallet_short:supplier" in clerk and not re.search(r"3[.,]21", clerk)


def test_the_settings_are_shown_without_a_password_a_secret_or_the_webhook_address(
        app: FastAPI, signed_in: Client) -> None:
    app.state.settings = Settings(smtp_host="mail.shop.example", smtp_to="ops@shop.example", smtp_user="hub",
                                  smtp_password=SecretStr("pw-5521"),
                                  alert_webhook_url=SecretStr("https://hooks.example/T0KEN-77"),
                                  alert_webhook_secret=SecretStr("sig-9090"), alert_review_after_minutes=30)
    page = signed_in("boss").get("/alerts").text
    assert "mail.shop.example:587 to ops@shop.example" in page and "hooks.example" in page
    assert "waiting more than 30 minutes" in page and "signed (HMAC-SHA256)" in page
    for secret in ("pw-5521", "T0KEN-77", "sig-9090"):
        assert secret not in page


def test_the_wallet_switch_is_for_who_manages_accounts(db: Database, signed_in: Client) -> None:
    with db.session() as s:
        supplier_id = s.query(Channel.id).filter(Channel.role == "supplier").scalar()
    boss = signed_in("boss")
    page = boss.get("/wallet").text
    assert "Automatic resubmit</dt><dd>off" in page
    answer = boss.post(f"/wallet/{supplier_id}/auto-resubmit", data={"csrf_token": csrf_of(page), "on": "1"})
    assert answer.status_code == 303
    assert "Automatic resubmit</dt><dd>on" in boss.get("/wallet").text
    with db.session() as s:
        assert s.get(Channel, supplier_id).settings["auto_resubmit_wallet"] is True  # type: ignore[union-attr]
    clerk = signed_in("clerk")
    page = clerk.get("/wallet").text
    assert "auto-resubmit" not in page
    refused = clerk.post(f"/wallet/{supplier_id}/auto-resubmit", data={"csrf_token": csrf_of(page), "on": "0"})
    assert refused.status_code == 403
    with db.session() as s:
        assert s.get(Channel, supplier_id).settings["auto_resubmit_wallet"] is True  # type: ignore[union-attr]
