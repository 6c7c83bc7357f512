"""Alerts: operators are told once when a condition starts and once when it clears.

``evaluate_alerts`` looks at the conditions (``sync.alert_conditions``), moves each alert's row
by a conditional write (raise: insert, or ``active`` false -> true; clear: true -> false), and in
the same transaction writes one notice per destination. Only the writer whose row moved writes
notices, so two sweeps at once (two workers, two schedulers) tell once; a condition that goes on
holding tells nothing more. The notices are sent after the commit (``sync.alert_delivery``); a
failed one waits for a later sweep and never stops this one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import structlog
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from sync import alert_delivery
from sync.alert_conditions import Condition, Thresholds, conditions
from sync.alert_models import Alert, AlertNotice
from sync.db import Database
from sync.settings import Settings, get_settings
from sync.upsert import insert_for

log = structlog.get_logger(__name__)

__all__ = ["Sweep", "Thresholds", "evaluate_alerts", "thresholds"]


@dataclass
class Sweep:
    raised: list[str] = field(default_factory=list)
    cleared: list[str] = field(default_factory=list)
    delivery: alert_delivery.Delivered = field(default_factory=alert_delivery.Delivered)


def thresholds(settings: Settings) -> Thresholds:
    def minutes(n: float) -> timedelta | None:
        return timedelta(minutes=n) if n > 0 else None

    return Thresholds(review_after=minutes(settings.alert_review_after_minutes),
                      channel_silent_after=minutes(settings.alert_channel_silent_minutes),
                      no_orders_after=minutes(settings.alert_no_orders_hours * 60),
                      wallet_below=settings.alert_wallet_below)


def evaluate_alerts(db: Database, now: datetime, *, limits: Thresholds | None = None,
                    notifiers: Sequence[alert_delivery.Notifier] | None = None,
                    settings: Settings | None = None) -> Sweep:
    """``notifiers``: where notices go (by default those the settings configure)."""
    settings = settings or get_settings()
    if notifiers is None:
        notifiers = alert_delivery.from_settings(settings)
    if limits is None:
        limits = thresholds(settings)
    destinations = [n.destination for n in notifiers]
    with db.session() as session:
        holding = conditions(session, now, limits)
        active = set(session.scalars(select(Alert.key).where(Alert.active.is_(True))))
    sweep = Sweep()
    for key in sorted(active - set(holding)):
        with db.session() as session:  # each change in its own short transaction: a write first
            if _clear(session, key, now, destinations):
                sweep.cleared.append(key)
    for key, condition in sorted(holding.items()):
        with db.session() as session:
            if _raise(session, condition, now, destinations):
                sweep.raised.append(key)
    if sweep.raised or sweep.cleared:
        log.info("alerts.changed", raised=sweep.raised, cleared=sweep.cleared)
    sweep.delivery = alert_delivery.deliver(db, now, notifiers)
    return sweep


def _raise(session: Session, c: Condition, now: datetime, destinations: list[str]) -> bool:
    values = {"kind": c.kind, "active": True, "raised_at": now, "cleared_at": None, "summary": c.summary,
              "details": c.details}
    # RETURNING, not rowcount: through the ORM session an INSERT's rowcount is -1 on psycopg
    inserted = session.execute(insert_for(session, Alert.__table__)  # type: ignore[arg-type]
                               .values(key=c.key, **values).on_conflict_do_nothing(index_elements=["key"])
                               .returning(Alert.__table__.c.key)).first()
    moved = 1 if inserted is not None else 0
    if not moved:
        moved = session.execute(update(Alert).where(Alert.key == c.key, Alert.active.is_(False)).values(**values)
                                .execution_options(synchronize_session=False)).rowcount  # type: ignore[attr-defined]
    if moved:
        _notices(session, c.key, "raised", c.summary, c.details, now, destinations)
    return bool(moved)


def _clear(session: Session, key: str, now: datetime, destinations: list[str]) -> bool:
    moved = session.execute(update(Alert).where(Alert.key == key, Alert.active.is_(True))
                            .values(active=False, cleared_at=now)
                            .execution_options(synchronize_session=False)).rowcount  # type: ignore[attr-defined]
    if moved:
        row = session.get(Alert, key)
        what = row.summary if row is not None else key
        _notices(session, key, "cleared", f"cleared: {what}", {}, now, destinations)
    return bool(moved)


def _notices(session: Session, key: str, event: str, summary: str, details: dict[str, Any], now: datetime,
             destinations: list[str]) -> None:
    subject = f"[OrderHub] {'ALERT' if event == 'raised' else 'cleared'}: {key}"
    payload = {"key": key, "kind": key.partition(":")[0], "event": event, "at": now.isoformat(),
               "summary": summary, "details": details}
    for destination in destinations:
        session.add(AlertNotice(alert_key=key, event=event, destination=destination, subject=subject[:300],
                                body=summary, payload=payload, created_at=now, next_try_at=now))
