"""Find work that no message stands for any more (a lost message, a killed worker) and say it
again. Messages are hints; this sweep is what makes losing them cost time, never orders."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import select

from sync.db import Database
from sync.models import Order, Shipment, utcnow
from sync.states import Status


@dataclass
class Stuck:
    to_judge: list[int] = field(default_factory=list)
    to_forward: list[int] = field(default_factory=list)
    to_push: list[int] = field(default_factory=list)

    @property
    def total(self) -> int:
        return len(self.to_judge) + len(self.to_forward) + len(self.to_push)


def find_stuck(db: Database, *, older_than: timedelta, limit: int = 5_000) -> Stuck:
    cutoff = utcnow() - older_than
    stuck = Stuck()
    with db.session() as session:
        stuck.to_judge = list(session.scalars(
            select(Order.id).where(Order.status == Status.NEW, Order.status_changed_at < cutoff).limit(limit)))
        stuck.to_forward = list(session.scalars(
            select(Order.id).where(
                Order.status.in_([Status.READY.value, Status.FORWARDING.value]), Order.status_changed_at < cutoff
            ).order_by(Order.id).limit(limit)))
        stuck.to_push = list(session.scalars(
            select(Shipment.id).where(Shipment.pushed_at.is_(None), Shipment.created_at < cutoff).limit(limit)))
    return stuck
