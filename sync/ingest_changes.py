"""Ingest's second half: a channel's new version of orders already stored.

Orders not yet at the supplier take the channel's lines and are judged again; every status move is
conditional on the state read at the start of the page (SQLite holds no row lock, so a worker may
claim an order meanwhile), and an order that a worker took in the meantime is checked like one at
the supplier. Orders at the supplier, even partly (a supplier row exists), are never re-sent or
cancelled silently: a change to what was sent, or a cancel, is flagged ``changed_after_forwarding``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, select, update
from sqlalchemy.orm import Session

from connectors.codes import CHANGED_AFTER_FORWARDING
from connectors.records import Address, ChannelOrder
from sync import issues as issue_store
from sync import payment_confirmation
from sync.evaluate import Verdict, judge
from sync.ingest_rows import PageResult, Prepared, count, fields, insert_lines
from sync.models import Order, OrderEvent, OrderLine
from sync.records import address_dict, fingerprint
from sync.rows import Dumped, bulk_insert, fit
from sync.search_keys import search_columns
from sync.states import AT_SUPPLIER
from validation import Context


def store_changes(session: Session, changed: list[tuple[Prepared, Any]], customers: dict[str, int],
                  context: Context, settings: dict[str, Any], now: datetime, result: PageResult) -> None:
    rejudge, at_supplier = _apply(session, changed, customers, now)
    result.updated += len(changed)
    events: list[dict[str, Any]] = []
    if rejudge:
        verdicts = _rejudge(session, rejudge, context, settings, now, events)
        at_supplier += _taken_meanwhile(session, rejudge, verdicts, result)
    _check_at_supplier(session, at_supplier, now, result, events)
    bulk_insert(session, OrderEvent.__table__, events)  # type: ignore[arg-type]


def _apply(session: Session, changed: list[tuple[Prepared, Any]], customers: dict[str, int],
           now: datetime) -> tuple[list[tuple[Prepared, Any]], list[tuple[Prepared, Any]]]:
    """Write the channel's version; split the orders into those to judge again and those at the supplier."""
    rejudge: list[tuple[Prepared, Any]] = []
    at_supplier: list[tuple[Prepared, Any]] = []
    updates = []
    for p, row in changed:
        values = fields(p, customers, now)
        if row.shipping_edited:  # an operator's edit wins over the channel's address
            values["shipping_address"] = row.shipping_address
            values.update(search_columns(row.shipping_address))
            p = _with_operator_address(p, row.shipping_address)
            values["content_fingerprint"] = p.fingerprint
        updates.append({"_id": row.id, **values})
        (at_supplier if row.status in AT_SUPPLIER or row.at_supplier else rejudge).append((p, row))
    bulk_update(session, fit(session, "orders", updates))
    return rejudge, at_supplier


def _with_operator_address(p: Prepared, edited: dict[str, Any] | None) -> Prepared:
    if not edited:
        return p
    o = p.order.model_copy(update={"shipping_address": Address.model_validate(edited)})
    shipping = address_dict(o.shipping_address)
    return Prepared(o, p.customer_key, shipping, fingerprint(shipping, [(ln.sku, ln.quantity) for ln in o.lines]),
                    p.raw, p.digest)


def _rejudge(session: Session, rejudge: list[tuple[Prepared, Any]], context: Context, settings: dict[str, Any],
             now: datetime, events: list[dict[str, Any]]) -> dict[int, Verdict]:
    """Not at the supplier: lines follow the channel, the order is judged again and moved, each
    move only from the state read."""
    ids = [row.id for _, row in rejudge]
    session.execute(delete(OrderLine).where(OrderLine.order_id.in_(ids)))
    insert_lines(session, [(row.id, p.order) for p, row in rejudge])
    # a confirmation of ours stands, whatever this version says of the payment
    confirmed = payment_confirmation.confirmed_ids(session, ids)
    verdicts = {row.id: judge(p.order, context, settings, payment_confirmed=row.id in confirmed) for p, row in rejudge}
    issue_store.open_rule_issues(session, {i: v.issues for i, v in verdicts.items()}, now, replace=True)
    payment_confirmation.at_ingest(session, [(row.id, p.order, verdicts[row.id].status) for p, row in rejudge],
                                   settings, now)
    moves: dict[tuple[str, str], list[int]] = {}
    for _, row in rejudge:
        target = verdicts[row.id].status.value
        if target != row.status:
            moves.setdefault((row.status, target), []).append(row.id)
    for (source, target), group in moves.items():
        moved = session.scalars(
            update(Order).where(Order.id.in_(group), Order.status == source)
            .values(status=target, status_changed_at=now).returning(Order.id)
            .execution_options(synchronize_session=False))
        events.extend({"order_id": i, "at": now, "actor": "worker", "from_status": source, "to_status": target,
                       "reason": f"channel update: {verdicts[i].reason}"} for i in moved)
    return verdicts


def _taken_meanwhile(session: Session, rejudge: list[tuple[Prepared, Any]], verdicts: dict[int, Verdict],
                     result: PageResult) -> list[tuple[Prepared, Any]]:
    """Orders whose state moved under this page (a worker claimed one): not counted as judged, and
    those now at the supplier are checked as such."""
    ids = [row.id for _, row in rejudge]
    now_rows = {r.id: r for r in session.execute(
        select(Order.id, Order.status, Order.sent_fingerprint).where(Order.id.in_(ids)))}
    taken: list[tuple[Prepared, Any]] = []
    for p, row in rejudge:
        current = now_rows[row.id]
        if current.status == verdicts[row.id].status.value:
            count(result, verdicts[row.id], row.id)
        elif current.status in AT_SUPPLIER:
            taken.append((p, current))
    return taken


def _check_at_supplier(session: Session, at_supplier: list[tuple[Prepared, Any]], now: datetime,
                       result: PageResult, events: list[dict[str, Any]]) -> None:
    """Already (even partly) at the supplier: never re-sent; a real change waits for an operator."""
    for p, row in at_supplier:
        message = _what_changed(p.order, p.fingerprint, row.sent_fingerprint)
        if message and issue_store.open_once(session, row.id, CHANGED_AFTER_FORWARDING, "", message, now,
                                             source="channel"):
            events.append({"order_id": row.id, "at": now, "actor": "worker", "from_status": None,
                           "to_status": None, "reason": f"flagged: {message}"})
            result.changed_after_forwarding += 1


def _what_changed(order: ChannelOrder, now_fingerprint: str, sent_fingerprint: str | None) -> str:
    what = []
    if order.cancelled:
        what.append("cancelled on the channel")
    if sent_fingerprint and now_fingerprint != sent_fingerprint:
        what.append("address or lines changed on the channel")
    return "; ".join(what) + " after the order was sent to the supplier" if what else ""


def bulk_update(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """UPDATE orders ... WHERE id = :_id, executed as one batch."""
    if not rows:
        return
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for r in rows:
        groups.setdefault(tuple(sorted(r)), []).append(r)
    table = Order.__table__
    for cols, batch in groups.items():
        # bind names must differ from column names in an UPDATE's SET clause
        stmt = (
            table.update()  # type: ignore[attr-defined]
            .where(table.c.id == bindparam("b__id"))
            .values({c: bindparam(f"b_{c}") for c in cols if c != "_id"})
        )
        session.connection().execute(stmt, [
            {f"b_{k}": v.value if isinstance(v, Dumped) else v for k, v in r.items()} for r in batch])
