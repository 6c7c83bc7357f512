"""Issue rows: open while an order cannot go on, closed when they no longer apply."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from sync.models import OrderIssue, utcnow
from sync.rows import bulk_insert
from validation import Issue

RULES = "rules"
SUPPLIER = "supplier"


def open_rule_issues(
    session: Session, found: dict[int, list[Issue]], now: datetime, *, replace: bool = False
) -> None:
    """Record the rules' findings. With ``replace``, open rule issues not found again are closed."""
    ids = list(found)
    if not ids:
        return
    current: dict[int, set[tuple[str, str]]] = {i: set() for i in ids}
    if replace:
        for chunk in _chunks(ids):
            rows = session.execute(
                select(OrderIssue.id, OrderIssue.order_id, OrderIssue.code, OrderIssue.field).where(
                    OrderIssue.order_id.in_(chunk), OrderIssue.closed_at.is_(None), OrderIssue.source == RULES
                )
            )
            to_close = []
            for row in rows:
                if (row.code, row.field) in {(i.code, i.field) for i in found[row.order_id]}:
                    current[row.order_id].add((row.code, row.field))
                else:
                    to_close.append(row.id)
            close(session, to_close, now)
    new_rows = [
        {"order_id": oid, "code": i.code, "field": i.field, "message": i.message, "source": RULES, "opened_at": now}
        for oid, issues in found.items()
        for i in issues
        if (i.code, i.field) not in current[oid]
    ]
    bulk_insert(session, OrderIssue.__table__, new_rows)  # type: ignore[arg-type]


def open_once(
    session: Session, order_id: int, code: str, field: str, message: str, now: datetime | None = None,
    *, source: str = SUPPLIER,
) -> bool:
    """Open an issue unless the same code is already open on the order. Returns whether it opened."""
    exists = session.scalar(
        select(OrderIssue.id).where(
            OrderIssue.order_id == order_id, OrderIssue.code == code, OrderIssue.closed_at.is_(None)
        )
    )
    if exists:
        return False
    session.add(OrderIssue(order_id=order_id, code=code, field=field, message=message, source=source,
                           opened_at=now or utcnow()))
    return True


def close(session: Session, issue_ids: Iterable[int], now: datetime | None = None) -> None:
    ids = list(issue_ids)
    for chunk in _chunks(ids):
        session.execute(update(OrderIssue).where(OrderIssue.id.in_(chunk)).values(closed_at=now or utcnow()))


def close_open(session: Session, order_id: int, *, sources: Iterable[str] | None = None,
               codes: Iterable[str] | None = None) -> int:
    stmt = update(OrderIssue).where(OrderIssue.order_id == order_id, OrderIssue.closed_at.is_(None))
    if sources is not None:
        stmt = stmt.where(OrderIssue.source.in_(list(sources)))
    if codes is not None:
        stmt = stmt.where(OrderIssue.code.in_(list(codes)))
    return session.execute(stmt.values(closed_at=utcnow())).rowcount  # type: ignore[attr-defined]


def open_codes(session: Session, order_id: int) -> list[str]:
    """Each open reason once, oldest first (a masked buyer has one issue per hidden field)."""
    return list(dict.fromkeys(session.scalars(
        select(OrderIssue.code).where(OrderIssue.order_id == order_id, OrderIssue.closed_at.is_(None))
        .order_by(OrderIssue.id)
    )))


def _chunks(ids: list[int], size: int = 500) -> Iterable[list[int]]:
    for i in range(0, len(ids), size):
        yield ids[i : i + size]
