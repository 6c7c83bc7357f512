"""Resubmitting, by itself, what a top-up of the supplier wallet pays for, on supplier accounts
whose ``auto_resubmit_wallet`` setting is on (off by default).

Each sweep reads the balance when the cached one is older than the wallet's TTL (one supplier
call, outside any transaction, and only while orders are held for the wallet), then resubmits the
oldest held orders the balance covers, stopping at the first it does not. Each goes through the
operators' own conditional resubmit (``sync.review.resubmit``): an order an operator resubmitted,
cancelled or marked sent meanwhile has left pending_review and is passed over. The orders made
ready are handed to ``after_commit``, to be forwarded at the supplier's shared pace. An order
resubmitted this way ``MAX_AUTOMATIC`` times and held again (the catalogue's cost is a lower bound
of the supplier's price) waits for an operator.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from typing import Any

import structlog
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from connectors.base import SupplierConnector
from sync import review, supplier_accounts, wallet
from sync.db import Database
from sync.models import Channel, OrderEvent
from sync.wallet_held import Held, covered, held_for_wallet

log = structlog.get_logger(__name__)

SETTING = "auto_resubmit_wallet"
#: who the order's history names for these resubmits
ACTOR = "worker:wallet"
MAX_AUTOMATIC = 3


@dataclass
class AutoResubmit:
    balance: Decimal | None = None
    read: bool = False
    resubmitted: list[int] = field(default_factory=list)
    ready: list[int] = field(default_factory=list)


def is_on(settings: dict[str, Any] | None) -> bool:
    return (settings or {}).get(SETTING) is True


def set_auto_resubmit(session: Session, supplier_id: int, on: bool) -> None:
    row = session.get(Channel, supplier_id, with_for_update=True)
    if row is None or row.role != "supplier":
        raise LookupError(f"no supplier account {supplier_id}")
    settings = dict(row.settings or {})
    settings[SETTING] = on
    session.execute(update(Channel).where(Channel.id == supplier_id).values(settings=settings))


def resubmit_covered(db: Database, supplier_for: Callable[[Channel], SupplierConnector], *, ttl: timedelta,
                     after_commit: Callable[[list[int]], object] | None = None) -> AutoResubmit:
    """Every supplier account whose switch is on, each paying for the orders of its own channels."""
    done = AutoResubmit()
    with db.session() as session:
        ids = [a.id for a in supplier_accounts.accounts(session, enabled_only=True) if is_on(a.settings)]
    for supplier_id in ids:
        _one_account(db, supplier_id, supplier_for, ttl, done)
    if done.resubmitted:
        log.info("wallet.auto_resubmitted", orders=len(done.resubmitted), ready=len(done.ready))
    if done.ready and after_commit is not None:
        after_commit(done.ready)
    return done


def _one_account(db: Database, supplier_id: int, supplier_for: Callable[[Channel], SupplierConnector],
                 ttl: timedelta, done: AutoResubmit) -> None:
    with db.session() as session:
        supplier = session.get(Channel, supplier_id)
        assert supplier is not None
        channels = supplier_accounts.channel_ids(session, supplier)
        if not held_for_wallet(session, limit=1, channel_ids=channels):
            return
        connector = supplier_for(supplier) if wallet.needs_reading(session, supplier_id, ttl) else None
    if connector is not None:
        balance = connector.wallet_balance()  # between transactions: no lock waits on the supplier
        with db.session() as session:
            wallet.store(session, supplier_id, balance)
        done.read = True
    with db.session() as session:
        cached = session.scalar(select(Channel.wallet_balance).where(Channel.id == supplier_id))
        held = _still_automatic(session, held_for_wallet(session, channel_ids=channels))
    done.balance = Decimal(str(cached or 0))
    for h in covered(held, done.balance):
        try:
            with db.session() as session:
                result = review.resubmit(session, h.order_id, actor=ACTOR)
        except review.ReviewError as exc:  # an operator or a worker moved it first: theirs wins
            log.info("wallet.auto_resubmit_skipped", order_id=h.order_id, reason=str(exc))
            continue
        done.resubmitted.append(h.order_id)
        if result.status == "ready":
            done.ready.append(h.order_id)


def _still_automatic(session: Session, held: list[Held]) -> list[Held]:
    """The held orders not yet resubmitted ``MAX_AUTOMATIC`` times by this sweep."""
    if not held:
        return held
    tries = dict(session.execute(
        select(OrderEvent.order_id, func.count()).where(OrderEvent.order_id.in_([h.order_id for h in held]),
                                                       OrderEvent.actor == ACTOR)
        .group_by(OrderEvent.order_id)).all())
    return [h for h in held if tries.get(h.order_id, 0) < MAX_AUTOMATIC]
