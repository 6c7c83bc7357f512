"""The order lists: filters, search and keyset paging (no OFFSET: a page deep in a million rows
costs what the first one does)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, and_, func, literal, literal_column, or_, select, union_all
from sqlalchemy.orm import Session, aliased

from admin.web.words import AGE_CHOICES
from sync.models import MAX_ID, Channel, Order, OrderIssue, Shipment, SupplierOrderRow, utcnow
from sync.search_keys import PHONE_DIGITS, fold, phone_key, prefix_range
from sync.states import Status
from sync.supplier_accounts import SETTING as ACCOUNT_SETTING

PAGE_SIZE = 50
PLAIN_CODE = re.compile(r"[a-z0-9_]{1,50}")


@dataclass(frozen=True)
class Filters:
    status: str | None = Status.PENDING_REVIEW.value
    channel: int | None = None
    #: a supplier account's id: the orders of the channels that forward to it
    supplier: int | None = None
    reason: str | None = None
    age: str | None = None
    q: str | None = None
    after: str | None = None

    def query(self, **changes: Any) -> dict[str, str]:
        """The filters as URL parameters (for links and the next page)."""
        values = {"status": self.status or "all", "channel": self.channel, "supplier": self.supplier,
                  "reason": self.reason,
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

    @property
    def reason_codes(self) -> list[tuple[str, str]]:
        """One entry per reason, its messages together: an order whose buyer the channel masked
        has one issue per hidden field, and is still one reason to the operator."""
        grouped: dict[str, list[str]] = {}
        for code, message in self.reasons:
            grouped.setdefault(code, []).append(message)
        return [(code, "\n".join(messages)) for code, messages in grouped.items()]


@dataclass
class Page:
    rows: list[Row]
    next_after: str | None
    #: the orders the filter matches, up to the count asked for and one more (None: not counted)
    matching: int | None = None


def _ship(key: str) -> Any:
    return Order.shipping_address[key].as_string()


def _search(q: str) -> Any:
    """The orders ``q`` names, as one set of ids: each way of naming an order is an index look-up
    of its own (number, references, supplier order id, tracking number, e-mail, phone, the start
    of the buyer's name or surname), never a scan of the orders' JSON."""
    text = q.strip()
    bare = text.lstrip("#")
    folded = fold(text)
    digits = "".join(c for c in text if c.isdigit())
    found = [
        select(Order.id).where(Order.number.in_({text, bare, f"#{bare}"})),
        # the unique (channel, id on the channel) index, once per channel
        select(Order.id).where(Order.channel_id.in_(select(Channel.id)), Order.external_id == text),
        select(Order.id).where(Order.internal_reference == text),
        select(SupplierOrderRow.order_id).where(SupplierOrderRow.supplier_order_id == text),
        select(SupplierOrderRow.order_id).where(SupplierOrderRow.internal_reference == text),
        select(Shipment.order_id).where(Shipment.tracking_number == text),
        select(Order.id).where(Order.search_email == text.lower()),
    ]
    if len(folded) >= 2:
        found += [select(Order.id).where(*_starts(Order.search_name, folded)),
                  select(Order.id).where(*_starts(Order.search_surname, folded))]
    if len(digits) >= 6:  # a phone number, typed with or without spaces and country code
        found.append(select(Order.id).where(*_starts(Order.search_phone, phone_key(digits[-PHONE_DIGITS:]))))
    return Order.id.in_(union_all(*found))


def _starts(column: Any, prefix: str) -> list[Any]:
    """``column`` starts with ``prefix``, as an index range."""
    low, high = prefix_range(prefix)
    return [column >= low] if high is None else [column >= low, column < high]


def in_state(state: str) -> Any:
    """``status = '<state>'`` with the state written into the SQL: PostgreSQL uses a partial index
    only for a value it sees, and a statement psycopg prepares may be planned once for any value."""
    return Order.status == literal(state, literal_execute=True)


def fixed(limit: int) -> Any:
    """A LIMIT written into the SQL: once psycopg prepares a statement, PostgreSQL may plan it
    for any LIMIT, and a plan for an unknown one can read every match where a few were wanted."""
    return literal_column(str(int(limit)))


def _where(stmt: Select[Any], f: Filters, now: datetime) -> Select[Any]:
    if f.status:
        stmt = stmt.where(in_state(f.status))
    if f.channel:
        stmt = stmt.where(Order.channel_id == f.channel)
    if f.supplier:
        stmt = stmt.where(Order.channel_id.in_(supplier_channels(f.supplier)))
    if f.reason:
        # a code in the SQL (codes are plain words): a statement prepared for one reason would be
        # planned for any, and how many orders a reason holds decides the plan
        code = literal(f.reason, literal_execute=True) if PLAIN_CODE.fullmatch(f.reason) else f.reason
        stmt = stmt.where(Order.id.in_(select(OrderIssue.order_id).where(
            OrderIssue.code == code, OrderIssue.closed_at.is_(None))))
    if f.age in AGE_CHOICES:
        stmt = stmt.where(Order.status_changed_at <= now - AGE_CHOICES[f.age])
    if f.q:
        stmt = stmt.where(_search(f.q))
    return stmt


def _columns() -> Select[Any]:
    return select(Order.id, Channel.name.label("channel"), Order.number, Order.status, Order.status_changed_at,
                  Order.total, Order.currency, _ship("first_name").label("first_name"),
                  _ship("last_name").label("last_name")).join(Channel, Channel.id == Order.channel_id)


def _oldest_first(f: Filters) -> bool:
    # the review queue is worked oldest first; other lists show the newest first
    return f.status == Status.PENDING_REVIEW


def _after(f: Filters) -> tuple[datetime, int] | None:
    if not f.after or "|" not in f.after:
        return None
    at, _, oid = f.after.rpartition("|")
    try:
        moment, last = datetime.fromisoformat(at), int(oid)
    except ValueError:
        return None
    return (moment, last) if 0 <= last <= MAX_ID else None  # a bigger id than a row can have: start over


def list_orders(session: Session, f: Filters, *, prices: bool, count_up_to: int | None = None) -> Page:
    """One page: the page's ids first, from the indexes alone where they can, then the rows of
    just those ids (a filter that matches thousands reads thousands of index entries, not rows).

    ``count_up_to``: also count the orders the filter matches, up to that many and one more. On
    a first page the ids gathered for the page give it (no second pass over a search's matches)."""
    now = utcnow()
    ids = _where(select(Order.id), f, now)
    cursor = _after(f)
    if _oldest_first(f):
        if cursor:  # the ">=" alone starts the index range there (neither database derives it from the OR)
            ids = ids.where(Order.status_changed_at >= cursor[0],
                            or_(Order.status_changed_at > cursor[0],
                                and_(Order.status_changed_at == cursor[0], Order.id > cursor[1])))
        order: tuple[Any, ...] = (Order.status_changed_at, Order.id)
    else:
        if cursor:
            ids = ids.where(Order.id < cursor[1])
        order = (Order.id.desc(),)
    counted = count_up_to is not None and cursor is None
    wanted = max(PAGE_SIZE, count_up_to or 0) + 1 if counted else PAGE_SIZE + 1
    gathered = list(session.scalars(ids.order_by(*order).limit(fixed(wanted))))
    found = session.execute(_columns().where(Order.id.in_(gathered[: PAGE_SIZE + 1])).order_by(*order)).all() \
        if gathered else []
    rows = [Row(r.id, r.channel, r.number, _buyer(r.first_name, r.last_name), r.status, r.status_changed_at,
                r.total if prices else None, r.currency if prices else None) for r in found[:PAGE_SIZE]]
    _attach_reasons(session, rows)
    last = found[PAGE_SIZE - 1] if len(found) > PAGE_SIZE else None
    next_after = f"{last.status_changed_at.isoformat()}|{last.id}" if last is not None else None
    matching = None
    if count_up_to is not None:
        matching = len(gathered) if counted else count(session, f, cap=count_up_to)
    return Page(rows, next_after, matching)


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
    """Every state's exact count (one pass over the orders: for the dashboard, not every page)."""
    return {status: count for status, count in session.execute(
        select(Order.status, func.count()).group_by(Order.status))}


#: the tabs count each state up to this many orders ("1000+" beyond): a count never reads more
#: than this many index entries per state, where a GROUP BY would read every order on every page
TAB_COUNT_CAP = 1_000


@dataclass
class Counts:
    by_state: dict[str, int]
    #: the states with more orders than the cap (their count is the cap)
    capped: set[str]

    def shown(self, state: str | None) -> str:
        """A tab's figure: a state's count, or every order's (``None``)."""
        if state is None:
            total = sum(self.by_state.values())
            return f"{total}+" if self.capped else str(total)
        n = self.by_state.get(state, 0)
        return f"{n}+" if state in self.capped else str(n)


def tab_counts(session: Session) -> Counts:
    """The tabs' counts: pending review exactly (its own partial index), every other state up to
    ``TAB_COUNT_CAP`` (the (status, ...) index), all in one statement."""
    parts = []
    for state in STATE_NAMES:
        capped = select(literal(1).label("one")).where(in_state(state))
        if state != Status.PENDING_REVIEW:
            capped = capped.limit(fixed(TAB_COUNT_CAP + 1))
        inner = capped.subquery()
        parts.append(select(literal(state).label("state"), select(func.count()).select_from(inner)
                            .scalar_subquery().label("n")))
    by_state, over = {}, set()
    for state, n in session.execute(union_all(*parts)):
        if n:
            by_state[state] = min(n, TAB_COUNT_CAP) if state != Status.PENDING_REVIEW else n
            if state != Status.PENDING_REVIEW and n > TAB_COUNT_CAP:
                over.add(state)
    return Counts(by_state, over)


STATE_NAMES = [s.value for s in Status]


def pending_review_count(session: Session) -> int:
    """The red dot: read from the pending-review partial index alone (a tenth of the orders)."""
    return int(session.scalar(select(func.count()).select_from(Order).where(
        in_state(Status.PENDING_REVIEW.value))) or 0)


def supplier_channels(supplier_id: int) -> Select[Any]:
    """The ids of the channels whose orders go to the supplier account ``supplier_id``: those that
    name it, and those that name none while it is the only enabled account
    (``sync.supplier_accounts.for_channel``), as one subquery."""
    account = aliased(Channel)
    named = Channel.settings[ACCOUNT_SETTING].as_string()
    its_name = select(account.name).where(account.id == supplier_id, account.role == "supplier").scalar_subquery()
    enabled = select(account.id).where(account.role == "supplier", account.enabled.is_(True))
    only = and_(named.is_(None),
                select(func.count()).select_from(enabled.subquery()).scalar_subquery() == 1,
                enabled.where(account.id == supplier_id).exists())
    return select(Channel.id).where(Channel.role == "channel", or_(named == its_name, only))


def suppliers(session: Session) -> list[tuple[int, str]]:
    """The supplier accounts, for the filter beside the channel's (shown when there are several)."""
    return [(r.id, r.name) for r in session.execute(
        select(Channel.id, Channel.name).where(Channel.role == "supplier").order_by(Channel.name))]


def channels(session: Session) -> list[tuple[int, str]]:
    return [(r.id, r.name) for r in session.execute(
        select(Channel.id, Channel.name).where(Channel.role == "channel").order_by(Channel.name))]


def open_reason_codes(session: Session) -> list[str]:
    """The codes of open issues, by a skip over the open-issue index (one probe per code) rather
    than a GROUP BY of every open issue."""
    open_issues = OrderIssue.closed_at.is_(None)
    first = select(func.min(OrderIssue.code).label("code")).where(open_issues).cte("codes", recursive=True)
    following = select(select(func.min(OrderIssue.code)).where(open_issues, OrderIssue.code > first.c.code)
                       .scalar_subquery()).where(first.c.code.is_not(None))
    codes = first.union_all(following)
    return list(session.scalars(select(codes.c.code).where(codes.c.code.is_not(None)).order_by(codes.c.code)))


def count(session: Session, f: Filters, *, cap: int | None = None) -> int:
    """The orders ``f`` matches; with ``cap``, at most ``cap + 1`` (enough to say "more than")."""
    stmt = _where(select(Order.id), f, utcnow())
    if cap is not None:
        stmt = stmt.limit(fixed(cap + 1))
    return int(session.scalar(select(func.count()).select_from(stmt.subquery())) or 0)


#: bulk actions on "everything matching" take at most this many orders at once, oldest first
BULK_LIMIT = 1000


def matching_ids(session: Session, f: Filters, limit: int = BULK_LIMIT) -> list[int]:
    """Every order the filter matches (for "all matching" bulk actions), oldest first."""
    stmt = _where(select(Order.id), f, utcnow()).order_by(Order.status_changed_at, Order.id)
    return list(session.scalars(stmt.limit(limit)))


__all__ = ["Counts", "Filters", "Page", "Row", "list_orders", "matching_ids", "state_counts", "tab_counts"]
