"""One seller's backlog must not hold every worker thread: a share of a process's threads per
supplier account.

A forward waits for its account's rate bucket inside the supplier call (one create a second at
BigBuy). Threads that all picked up orders of one account would all sleep on that account's bucket
while the other accounts' orders wait in the queue behind them, and the other accounts' rate would
go unused. So while several supplier accounts are enabled, each account may hold at most
``threads // accounts`` (at least 1) of a process's forwarding threads at a time; an order whose
account has its share busy goes back to the queue with a delay, and the thread takes the next
message. One account (or a process that set no thread count, such as ``serve``) is never gated, nor is
an account whose bucket lets more calls through than the process can send: only a bucket that
keeps threads asleep (BigBuy's one create a second) needs its orders spread.

The delays queue the deferred orders of an account as far apart as this process has been taking
the account's orders lately (how long a turn lasted, over the share: a turn mostly waits for the
account's bucket, which the other processes draw on too), so each comes back about when the
process can take it, rather than all at once; none is deferred
further than ``MAX_DELAY_MS``, well inside the reconciler's horizon (a message delayed beyond it
would be sent a second time). Nothing is lost by a deferral: the order stays ``ready`` in the
database and the reconciler sends a message for it again if this one were lost.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import select

from sync import connect, supplier_accounts
from sync.db import Database
from sync.models import Channel

#: how often the number of enabled supplier accounts is counted again
RECOUNT_SECONDS = 30.0
#: the longest deferral: half the reconciler's default horizon (``STUCK_AFTER_SECONDS``, 120)
MAX_DELAY_MS = 60_000

_lock = threading.Lock()
_threads = 0
_busy: dict[int, int] = {}
#: per account: when the last order deferred by this process is due back (monotonic seconds)
_due: dict[int, float] = {}
#: per account: how long this process's turns lasted lately (seconds, a moving average)
_lasted: dict[int, float] = {}
#: the weight of the newest turn in that average
_NEWEST = 0.3


@dataclass(frozen=True)
class Account:
    id: int
    name: str
    rate: float  # calls per second its bucket lets through


#: the enabled supplier accounts, and when they were read (monotonic seconds)
_accounts: tuple[dict[int, Account], float] = ({}, 0.0)


@dataclass(frozen=True)
class Turn:
    """``mine``: this thread forwards the order now; else it is deferred by ``delay_ms``."""

    mine: bool
    delay_ms: int = 0


def configure(threads: int) -> None:
    """The process's forwarding threads (``orderhub worker --threads``); 0 switches the gate off."""
    global _threads
    with _lock:
        _threads = threads
        _busy.clear()
        _due.clear()
        _lasted.clear()


def _enabled(db: Database) -> dict[int, Account]:
    """The enabled supplier accounts, read again every ``RECOUNT_SECONDS``."""
    global _accounts
    found, at = _accounts
    if time.monotonic() - at > RECOUNT_SECONDS:
        with db.session() as session:
            rows = session.execute(select(Channel.id, Channel.name, Channel.settings).where(
                Channel.role == "supplier", Channel.enabled.is_(True))).all()
        found = {r.id: Account(r.id, r.name, connect.supplier_rate(r.settings)) for r in rows}
        _accounts = (found, time.monotonic())
    return found


def _share(count: int) -> int:
    """Threads one account may hold now; 0 = no limit."""
    if _threads <= 0 or count <= 1:
        return 0
    return max(1, _threads // count)


def _gated(account: Account) -> bool:
    """Whether the account's bucket can keep this process's threads asleep: it lets fewer calls a
    second through than the process has threads (BigBuy's one a second), or it made a call wait
    lately. An account paced above what the process can send is never gated: deferring its orders
    would only cost a round trip through the queue each."""
    return account.rate < _threads or connect.paced_lately(account.name)


def account_of(db: Database, order_id: int) -> Account | None:
    """The supplier account the order goes to; None when it cannot tell (forward then says why)."""
    try:
        with db.session() as session:
            row = supplier_accounts.for_order(session, order_id)
            return Account(row.id, row.name, connect.supplier_rate(row.settings))
    except LookupError:
        return None


@contextmanager
def turn(db: Database, order_id: int) -> Iterator[Turn]:
    """Holds the account's share while the order is forwarded, or says how long to defer it."""
    accounts = _enabled(db)
    share = _share(len(accounts))
    gated = share and any(_gated(a) for a in accounts.values())  # else no look-up at all
    account = account_of(db, order_id) if gated else None
    if account is None or not _gated(account):
        yield Turn(True)
        return
    with _lock:
        taken = _busy.get(account.id, 0) < share
        if taken:
            _busy[account.id] = _busy.get(account.id, 0) + 1
        else:
            delay = _queue_behind(account.id, _lasted.get(account.id, share / max(account.rate, 0.01)) / share)
    started = time.monotonic()
    try:
        yield Turn(True) if taken else Turn(False, delay)
    finally:
        if taken:
            lasted = time.monotonic() - started
            with _lock:
                _busy[account.id] -= 1
                before = _lasted.get(account.id, lasted)
                _lasted[account.id] = (1 - _NEWEST) * before + _NEWEST * lasted


def _queue_behind(account_id: int, spacing: float) -> int:
    """The delay that puts this order ``spacing`` seconds behind the account's last deferred one
    (callers hold ``_lock``)."""
    now = time.monotonic()
    due = max(now, _due.get(account_id, 0.0)) + spacing
    _due[account_id] = min(due, now + MAX_DELAY_MS / 1000)
    return int((_due[account_id] - now) * 1000)
