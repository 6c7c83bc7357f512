"""One order as the order page shows it: what the channel sent beside what OrderHub holds, issues
(open and closed), supplier orders, shipments and the full history. Amounts are left out, not
just hidden, for an operator without "view prices"."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload, selectinload

from admin.web.words import hide_amounts
from connectors.registry import channel_class
from sync.models import Channel, Order, OrderEvent, OrderIssue, Shipment, SupplierOrderRow
from sync.payment_models import PaymentConfirmation

ADDRESS_FIELDS = ("first_name", "last_name", "company", "address1", "address2", "city", "region", "postcode",
                  "country_code", "phone", "email")
LABELS = {"first_name": "First name", "last_name": "Surname", "company": "Company", "address1": "Address",
          "address2": "Address (line 2)", "city": "City", "region": "Region", "postcode": "Postcode",
          "country_code": "Country", "phone": "Phone", "email": "Email"}


@dataclass
class OrderView:
    order: dict[str, Any]
    channel_address: dict[str, Any] | None
    address: dict[str, Any]
    lines: list[dict[str, Any]]
    issues: list[dict[str, Any]]
    flagged_fields: set[str]
    supplier_orders: list[dict[str, Any]]
    shipments: list[dict[str, Any]]
    history: list[dict[str, Any]] = field(default_factory=list)
    #: the carriers the supplier account is set up with (its ``carriers`` setting)
    carriers: list[str] = field(default_factory=list)
    #: its payment confirmation, when its payment method needs one (``sync.payment_confirmation``)
    payment: dict[str, Any] | None = None


def _channel_address(row: Order) -> dict[str, Any] | None:
    """The delivery address as the channel sent it (before an operator's edit)."""
    if not row.shipping_edited:
        return dict(row.shipping_address or {})
    try:
        parsed = channel_class(row.channel.kind).parse_order(row.raw)
    except Exception:  # an unknown kind or a body this version reads differently: show ours only
        return None
    return parsed.shipping_address.model_dump(mode="json") if parsed.shipping_address else {}


def load(session: Session, order_id: int, *, prices: bool) -> OrderView | None:
    # the channel and the lines come with the order (one round trip each, never one per line)
    row = session.get(Order, order_id, options=[joinedload(Order.channel), selectinload(Order.lines)])
    if row is None:
        return None
    text = (lambda s: s) if prices else hide_amounts
    issues: list[dict[str, Any]] = [
        {"code": i.code, "field": i.field, "message": text(i.message), "open": i.closed_at is None,
         "opened_at": i.opened_at, "closed_at": i.closed_at}
              for i in session.scalars(select(OrderIssue).where(OrderIssue.order_id == order_id)
                                       .order_by(OrderIssue.closed_at.is_not(None), OrderIssue.id))]
    flagged = {i["field"].removeprefix("shipping_address.") for i in issues
               if i["open"] and i["field"].startswith("shipping_address")}
    if any(i["open"] and i["field"] == "shipping_address" for i in issues):
        flagged |= {"address1", "city", "postcode", "country_code"}
    order = {"id": row.id, "channel": row.channel.name, "channel_kind": row.channel.kind, "number": row.number,
             "external_id": row.external_id, "status": row.status, "status_changed_at": row.status_changed_at,
             "channel_status": row.channel_status, "payment_status": row.payment_status,
             "placed_at": row.placed_at, "internal_reference": row.internal_reference, "carrier": row.carrier,
             "shipping_edited": row.shipping_edited, "cancelled_on_channel": row.cancelled_on_channel,
             "content_fingerprint": row.content_fingerprint}
    if prices:
        order |= {"total": row.total, "currency": row.currency}
    open_fields = {i["field"]: i["code"] for i in issues if i["open"]}
    lines = [{"sku": ln.sku, "title": ln.title, "quantity": ln.quantity,
              "flagged": f"lines[{n}].sku" in open_fields,
              "unknown": open_fields.get(f"lines[{n}].sku") == "unknown_sku",
              **({"unit_price": ln.unit_price} if prices else {})} for n, ln in enumerate(row.lines)]
    supplier_orders = [
        {"id": s.supplier_order_id, "reference": s.internal_reference, "warehouse": s.warehouse,
         "skus": s.skus, "status": s.status, "source": s.source, "created_at": s.created_at,
         **({"total": s.total} if prices else {})}
        for s in session.scalars(select(SupplierOrderRow).where(SupplierOrderRow.order_id == order_id)
                                 .order_by(SupplierOrderRow.id))]
    shipments = [{"tracking_number": s.tracking_number, "carrier": s.carrier, "url": _safe_url(s.url),
                  "status": s.status, "shipped_at": s.shipped_at, "pushed_at": s.pushed_at}
                 for s in session.scalars(select(Shipment).where(Shipment.order_id == order_id).order_by(Shipment.id))]
    history = [{"at": e.at, "actor": e.actor, "from": e.from_status, "to": e.to_status, "reason": text(e.reason)}
               for e in session.scalars(select(OrderEvent).where(OrderEvent.order_id == order_id)
                                        .order_by(OrderEvent.at.desc(), OrderEvent.id.desc()))]
    return OrderView(order, _channel_address(row), dict(row.shipping_address or {}), lines, issues, flagged,
                     supplier_orders, shipments, history, _carriers(session), _payment(session, order_id))


def _payment(session: Session, order_id: int) -> dict[str, Any] | None:
    found = session.get(PaymentConfirmation, order_id)
    if found is None:
        return None
    return {"state": found.state, "method": found.method, "reason": found.reason, "by": found.decided_by,
            "at": found.decided_at, "reference": found.transaction_reference}


def _carriers(session: Session) -> list[str]:
    names: list[str] = []
    for settings in session.scalars(select(Channel.settings).where(Channel.role == "supplier", Channel.enabled)):
        configured = (settings or {}).get("carriers") or []
        names += [str(c) for c in (configured if isinstance(configured, list) else [configured]) if c]
    return sorted(set(names))


def _safe_url(url: str | None) -> str | None:
    # a carrier's link comes from outside: only web links become clickable
    return url if url and url.startswith(("https://", "http://")) else None
