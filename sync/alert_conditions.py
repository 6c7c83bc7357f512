"""What operators are alerted to, looked at now: each condition that holds, by its key. Messages
give counts and order numbers, never a buyer's name, address, phone or e-mail."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sync import supplier_accounts
from sync.models import Channel, Order
from sync.pull import AUTH_BROKEN
from sync.states import Status
from sync.wallet_held import held_for_wallet

#: order numbers named in one message; the count says how many more
NUMBERS_SHOWN = 10


@dataclass(frozen=True)
class Thresholds:
    review_after: timedelta | None = timedelta(hours=4)
    channel_silent_after: timedelta | None = timedelta(hours=1)
    no_orders_after: timedelta | None = None
    wallet_below: Decimal = Decimal("0")


@dataclass(frozen=True)
class Condition:
    key: str
    kind: str
    summary: str
    details: dict[str, Any] = field(default_factory=dict)


def conditions(session: Session, now: datetime, limits: Thresholds) -> dict[str, Condition]:
    found = [*_review_overdue(session, now, limits), *_channels(session, now, limits), *_wallet(session, limits)]
    return {c.key: c for c in found}


def _numbers(numbers: list[str], count: int) -> str:
    shown = ", ".join(numbers[:NUMBERS_SHOWN])
    return shown + (f" and {count - NUMBERS_SHOWN} more" if count > NUMBERS_SHOWN else "")


def _review_overdue(session: Session, now: datetime, limits: Thresholds) -> list[Condition]:
    if limits.review_after is None:
        return []
    late = (Order.status == Status.PENDING_REVIEW.value, Order.status_changed_at < now - limits.review_after)
    count = int(session.scalar(select(func.count()).select_from(Order).where(*late)) or 0)
    if not count:
        return []
    numbers = list(session.scalars(select(Order.number).where(*late)
                                   .order_by(Order.status_changed_at, Order.id).limit(NUMBERS_SHOWN)))
    minutes = int(limits.review_after.total_seconds() // 60)
    summary = f"{count} order(s) waiting in pending review for more than {minutes} minutes: {_numbers(numbers, count)}"
    return [Condition("review_overdue", "review_overdue", summary,
                      {"count": count, "orders": numbers, "after_minutes": minutes})]


def _channels(session: Session, now: datetime, limits: Thresholds) -> list[Condition]:
    out: list[Condition] = []
    channels = session.scalars(select(Channel).where(Channel.role == "channel", Channel.enabled.is_(True))
                               .order_by(Channel.id)).all()
    newest = dict(session.execute(select(Order.channel_id, func.max(Order.created_at))
                                  .group_by(Order.channel_id)).all())
    for ch in channels:
        error = ch.last_error or ""
        if error.startswith(AUTH_BROKEN):
            out.append(Condition(f"channel_auth:{ch.id}", "channel_auth",
                                 f"channel {ch.name}: its credentials were refused; nothing is pulled until "
                                 "they are set again (orderhub channels edit)", {"channel": ch.name}))
        silent = _silent(ch, newest.get(ch.id), now, limits)
        if silent:
            out.append(Condition(f"channel_silent:{ch.id}", "channel_silent", f"channel {ch.name}: {silent}",
                                 {"channel": ch.name}))
    return out


def _silent(ch: Channel, newest_order: datetime | None, now: datetime, limits: Thresholds) -> str:
    after = limits.channel_silent_after
    if after is not None:
        if ch.last_sync_at is None and ch.last_error:
            return "has never synced successfully"
        if ch.last_sync_at is not None and ch.last_sync_at < now - after:
            return f"no successful sync for more than {int(after.total_seconds() // 60)} minutes"
    quiet = limits.no_orders_after
    if quiet is not None and newest_order is not None and newest_order < now - quiet:
        return f"no new order for more than {quiet.total_seconds() / 3600:g} hours"
    return ""


def _wallet(session: Session, limits: Thresholds) -> list[Condition]:
    """One condition per supplier account that runs short, counting the orders of its channels."""
    return [c for supplier in supplier_accounts.accounts(session, enabled_only=True)
            if (c := _wallet_of(session, supplier, limits)) is not None]


def _wallet_of(session: Session, supplier: Channel, limits: Thresholds) -> Condition | None:
    held = held_for_wallet(session, channel_ids=supplier_accounts.channel_ids(session, supplier))
    cost = sum((h.cost for h in held), Decimal("0"))
    balance = None if supplier.wallet_balance is None else Decimal(str(supplier.wallet_balance))
    reasons = []
    if held and (balance is None or balance < cost):
        reasons.append(f"{len(held)} order(s) held for insufficient wallet, costing about {cost} "
                       f"({_numbers([h.number for h in held], len(held))})")
    if limits.wallet_below > 0 and balance is not None and balance < limits.wallet_below:
        reasons.append(f"the balance is below {limits.wallet_below}")
    if not reasons:
        return None
    shown = "not read yet" if balance is None else str(balance)
    summary = f"supplier wallet {supplier.name} runs short (balance {shown}): " + "; ".join(reasons)
    details = {"account": supplier.name, "balance": None if balance is None else str(balance),
               "held": len(held), "held_cost": str(cost), "orders": [h.number for h in held[:NUMBERS_SHOWN]]}
    return Condition(f"wallet_short:{supplier.name}", "wallet_short", summary, details)
