"""Refunds the channels reported, shown on the order and used to start an after-sales order.

They are read from the order's body as stored (``Order.raw``, kept whole by ingest and replaced by
every newer version), by the connector of the order's platform: Shopify's ``refunds`` (amount and
units), WooCommerce's ``refunds`` (amount and reason; its units are only in the refunds endpoint).
Other platforms report none here."""

from __future__ import annotations

from collections.abc import Callable, Collection
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from connectors.refunds import ChannelRefund
from connectors.shopify.refunds import refunds_in as shopify_refunds
from connectors.woocommerce.refunds import refunds_in as woocommerce_refunds
from sync import after_sales
from sync import after_sales_rules as r
from sync.after_sales_models import AfterSalesOrder
from sync.models import Channel, Order
from sync.money import rounded

READERS: dict[str, Callable[[dict[str, Any]], list[ChannelRefund]]] = {
    "shopify": shopify_refunds,
    "woocommerce": woocommerce_refunds,
}


def channel_refunds(session: Session, order: Order) -> list[ChannelRefund]:
    """The refunds the order's channel reported, oldest first as the channel lists them."""
    channel = session.get(Channel, order.channel_id)
    reader = READERS.get(channel.kind if channel is not None else "")
    if reader is None or not isinstance(order.raw, dict):
        return []
    return reader(order.raw)


def refunded_on_channel(session: Session, order: Order, *, excluding: Collection[str | None] = ()) -> Decimal:
    """The amount the channel refunded, less the refunds named in ``excluding``."""
    return sum((f.amount for f in channel_refunds(session, order) if f.external_id not in excluding), Decimal(0))


def start_after_sales(session: Session, order_id: int, refund_id: str, *, kind: str, actor: str,
                      can_after_sales: bool, warehouse: str | None = None) -> AfterSalesOrder:
    """An after-sales order prefilled from a channel's refund: its units as returned items (at what
    was paid for their lines; all the order's lines when the channel names no units) and its amount
    as the return amount. One channel refund starts one after-sales order."""
    r.need(can_after_sales, r.MANUAL_AFTER_SALES)
    order = session.get(Order, order_id)
    if order is None:
        raise r.AfterSalesError(f"order {order_id} does not exist", field="order")
    refund = next((f for f in channel_refunds(session, order) if f.external_id == refund_id), None)
    if refund is None:
        raise r.AfterSalesError(f"order {order.number} has no channel refund {refund_id[:40]!r}", field="refund")
    taken = session.scalar(select(AfterSalesOrder.number).where(
        AfterSalesOrder.order_id == order_id, AfterSalesOrder.channel_refund_id == refund_id))
    if taken is not None:
        raise r.AfterSalesError(f"channel refund {refund_id} started {taken} already", field="refund")
    items = _items(order, refund)
    note = f"from the channel's refund {refund_id}" + (f": {refund.reason}" if refund.reason else "")
    return after_sales.build(session, kind=kind, actor=actor, items=items, order_id=order_id, offline=None,
                             can_edit_prices=False, return_amount=rounded(refund.amount, order.currency),
                             warehouse=warehouse, note=note, channel_refund_id=refund_id)


def _items(order: Order, refund: ChannelRefund) -> list[after_sales.ItemInput] | None:
    if not refund.lines:
        return None  # the whole order, for the operator to narrow
    by_id = {ln.external_id: ln for ln in order.lines if ln.external_id}
    out = []
    for refunded in refund.lines:
        line = by_id.get(refunded.line_external_id or "")
        line = line or next((ln for ln in order.lines if ln.sku == refunded.sku), None)
        sku = refunded.sku or (line.sku if line is not None else None)
        if sku and refunded.quantity > 0:
            out.append(after_sales.ItemInput(sku=sku, quantity=refunded.quantity, title=refunded.title,
                                             order_line_id=line.id if line is not None else None))
    return out or None
