"""Ingest: store a page of channel orders in one transaction, set-based.

One transaction per page stores the orders, their lines and customers, quarantines what could
not be read, judges every new or changed order, and advances the channel's cursor. Work for the
workers is returned, to be enqueued after the commit.

A page costs a fixed handful of statements whatever its size: the rows go in with
``rows.bulk_insert`` (one COPY each on PostgreSQL) and customers with one upsert. PostgreSQL
is stricter than SQLite (no NUL characters, no NaN in JSON, text no longer than its column,
numbers within their precision): there an order is made storable first, or, when it cannot be
without changing its meaning, quarantined, so that one order never stops its page.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import exists, insert, select, text, update
from sqlalchemy.orm import Session

from connectors.records import ChannelOrder, OrderPage, RejectedBody
from connectors.storable import storable_text, too_large
from sync import issues as issue_store
from sync import payment_confirmation
from sync.customers import Contribution, add_stats, creates_customers, order_contribution, stat_changes
from sync.evaluate import catalogue_context, judge
from sync.ingest_changes import store_changes
from sync.ingest_customers import store_customers
from sync.ingest_known import StoredVersion, among, body_digest, page_prefix, stored_versions
from sync.ingest_rows import PageResult, Prepared, count, fields, insert_lines
from sync.models import Channel, Order, OrderEvent, QuarantinedBody, SupplierOrderRow, utcnow
from sync.records import address_dict, customer_key, fingerprint, internal_reference, order_fingerprint
from sync.rows import Dumped, bulk_insert, cut, fit, storable
from validation import Context

__all__ = ["PageResult", "lock_channel", "store_page"]


def lock_channel(session: Session, channel_id: int) -> Channel:
    """Serialise page stores per channel (PostgreSQL row lock; SQLite locks the file)."""
    stmt = select(Channel).where(Channel.id == channel_id)
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update()
    return session.execute(stmt).scalar_one()


def store_page(session: Session, channel_id: int, page: OrderPage, *,
               cursor_state: dict[str, Any] | None = None, pulled: bool = True) -> PageResult:
    """``pulled=False``: orders read one by one, outside a pull. They leave the cursor and the
    channel's sync state alone: a cursor moved to their time would make the next pull skip what
    changed in between."""
    channel = lock_channel(session, channel_id)
    strict = _postgres(session)
    if strict:
        _fast_toast(session)
    result = PageResult(unchanged=page.unchanged)
    now = utcnow()
    _quarantine(session, channel.id, page.rejected, result)

    orders = _newest(page.orders)
    times = [o.updated_at for o in orders] + ([page.unchanged_until] if page.unchanged_until else [])
    stored = stored_versions(session, channel.id, [o.external_id for o in orders]) if orders else {}
    orders = _not_stored_already(orders, stored, result)
    if orders:
        prepared = _storable_only(session, channel.id, [_prepare(o, strict) for o in orders], strict, result)
        # PostgreSQL: under the channel's row lock no other page adds an order, so those not found
        # stored need no second look; SQLite takes its lock at the first write, later
        _store_orders(session, channel, prepared, set(stored) if strict else None, now, result)
    if times and pulled and (channel.cursor is None or max(times) > channel.cursor):
        channel.cursor = max(times)
    if not pulled:
        return result
    if cursor_state is not None:
        channel.cursor_state = cursor_state
    channel.last_sync_at = now
    channel.last_error = None
    return result


def _newest(orders: list[ChannelOrder]) -> list[ChannelOrder]:
    newest: dict[str, ChannelOrder] = {}
    for order in orders:  # offset paging can repeat an order within one pull
        kept = newest.get(order.external_id)
        if kept is None or order.updated_at >= kept.updated_at:
            newest[order.external_id] = order
    return list(newest.values())


def _not_stored_already(orders: list[ChannelOrder], stored: dict[str, StoredVersion],
                        result: PageResult) -> list[ChannelOrder]:
    """Orders the store holds in a newer version, or in this one with the same content, go no
    further: no rows, no customer or statistics work, no checks."""
    if not stored:
        return orders
    kept = []
    for o in orders:
        version = stored.get(o.external_id)
        if version is not None and (o.updated_at < version.updated_at or (
                o.updated_at == version.updated_at and not _differs(_content(o), version))):
            result.unchanged += 1
        else:
            kept.append(o)
    return kept


def _content(o: ChannelOrder) -> Prepared:
    """Enough of an order to compare it with the stored version of the same time."""
    return Prepared(o, None, None, order_fingerprint(o), Dumped("", None))


def _storable_only(session: Session, channel_id: int, prepared: list[Prepared], strict: bool,
                   result: PageResult) -> list[Prepared]:
    """What the columns cannot hold is kept for an operator like an unreadable body: the rest of the
    page goes on."""
    if not strict:
        return prepared
    unfit = [RejectedBody(body=p.order.raw, error=f"order cannot be stored: {why}", external_id=p.order.external_id)
             for p in prepared if not p.order.store_checked and (why := _unstorable(p.order))]
    if unfit:
        _quarantine(session, channel_id, unfit, result)
        prepared = [p for p in prepared if not _unstorable(p.order)]
    return prepared


def _postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


_LZ4: dict[str, bool] = {}


def _fast_toast(session: Session) -> None:
    """PostgreSQL compresses the raw bodies (a few kB each) as they are stored; lz4, where the
    server has it, costs a fraction of the default pglz. Only this transaction's writes use it."""
    key = repr(session.get_bind().engine.url)
    if key not in _LZ4:
        _LZ4[key] = bool(session.scalar(text(
            "SELECT 'lz4' = ANY(enumvals) FROM pg_settings WHERE name = 'default_toast_compression'")))
    if _LZ4[key]:
        session.execute(text("SET LOCAL default_toast_compression = 'lz4'"))


