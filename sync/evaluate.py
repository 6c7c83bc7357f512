"""Decide where an order goes next from what is known without the network."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from connectors.records import ChannelOrder
from sync import catalogue
from sync.models import CatalogueItem
from sync.payment_rules import needs_confirmation
from sync.states import Status
from validation import Context, Issue, validate

PAID = frozenset({"paid", "partially_refunded"})
GONE = frozenset({"refunded", "voided"})


@dataclass(frozen=True)
class Verdict:
    status: Status
    issues: list[Issue]
    reason: str


def eligible_payment(order: ChannelOrder, channel_settings: dict[str, Any]) -> bool:
    if order.payment_status in PAID:
        return True
    return order.payment_status == "authorized" and bool(channel_settings.get("allow_authorized"))


def judge(order: ChannelOrder, context: Context, channel_settings: dict[str, Any], *,
          payment_confirmed: bool = False) -> Verdict:
    """``payment_confirmed``: the seller confirmed the payment (``sync.payment_confirmation``),
    whatever the channel says of it now."""
    issues = validate(order, context)
    if order.cancelled:
        return Verdict(Status.CANCELLED, issues, "cancelled on the channel")
    if order.payment_status in GONE:
        return Verdict(Status.CANCELLED, issues, f"payment {order.payment_status} on the channel")
    if order.test:
        return Verdict(Status.IGNORED, issues, "test order: never forwarded")
    if order.fulfilled_on_channel:
        return Verdict(Status.FULFILLED_ON_CHANNEL, [],
                       f"fulfilled on the channel already ({order.status}): never forwarded")
    if order.unshipped_lines and not any(ln.quantity > 0 for ln in order.lines):
        return Verdict(Status.IGNORED, [], "no line needs shipping (gift cards or digital items)")
    if not payment_confirmed and needs_confirmation(order, channel_settings):
        return Verdict(Status.AWAITING_PAYMENT, issues,
                       f"payment confirmation pending ({order.payment_method}, payment {order.payment_status})")
    if not (payment_confirmed or eligible_payment(order, channel_settings)):
        return Verdict(Status.AWAITING_PAYMENT, issues, f"payment {order.payment_status}")
    if issues:
        return Verdict(Status.PENDING_REVIEW, issues, ", ".join(sorted({i.code for i in issues})))
    return Verdict(Status.READY, [], "checks passed")


def catalogue_context(session: Session, orders: Iterable[ChannelOrder]) -> Context:
    """Only the SKUs these orders use are loaded: the catalogue can be large."""
    skus = {ln.sku for o in orders for ln in o.lines if ln.sku}
    known: set[str] = set()
    ordered = sorted(skus)
    for i in range(0, len(ordered), 500):
        chunk = ordered[i : i + 500]
        known.update(session.scalars(select(CatalogueItem.sku).where(CatalogueItem.sku.in_(chunk))))
    stock, discontinued = catalogue.availability(session, known)
    return Context(known_skus=frozenset(known), stock=stock, discontinued=discontinued)
