"""The order lists: filters, search and keyset paging (no OFFSET: a page deep in a million rows
costs what the first one does)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.orm import Session

from admin.web.words import AGE_CHOICES
from sync.models import Channel, Order, OrderIssue, Shipment, SupplierOrderRow, utcnow
from sync.states import Status

PAGE_SIZE = 50


@dataclass(frozen=True)
class Filters:
    status: str | None = Status.PENDING_REVIEW.value
    channel: int | None = None
    reason: str | None = None
    age: str | None = None
    q: str | None = None
    after: str | None = None

    def query(self, **changes: Any) -> dict[str, str]:
        """The filters as URL parameters (for links and the next page)."""
        values = {"status": self.status or "all", "channel": self.channel, "reason": self.reason,
                  "age": self.age, "q": self.q, **changes}
        return {k: str(v) for k, v in values.items() if v not in (None, "")}


@dataclass
class Row:
    id: int
    channel: str
    number: str
    buyer: str
    status: str
    since: datetime
    total: Decimal | None
    currency: str | None
    reasons: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class Page:
    rows: list[Row]
    next_after: str | None


def _ship(key: str) -> Any:
    return Order.shipping_address[key].as_string()


def _search(q: str) -> Any:
    text = q.strip()
    lowered = text.lower()
    digits = "".join(c for c in text if c.isdigit())
    name = func.lower(func.coalesce(_ship("first_name"), "") + " " + func.coalesce(_ship("last_name"), ""))
    conditions = [
        Order.number == text, Order.number == f"#{text.lstrip('#')}", Order.external_id == text,
        Order.internal_reference == text,
        name.like(f"%{_escape(lowered)}%", escape="\\"),
        func.lower(_ship("email")) == lowered,
        Order.id.in_(select(SupplierOrderRow.order_id).where(
            or_(SupplierOrderRow.supplier_order_id == text, SupplierOrderRow.internal_reference == text))),
        Order.id.in_(select(Shipment.order_id).where(Shipment.tracking_number == text)),
    ]
    if len(digits) >= 6:  # a phone number, typed with or without spaces and country code
        conditions.append(func.replace(func.replace(_ship("phone"), " ", ""), "+", "").like(f"%{digits[-9:]}%"))
    return or_(*conditions)


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _filtered(f: Filters, now: datetime) -> Select[Any]:
    stmt = select(Order.id, Channel.name.label("channel"), Order.number, Order.status, Order.status_changed_at,
                  Order.total, Order.currency, _ship("first_name").label("first_name"),
                  _ship("last_name").label("last_name")).join(Channel, Channel.id == Order.channel_id)
    if f.status:
        stmt = stmt.where(Order.status == f.status)
    if f.channel:
        stmt = stmt.where(Order.channel_id == f.channel)
    if f.reason:
        stmt = stmt.where(Order.id.in_(select(OrderIssue.order_id).where(
            OrderIssue.code == f.reason, OrderIssue.closed_at.is_(None))))
    if f.age in AGE_CHOICES:
        stmt = stmt.where(Order.status_changed_at <= now - AGE_CHOICES[f.age])
    if f.q:
        stmt = stmt.where(_search(f.q))
    return stmt


def _oldest_first(f: Filters) -> bool:
    # the review queue is worked oldest first; other lists show the newest first
    return f.status == Status.PENDING_REVIEW


def _after(f: Filters) -> tuple[datetime, int] | None:
    if not f.after or "|" not in f.after:
        return None
    at, _, oid = f.after.rpartition("|")
    try:
        return datetime.fromisoformat(at), int(oid)
    except ValueError:
        return None


def list_orders(session: Session, f: Filters, *, prices: bool) -> Page:
    now = utcnow()
    stmt = _filtered(f, now)
    cursor = _after(f)
    if _oldest_first(f):
        if cursor:
            stmt = stmt.where(or_(Order.status_changed_at > cursor[0],
                                  and_(Order.status_changed_at == cursor[0], Order.id > cursor[1])))
        stmt = stmt.order_by(Order.status_changed_at, Order.id)
    else:
        if cursor:
            stmt = stmt.where(Order.id < cursor[1])
        stmt = stmt.order_by(Order.id.desc())
    found = session.execute(stmt.limit(PAGE_SIZE + 1)).all()
    rows = [Row(r.id, r.channel, r.number, _buyer(r.first_name, r.last_name), r.status, r.status_changed_at,
                r.total if prices else None, r.currency if prices else None) for r in found[:PAGE_SIZE]]
    _attach_reasons(session, rows)
    last = found[PAGE_SIZE - 1] if len(found) > PAGE_SIZE else None
    next_after = f"{last.status_changed_at.isoformat()}|{last.id}" if last is not None else None
    return Page(rows, next_after)


def _buyer(first: str | None, last: str | None) -> str:
    return " ".join(p for p in (first, last) if p) or "—"


def _attach_reasons(session: Session, rows: list[Row]) -> None:
    by_id = {r.id: r for r in rows}
    if not by_id:
        return
    for order_id, code, message in session.execute(
            select(OrderIssue.order_id, OrderIssue.code, OrderIssue.message)
            .where(OrderIssue.order_id.in_(by_id), OrderIssue.closed_at.is_(None)).order_by(OrderIssue.id)):
        by_id[order_id].reasons.append((code, message))


def state_counts(session: Session) -> dict[str, int]:
    return {status: count for status, count in session.execute(
        select(Order.status, func.count()).group_by(Order.status))}


def pending_review_count(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(Order).where(
        Order.status == Status.PENDING_REVIEW)) or 0)


def channels(session: Session) -> list[tuple[int, str]]:
    return [(r.id, r.name) for r in session.execute(
        select(Channel.id, Channel.name).where(Channel.role == "channel").order_by(Channel.name))]


def open_reason_codes(session: Session) -> list[str]:
    return list(session.scalars(select(OrderIssue.code).where(OrderIssue.closed_at.is_(None))
                                .group_by(OrderIssue.code).order_by(OrderIssue.code)))


def count(session: Session, f: Filters) -> int:
    stmt = _filtered(f, utcnow()).with_only_columns(func.count()).order_by(None)
    return int(session.scalar(stmt) or 0)


#: bulk actions on "everything matching" take at most this many orders at once, oldest first
BULK_LIMIT = 1000


def matching_ids(session: Session, f: Filters, limit: int = BULK_LIMIT) -> list[int]:
    """Every order the filter matches (for "all matching" bulk actions), oldest first."""
    stmt = _filtered(f, utcnow()).with_only_columns(Order.id).order_by(Order.status_changed_at, Order.id)
    return list(session.scalars(stmt.limit(limit)))


__all__ = ["Filters", "Page", "Row", "list_orders", "matching_ids", "state_counts"]
