"""``orderhub demo --serve``: one after-sales order of each type, at different steps, on orders the
demo shipped, so the After-sales pages have something to show: a return & refund stocked in
(received return), a refund-only with a refund order requested (refund processing), and an exchange
confirmed with its exchange order generated in the demo's messenger store (waiting to approve).

Made once: a kept ``--workdir`` database that holds after-sales orders already gets none more."""

from __future__ import annotations

from sqlalchemy import select

from sync import after_sales as a
from sync import after_sales_exchange as exchange
from sync import after_sales_refunds as refunds
from sync import after_sales_rules as r
from sync.after_sales_models import AfterSalesOrder
from sync.db import Database
from sync.fields import FieldError
from sync.models import Order, OrderLine
from sync.review import ReviewError

ACTOR = "user:owner"


def _candidates(db: Database) -> list[int]:
    """Paid orders the demo sent or shipped, with a SKU on every line, oldest first."""
    with db.session() as s:
        rows = s.scalars(select(Order).where(Order.status.in_(("shipped", "sent", "fulfilled_on_channel")),
                                             Order.payment_status == "paid", Order.total > 0).order_by(Order.id))
        return [o.id for o in rows if o.lines and all(ln.sku for ln in o.lines)]


def make(db: Database, store: str) -> str:
    """Make the three after-sales orders (or describe those there are): one line for the terminal."""
    with db.session() as s:
        made = list(s.scalars(select(AfterSalesOrder).order_by(AfterSalesOrder.id)))
        if made:
            return _describe(made)
    steps = (_return_refund, _refund_only, lambda db_, order_id: _exchange(db_, order_id, store))
    ids = iter(_candidates(db))
    for step in steps:
        for order_id in ids:
            try:
                step(db, order_id)
                break
            except (ReviewError, FieldError):
                continue  # this order does not suit (a refund the channel made already, ...): the next one
    with db.session() as s:
        return _describe(list(s.scalars(select(AfterSalesOrder).order_by(AfterSalesOrder.id))))


def _return_refund(db: Database, order_id: int) -> None:
    with db.session() as s:
        found = a.create(s, kind=r.RETURN_REFUND, order_id=order_id, actor=ACTOR, return_tracking="RT-DEMO-0001",
                         note="the buyer changed their mind", can_after_sales=True)
        a.confirm(s, found.id, actor=ACTOR, stock_in=True, can_after_sales=True)


def _refund_only(db: Database, order_id: int) -> None:
    with db.session() as s:
        found = a.create(s, kind=r.REFUND_ONLY, order_id=order_id, actor=ACTOR, note="arrived scratched",
                         can_after_sales=True)
        a.confirm(s, found.id, actor=ACTOR, can_after_sales=True)
        refunds.create_refund(s, found.id, amount=refunds.refundable(s, found), actor=ACTOR, can_refund=True,
                              payment_info="back to the buyer's card")


def _exchange(db: Database, order_id: int, store: str) -> None:
    with db.session() as s:
        first = s.scalars(select(OrderLine).where(OrderLine.order_id == order_id).order_by(OrderLine.id)).first()
        assert first is not None and first.sku
        items = [a.ItemInput(first.sku, 1), a.ItemInput(first.sku, 1, kind=a.EXCHANGED, unit_price=first.unit_price)]
        found = a.create(s, kind=r.EXCHANGE, order_id=order_id, actor=ACTOR, items=items, can_edit_prices=True,
                         return_tracking="RT-DEMO-0003", note="wrong size: the same product again",
                         can_after_sales=True)
        a.confirm(s, found.id, actor=ACTOR, can_after_sales=True)
        exchange.generate_exchange(s, found.id, actor=ACTOR, store=store, can_after_sales=True)


def _describe(made: list[AfterSalesOrder]) -> str:
    if not made:
        return "no shipped order suits an after-sales order"
    return ", ".join(f"{f.number} {f.kind.replace('_', ' ')} ({f.state.replace('_', ' ')})" for f in made)
