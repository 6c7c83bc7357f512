"""Reading the customer list: a page of customers with their figures, found by name, phone,
e-mail, code, order number, tracking number or package (supplier order) number; one customer
with their order history."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select, union
from sqlalchemy.orm import Session

from sync.customer_models import CustomerLevel
from sync.customers import average, stats_of
from sync.models import Channel, Customer, Order, Shipment, SupplierOrderRow


@dataclass
class Figures:
    currency: str
    orders: int
    spend: Decimal
    average: Decimal


@dataclass
class CustomerView:
    id: int
    customer_code: str
    first_name: str | None
    last_name: str | None
    phone: str | None
    email: str | None
    source: str
    note: str
    level: str | None
    first_order_at: datetime | None
    last_order_at: datetime | None
    updated_at: datetime
    erased: bool
    figures: list[Figures] = field(default_factory=list)
    addresses: list[dict[str, Any]] = field(default_factory=list)
    #: confirmed after-sales refunds per currency, beside the spend (which keeps refunded orders)
    refunded: dict[str, Decimal] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return " ".join(p for p in (self.first_name, self.last_name) if p)

    @property
    def total_orders(self) -> int:
        return sum(f.orders for f in self.figures)

    def as_json(self, *, amounts: bool) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id, "customer_code": self.customer_code, "name": self.name, "first_name": self.first_name,
            "last_name": self.last_name, "phone": self.phone, "email": self.email, "source": self.source,
            "note": self.note, "level": self.level, "total_orders": self.total_orders,
            "first_order_at": _iso(self.first_order_at), "last_order_at": _iso(self.last_order_at),
            "updated_at": _iso(self.updated_at), "erased": self.erased, "addresses": self.addresses,
        }
        if amounts:
            out["spend"] = [{"currency": f.currency, "orders": f.orders, "total_spend": str(f.spend),
                             "average_order_value": str(f.average)} for f in self.figures]
            out["refunded"] = {currency: str(amount) for currency, amount in sorted(self.refunded.items())}
        return out


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


#: a term that can be part of a phone number: digits (three at least) and the usual separators
_PHONE = re.compile(r"^(?=(?:\D*\d){3})[\d\s+()./-]+$")


def name_expression() -> Any:
    """The name a search looks in (PostgreSQL has a trigram index on exactly this expression)."""
    return func.lower(func.coalesce(Customer.first_name, "") + " " + func.coalesce(Customer.last_name, ""))


def _search(term: str) -> Any:
    """The customers a term finds, as one union of look-ups that each have an index (the code, the
    e-mail, the name and phone through trigrams, order, tracking and package numbers), so that a
    search never reads the whole list."""
    term = term.strip()
    look_ups = [
        select(Customer.id).where(Customer.customer_code == term.upper()),
        select(Customer.id).where(Customer.email == term.lower()),
    ]
    if any(ch.isalpha() for ch in term):
        look_ups.append(select(Customer.id).where(
            name_expression().like(f"%{_escaped(term.lower())}%", escape="\\")))
    if _PHONE.match(term):
        look_ups.append(select(Customer.id).where(Customer.phone.like(f"%{_escaped(term)}%", escape="\\")))
    found: Any = union(
        *look_ups,
        select(Order.customer_id).where(Order.number.in_([term, f"#{term}"])),
        select(Order.customer_id).join(Shipment, Shipment.order_id == Order.id).where(Shipment.tracking_number == term),
        select(Order.customer_id).join(SupplierOrderRow, SupplierOrderRow.order_id == Order.id).where(
            SupplierOrderRow.supplier_order_id == term),
    )
    return Customer.id.in_(select(found.subquery().c[0]))


def _escaped(term: str) -> str:
    return term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def list_customers(session: Session, search: str = "", *, offset: int = 0, limit: int = 50) -> list[CustomerView]:
    """Newest first; merged customers are shown as the one they were merged into."""
    stmt = select(*Customer.__table__.c).where(Customer.merged_into_id.is_(None))
    if search.strip():
        stmt = stmt.where(_search(search))
    rows = list(session.execute(stmt.order_by(Customer.id.desc()).offset(offset).limit(limit)))
    return _views(session, rows)


def count_customers(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(Customer).where(Customer.merged_into_id.is_(None)))
               or 0)


def _views(session: Session, rows: list[Any]) -> list[CustomerView]:
    """Rows of the customers table (ORM objects or plain rows: a page of the list reads plain rows)."""
    from sync.after_sales_refunds import customer_refunds  # the after-sales domain reads the customers too

    ids = [c.id for c in rows]
    stats = stats_of(session, ids)
    refunded = customer_refunds(session, ids)
    channel_ids = {c.channel_id for c in rows if c.channel_id}
    level_ids = {c.level_id for c in rows if c.level_id}
    channels = dict(session.execute(select(Channel.id, Channel.name).where(Channel.id.in_(channel_ids))).all()
                    ) if channel_ids else {}
    levels = dict(session.execute(select(CustomerLevel.id, CustomerLevel.name).where(CustomerLevel.id.in_(level_ids)))
                  .all()) if level_ids else {}
    return [CustomerView(
        id=c.id, customer_code=c.customer_code or "", first_name=c.first_name, last_name=c.last_name, phone=c.phone,
        email=c.email, source=channels.get(c.channel_id, "manual") if c.channel_id else "manual", note=c.note or "",
        level=levels.get(c.level_id) if c.level_id else None, first_order_at=c.first_order_at,
        last_order_at=c.last_order_at, updated_at=c.updated_at, erased=c.erased_at is not None,
        figures=[_figures(s) for s in stats[c.id]], addresses=list(c.addresses or []), refunded=refunded[c.id],
    ) for c in rows]


def _figures(s: Any) -> Figures:
    return Figures(s.currency, s.orders, Decimal(s.spend), average(s.orders, Decimal(s.spend)))


def view(session: Session, customer: Customer) -> CustomerView:
    return _views(session, [customer])[0]


def order_history(session: Session, customer_id: int, limit: int = 200) -> list[Any]:
    return list(session.execute(
        select(Order.id, Order.number, Order.status, Order.payment_status, Order.cancelled_on_channel,
               Order.currency, Order.total, Order.placed_at, Channel.name.label("channel"))
        .join(Channel, Channel.id == Order.channel_id)
        .where(Order.customer_id == customer_id).order_by(Order.placed_at.desc(), Order.id.desc()).limit(limit)))