def _quarantine(session: Session, channel_id: int, rejected: list[RejectedBody], result: PageResult) -> None:
    rows = [
        {
            "channel_id": channel_id,
            # half a character (a lone surrogate) breaks SQLite's text as much as PostgreSQL's
            "external_id": storable(r.external_id),
            "error": storable(r.error[:2000]),
            "body": _body_text(r.body),
        }
        for r in rejected
    ]
    kept = _not_held_already(session, channel_id, rows)
    if kept:
        session.execute(insert(QuarantinedBody), kept)
    result.quarantined += len(rows)  # held already or not, each of these bodies waits in quarantine


def _not_held_already(session: Session, channel_id: int, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A body read again as it is (a pull's overlap window, a page retried) while it still waits in
    quarantine is not kept twice: the operator's list shows each bad body once, with the error and
    time of its latest reading (a newer build may find another fault in the same body)."""
    ids = {r["external_id"] for r in rows if r["external_id"] is not None}
    if not ids:
        return rows
    held = {(external_id, body): (row_id, error) for row_id, external_id, body, error in session.execute(
        select(QuarantinedBody.id, QuarantinedBody.external_id, QuarantinedBody.body, QuarantinedBody.error)
        .where(QuarantinedBody.channel_id == channel_id, QuarantinedBody.resolved_at.is_(None),
               QuarantinedBody.external_id.in_(sorted(ids))))}
    fresh = []
    for r in rows:
        found = held.get((r["external_id"], r["body"]))
        if found is None:
            fresh.append(r)
        elif found[1] != r["error"]:
            session.execute(update(QuarantinedBody).where(QuarantinedBody.id == found[0])
                            .values(error=r["error"], received_at=utcnow()))
    return fresh


def _body_text(body: Any) -> str:
    """The body as JSON an operator can read back, exactly: JSON escapes NUL, and a body holding half a
    character (a lone surrogate, no valid UTF-8) is written all in ASCII, the half kept as its escape."""
    readable = json.dumps(body, default=str, ensure_ascii=False)
    try:
        readable.encode()
    except UnicodeEncodeError:  # a lone surrogate
        return json.dumps(body, default=str)
    return readable


# Making an order storable -------------------------------------------------------------------


def _prepare(o: ChannelOrder, strict: bool) -> Prepared:
    digest = body_digest(o.raw)  # of the body as read, before anything is made storable
    raw = o.raw_json  # the parser's own serialisation, when it made one
    if raw is None:
        raw = storable_text(o.raw)
    if strict and (raw is None or "\\u0000" in raw):
        o = ChannelOrder.model_validate(storable(o.model_dump()))
        raw = None
    if raw is None:
        raw = json.dumps(o.raw, default=str)
    key = customer_key(o.customer, o)
    if strict and key is not None:
        key = cut("customers", "external_id", key)
    shipping = address_dict(o.shipping_address)
    return Prepared(o, key, shipping, fingerprint(shipping, [(ln.sku, ln.quantity) for ln in o.lines]),
                    Dumped(raw, o.raw), digest)


def _unstorable(o: ChannelOrder) -> str | None:
    """What the columns cannot hold as read (text too long for its column is cut instead)."""
    found = too_large(o, lengths=False)
    return f"{found[0]} {found[1]}" if found else None


# Writing ------------------------------------------------------------------------------------


def _store_orders(session: Session, channel: Channel, prepared: list[Prepared], stored: set[str] | None,
                  now: datetime, result: PageResult) -> None:
    """``stored``: the page's orders known to be stored (None: any may be)."""
    if not creates_customers(channel.kind, channel.settings):
        for p in prepared:
            p.customer_key = None
    customers = store_customers(session, channel.id, prepared, now)
    prefix = page_prefix(session, channel.id)
    existing = _existing(session, channel.id,
                         prepared if stored is None else [p for p in prepared if p.order.external_id in stored], prefix)
    fresh, changed = _sort_out(prepared, existing, result)
    if not fresh and not changed:
        return
    add_stats(session, stat_changes(
        [(None, _contribution(p, customers)) for p in fresh]
        + [(order_contribution(row.customer_id, row.currency, row.cancelled_on_channel, row.is_test, row.total),
            _contribution(p, customers)) for p, row in changed]))
    context = catalogue_context(session, [p.order for p in fresh] + [p.order for p, _ in changed])
    settings = channel.settings or {}
    if fresh:
        _store_new(session, channel.id, fresh, customers, context, settings, prefix, now, result)
    if changed:
        store_changes(session, changed, customers, context, settings, now, result)


def _contribution(p: Prepared, customers: dict[str, int]) -> Contribution:
    o = p.order
    return order_contribution(customers.get(p.customer_key) if p.customer_key else None, o.currency, o.cancelled,
                              o.test, o.total)


def _existing(session: Session, channel_id: int, prepared: list[Prepared], prefix: str) -> dict[str, Any]:
    """The stored version of each order of the page, with whether any part of it is at the supplier.

    Found by the deterministic reference, whose single-column unique index PostgreSQL picks
    whatever its statistics say: on (channel_id, external_id), a table not analysed yet (a first
    big import) gets a plan that reads every order of the channel, for every page."""
    if not prepared:
        return {}
    references = [internal_reference(channel_id, p.order.external_id, prefix) for p in prepared]
    at_supplier = exists().where(SupplierOrderRow.order_id == Order.id)
    stmt = select(
        Order.id, Order.channel_id, Order.external_id, Order.status, Order.channel_updated_at,
        Order.sent_fingerprint, Order.shipping_edited, Order.shipping_address, Order.content_fingerprint,
        Order.payment_status, Order.channel_status, Order.cancelled_on_channel, Order.is_test, Order.total,
        Order.customer_id, Order.currency, at_supplier.label("at_supplier"),
    ).where(among(session, Order.internal_reference, references))
    if _postgres(session):
        stmt = stmt.order_by(Order.id).with_for_update(of=Order)
    return {row.external_id: row for row in session.execute(stmt) if row.channel_id == channel_id}


def _sort_out(prepared: list[Prepared], existing: dict[str, Any],
              result: PageResult) -> tuple[list[Prepared], list[tuple[Prepared, Any]]]:
    fresh: list[Prepared] = []
    changed: list[tuple[Prepared, Any]] = []
    for p in prepared:
        row = existing.get(p.order.external_id)
        if row is None:
            fresh.append(p)
        elif p.order.updated_at > row.channel_updated_at or (
                p.order.updated_at == row.channel_updated_at and _differs(p, row)):
            changed.append((p, row))
        else:
            result.unchanged += 1  # the overlap window re-read a version we have
    return fresh, changed


def _differs(p: Prepared, row: Any) -> bool:
    """A version with the same channel timestamp as the stored one (a same-second payment or edit)."""
    o = p.order
    return ((o.payment_status, o.status, o.cancelled, o.test) !=
            (row.payment_status, row.channel_status, row.cancelled_on_channel, row.is_test)
            or o.total != row.total or (not row.shipping_edited and p.fingerprint != row.content_fingerprint))


def _store_new(session: Session, channel_id: int, fresh: list[Prepared], customers: dict[str, int],
               context: Context, settings: dict[str, Any], prefix: str, now: datetime,
               result: PageResult) -> None:
    """New orders: judged first, inserted in their final state with one event each."""
    verdicts = [judge(p.order, context, settings) for p in fresh]
    rows = []
    for p, v in zip(fresh, verdicts, strict=True):
        values = fields(p, customers, now)
        values.update({
            "channel_id": channel_id,
            "external_id": p.order.external_id,
            "internal_reference": internal_reference(channel_id, p.order.external_id, prefix),
            "status": v.status.value,
            "status_changed_at": now,
            "created_at": now,
        })
        rows.append(values)
    ids = bulk_insert(session, Order.__table__, fit(session, "orders", rows), return_ids=True)  # type: ignore[arg-type]
    insert_lines(session, list(zip(ids, [p.order for p in fresh], strict=True)))
    bulk_insert(session, OrderEvent.__table__, [  # type: ignore[arg-type]
        {"order_id": i, "at": now, "actor": "worker", "from_status": None, "to_status": v.status.value,
         "reason": f"ingested: {v.reason}" + "".join(f"; {n.message}" for n in p.order.notes)}
        for i, v, p in zip(ids, verdicts, fresh, strict=True)
    ])
    issue_store.open_rule_issues(session, {i: v.issues for i, v in zip(ids, verdicts, strict=True)}, now)
    payment_confirmation.at_ingest(
        session, [(i, p.order, v.status) for i, p, v in zip(ids, fresh, verdicts, strict=True)], settings, now)
    result.inserted += len(fresh)
    for i, v in zip(ids, verdicts, strict=True):
        count(result, v, i)
