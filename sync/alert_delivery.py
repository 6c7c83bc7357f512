"""Sending alert notices after the commit that wrote them: each one is claimed by a conditional
write (so two senders never both send it), sent outside any transaction, then marked sent, or
given back with its error and a later time to try again. One destination failing holds no other
and never stops the sweep."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

import structlog
from sqlalchemy import or_, select, update

from connectors.notify import Notice, NotifyFailed, SmtpNotifier, WebhookNotifier
from sync.alert_models import AlertNotice
from sync.db import Database
from sync.settings import Settings

log = structlog.get_logger(__name__)

#: a claim older than this belongs to a sender that died: the notice may be taken again
CLAIM_LEASE = timedelta(minutes=5)
#: the wait after a failed send doubles from one minute up to an hour
FIRST_RETRY = timedelta(minutes=1)
LAST_RETRY = timedelta(hours=1)
BATCH = 100


class Notifier(Protocol):
    @property
    def destination(self) -> str: ...

    def send(self, notice: Notice) -> None: ...


@dataclass
class Delivered:
    sent: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)


def from_settings(settings: Settings) -> list[Notifier]:
    out: list[Notifier] = []
    to = tuple(a.strip() for a in settings.smtp_to.split(",") if a.strip())
    if settings.smtp_host and to:
        out.append(SmtpNotifier(host=settings.smtp_host, port=settings.smtp_port,
                                sender=settings.smtp_from or to[0], to=to, user=settings.smtp_user,
                                password=settings.smtp_password.get_secret_value(), starttls=settings.smtp_starttls))
    url = settings.alert_webhook_url.get_secret_value()
    if url:
        out.append(WebhookNotifier(url=url, secret=settings.alert_webhook_secret.get_secret_value()))
    return out


def deliver(db: Database, now: datetime, notifiers: Sequence[Notifier]) -> Delivered:
    done = Delivered()
    by_destination = {n.destination: n for n in notifiers}
    if not by_destination:
        return done
    with db.session() as session:
        due = session.execute(
            select(AlertNotice.id, AlertNotice.destination, AlertNotice.attempts).where(
                AlertNotice.sent_at.is_(None), AlertNotice.destination.in_(list(by_destination)),
                or_(AlertNotice.next_try_at.is_(None), AlertNotice.next_try_at <= now),
                or_(AlertNotice.claimed_at.is_(None), AlertNotice.claimed_at < now - CLAIM_LEASE))
            .order_by(AlertNotice.id).limit(BATCH)).all()
    down: set[str] = set()
    for notice_id, destination, attempts in due:
        if destination in down:
            continue  # it just failed: its other notices wait for a later sweep, not its timeout each
        claimed = _claim(db, notice_id, attempts, now)
        if claimed is None:
            continue  # another sender has it
        try:
            by_destination[destination].send(claimed)
        except Exception as exc:
            error = str(exc) if isinstance(exc, NotifyFailed) else f"{type(exc).__name__}"
            down.add(destination)
            _give_back(db, notice_id, attempts + 1, now, error)
            log.warning("alerts.notice_failed", notice_id=notice_id, destination=destination, error=error,
                        attempts=attempts + 1)
            done.failed += 1
            done.errors.append(error)
            continue
        _sent(db, notice_id, now)
        done.sent += 1
    return done


def _claim(db: Database, notice_id: int, attempts: int, now: datetime) -> Notice | None:
    with db.session() as session:
        taken = session.execute(
            update(AlertNotice).where(
                AlertNotice.id == notice_id, AlertNotice.sent_at.is_(None), AlertNotice.attempts == attempts,
                or_(AlertNotice.claimed_at.is_(None), AlertNotice.claimed_at < now - CLAIM_LEASE))
            .values(claimed_at=now, attempts=attempts + 1)
            .execution_options(synchronize_session=False)).rowcount  # type: ignore[attr-defined]
        if not taken:
            return None
        row = session.get(AlertNotice, notice_id)
        assert row is not None
        text = f"{row.body}\n\n{row.event} at {row.created_at.isoformat()} ({row.alert_key})\n"
        return Notice(subject=row.subject, text=text, payload=dict(row.payload or {}))


def _sent(db: Database, notice_id: int, now: datetime) -> None:
    with db.session() as session:
        session.execute(update(AlertNotice).where(AlertNotice.id == notice_id)
                        .values(sent_at=now, claimed_at=None, last_error=None))


def _give_back(db: Database, notice_id: int, attempts: int, now: datetime, error: str) -> None:
    wait = min(FIRST_RETRY * 2 ** max(attempts - 1, 0), LAST_RETRY)
    with db.session() as session:
        session.execute(update(AlertNotice).where(AlertNotice.id == notice_id)
                        .values(claimed_at=None, next_try_at=now + wait, last_error=error[:2000]))
