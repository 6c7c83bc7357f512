"""The operator actions the admin offers, in one place: each runs one sync service in its own
transaction and answers in the operator's words, including when another operator or a worker got
there first (the services' transitions are conditional)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from functools import partial
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError

from admin.web import words
from sync import payment_confirmation, review
from sync.carrier import SupplierFor, choose_carrier
from sync.db import Database
from sync.messenger_models import MessengerOrder
from sync.models import CatalogueItem, Order
from sync.review import ReviewError
from sync.states import IllegalTransition, Status

#: sends orders that became ready on to the supplier (``workers.dispatch.forward_soon`` by default)
Forwarder = Callable[[Iterable[int]], list[str]]


class ActionFailed(Exception):
    def __init__(self, message: str, field: str | None = None, *, lost_race: bool = False) -> None:
        super().__init__(message)
        self.field = field
        #: another operator or a worker moved the order first: nothing was done
        self.lost_race = lost_race


@dataclass(frozen=True)
class Outcome:
    order_id: int
    ok: bool
    message: str
    #: the shop's order number, what the operator knows the order by
    number: str | None = None


def _numbered(db: Database, outcomes: list[Outcome]) -> list[Outcome]:
    ids = [o.order_id for o in outcomes]
    numbers: dict[int, str] = {}
    with db.session() as session:
        for i in range(0, len(ids), 500):
            numbers.update((int(k), str(v)) for k, v in session.execute(
                select(Order.id, Order.number).where(Order.id.in_(ids[i : i + 500]))))
    return [replace(o, number=numbers.get(o.order_id)) for o in outcomes]


def _run(db: Database, call: Callable[[Any], Any]) -> Any:
    try:
        with db.session() as session:
            return call(session)
    except ReviewError as exc:
        raise ActionFailed(str(exc), exc.field, lost_race=isinstance(exc, review.LostRace)) from None
    except IllegalTransition as exc:
        raise ActionFailed(str(exc)) from None


def edit_address(db: Database, order_id: int, changes: dict[str, Any], actor: str, seen: str | None = None) -> None:
    _run(db, lambda s: review.edit_address(s, order_id, changes, actor=actor, seen=seen))


def set_carrier(db: Database, order_id: int, carrier: str, actor: str, supplier_for: SupplierFor,
                seen: str | None = None) -> None:
    """Checked against the supplier's shipping options for the order (asked outside any transaction)."""
    try:
        choose_carrier(db, order_id, carrier, supplier_for, actor=actor, seen=seen)
    except ReviewError as exc:
        raise ActionFailed(str(exc), exc.field, lost_race=isinstance(exc, review.LostRace)) from None
    except IllegalTransition as exc:
        raise ActionFailed(str(exc)) from None


def mark_sent_manually(db: Database, order_id: int, reference: str, actor: str) -> None:
    _run(db, lambda s: review.mark_sent_manually(s, order_id, reference, actor=actor))


def confirm_payment(db: Database, order_id: int, reference: str, actor: str) -> payment_confirmation.Confirmed:
    """The caller hands a ready order on, and tells the channel, after the commit."""
    def confirm(session: Any) -> payment_confirmation.Confirmed:
        mark_paid = session.get(MessengerOrder, order_id) is not None  # its only word on payment is ours
        return payment_confirmation.confirm(session, order_id, actor=actor, reference=reference or None,
                                            mark_paid=mark_paid)

    done: payment_confirmation.Confirmed = _run(db, confirm)
    return done


def after_confirmation(order_id: int, done: payment_confirmation.Confirmed, forward: Forwarder,
                       tell_channel: Callable[[int], None]) -> None:
    """After the commit of a confirmation that changed something: a ready order goes to the
    supplier, and the channel is told (when its settings ask for it: ``sync.payment_writeback``)."""
    if not done.changed:
        return
    if done.status == Status.READY:
        forward([order_id])
    tell_channel(order_id)


def reject_payment(db: Database, order_id: int, reason: str, actor: str) -> None:
    _run(db, lambda s: payment_confirmation.reject(s, order_id, reason, actor=actor))


def cancel(db: Database, order_id: int, actor: str) -> None:
    _run(db, lambda s: review.cancel(s, order_id, actor=actor))


def _resubmit_one(session: Any, *, order_id: int, actor: str) -> review.Resubmitted:
    return review.resubmit(session, order_id, actor=actor)


def resubmit(db: Database, order_ids: Iterable[int], actor: str, forward: Forwarder) -> list[Outcome]:
    """Check each order again (one transaction each, so one failure stops nobody else) and hand
    the ones that became ready to the forwarder."""
    outcomes: dict[int, Outcome] = {}
    ready: list[int] = []
    for order_id in order_ids:
        try:
            result = _run(db, partial(_resubmit_one, order_id=order_id, actor=actor))
        except ActionFailed as exc:
            outcomes[order_id] = Outcome(order_id, False, str(exc))
            continue
        if result.status == Status.READY:
            ready.append(order_id)
            outcomes[order_id] = Outcome(order_id, True, "checked again: nothing left, sent to the supplier")
        else:
            reasons = ", ".join(words.reason(code) for code in result.issues)
            outcomes[order_id] = Outcome(order_id, False, "still pending review: " + reasons)
    if ready:
        forward(ready)
    return _numbered(db, list(outcomes.values()))


def map_sku(db: Database, sku: str, supplier_sku: str) -> None:
    """Map a channel's SKU to a supplier product the catalogue already knows (its cost goes with
    it, for the local wallet estimate). An SKU mapped meanwhile by someone else is left alone."""
    sku, supplier_sku = sku.strip(), supplier_sku.strip()
    if not sku or not supplier_sku:
        raise ActionFailed("choose a supplier product", "supplier_sku")
    try:
        with db.session() as session:
            product = session.scalars(select(CatalogueItem).where(CatalogueItem.supplier_sku == supplier_sku)
                                      .order_by(CatalogueItem.sku)).first()
            if product is None:
                raise ActionFailed(f"the catalogue has no supplier product {supplier_sku}", "supplier_sku")
            existing = session.get(CatalogueItem, sku)
            if existing is not None:
                raise ActionFailed(f"SKU {sku} is already mapped to {existing.supplier_sku}", "supplier_sku")
            session.add(CatalogueItem(sku=sku, supplier_sku=product.supplier_sku, title=product.title,
                                      cost=product.cost))
    except IntegrityError:
        raise ActionFailed(f"SKU {sku} was mapped by someone else meanwhile", "supplier_sku") from None


def search_products(db: Database, text: str, limit: int = 20) -> list[tuple[str, str]]:
    """Supplier products in the catalogue whose SKU or title holds ``text``: (supplier SKU, title)."""
    pattern = "%" + text.strip().lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    with db.session() as session:
        rows = session.execute(
            select(CatalogueItem.supplier_sku, func.min(CatalogueItem.title))
            .where(or_(func.lower(CatalogueItem.supplier_sku).like(pattern, escape="\\"),
                       func.lower(CatalogueItem.title).like(pattern, escape="\\")))
            .group_by(CatalogueItem.supplier_sku).order_by(CatalogueItem.supplier_sku).limit(limit))
        return [(str(s), str(t or "")) for s, t in rows]


def cancel_many(db: Database, order_ids: Iterable[int], actor: str) -> list[Outcome]:
    out = []
    for order_id in order_ids:
        try:
            cancel(db, order_id, actor)
            out.append(Outcome(order_id, True, "cancelled"))
        except ActionFailed as exc:
            out.append(Outcome(order_id, False, str(exc)))
    return _numbered(db, out)
