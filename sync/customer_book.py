"""What an operator does to the customer list: add, edit, delete, merge, erase (a GDPR request).
Every change is checked first (a ``FieldError`` naming the field) and takes the customer's row
lock, so a merge and an ingest of the same customer wait for each other instead of losing an order."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from sync.after_sales_models import AfterSalesOrder
from sync.customer_models import CustomerLevel, CustomerStat
from sync.customers import add_stats, next_codes, reserved_code, with_address
from sync.fields import FieldError
from sync.models import Customer, Order, utcnow
from sync.typed import row_id

EDITABLE = ("first_name", "last_name", "phone", "email", "note", "level", "customer_code")
_CODE = re.compile(r"^[A-Za-z0-9_-]{1,30}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
ERASED = "erased"


class CustomerNotFound(LookupError):
    pass


class LostRace(RuntimeError):
    """The customer changed under the operator (merged or deleted meanwhile)."""


def find(session: Session, ref: str | int, *, lock: bool = False) -> Customer:
    """A customer by id or code (merged customers are found as the one they were merged into)."""
    stmt = select(Customer)
    text_ref = str(ref).strip()
    if (as_id := row_id(text_ref)) is not None:
        stmt = stmt.where(or_(Customer.id == as_id, Customer.customer_code == text_ref))
    else:
        stmt = stmt.where(Customer.customer_code == text_ref.upper())
    if lock and session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update()
    customer = session.scalars(stmt).first()
    if customer is None:
        raise CustomerNotFound(f"no customer {text_ref[:40]!r}")
    if customer.merged_into_id is not None:
        return find(session, customer.merged_into_id, lock=lock)
    return customer


def _checked(session: Session, changes: dict[str, Any], current: Customer | None) -> dict[str, Any]:
    unknown = sorted(set(changes) - set(EDITABLE))
    if unknown:
        raise FieldError(f"unknown customer field: {unknown[0][:40]} (fields: {', '.join(EDITABLE)})",
                         field=unknown[0])
    out: dict[str, Any] = {}
    for key, value in changes.items():
        value = (value or "").strip() if isinstance(value, str) or value is None else value
        if key == "email" and value and not _EMAIL.match(value):
            raise FieldError("email: not an e-mail address", field="email")
        if key in ("first_name", "last_name") and len(value) > 200:
            raise FieldError(f"{key}: at most 200 characters", field=key)
        if key == "phone" and len(value) > 50:
            raise FieldError("phone: at most 50 characters", field="phone")
        if key == "customer_code":
            value = _checked_code(session, value, current)
        if key == "level":
            out["level_id"] = _level_id(session, value)
            continue
        out[key] = value.lower() if key == "email" and value else (value or ("" if key == "note" else None))
    return out


def _checked_code(session: Session, code: str, current: Customer | None) -> str:
    code = code.upper()
    if not _CODE.match(code):
        raise FieldError("customer_code: 1 to 30 letters, digits, - or _", field="customer_code")
    if current is not None and code == current.customer_code:
        return code
    if session.scalar(select(Customer.id).where(Customer.customer_code == code)) is not None:
        raise FieldError(f"customer_code: {code} is already another customer's", field="customer_code")
    if reserved_code(session, code):
        raise FieldError(f"customer_code: {code} is kept for a customer still to come", field="customer_code")
    return code


def _level_id(session: Session, name: str | None) -> int | None:
    if not name:
        return None
    found = session.scalar(select(CustomerLevel.id).where(CustomerLevel.name == name))
    if found is None:
        raise FieldError(f"level: no level {name[:40]!r}", field="level")
    return found


def add(session: Session, changes: dict[str, Any]) -> Customer:
    """A customer added by hand (source: manual), with the next code unless one is given."""
    values = _checked(session, changes, None)
    if not (values.get("first_name") or values.get("last_name")):
        raise FieldError("first_name: a customer needs a name", field="first_name")
    now = utcnow()
    customer = Customer(**{"channel_id": None, "external_id": None, "addresses": [], "note": "", "created_at": now,
                           "updated_at": now, **values})
    if not customer.customer_code:
        customer.customer_code = next_codes(session, 1)[0]
    session.add(customer)
    session.flush()
    return customer


def edit(session: Session, ref: str | int, changes: dict[str, Any]) -> Customer:
    customer = find(session, ref, lock=True)
    values = _checked(session, changes, customer)
    for key, value in values.items():
        setattr(customer, key, value)
    customer.updated_at = utcnow()
    session.flush()
    return customer


def add_address(session: Session, ref: str | int, address: dict[str, Any]) -> Customer:
    customer = find(session, ref, lock=True)
    customer.addresses = with_address(list(customer.addresses or []), address)
    customer.updated_at = utcnow()
    return customer


def _family(session: Session, customer_id: int) -> list[int]:
    """The customer and the customers merged into it."""
    return [customer_id, *session.scalars(select(Customer.id).where(Customer.merged_into_id == customer_id))]


def delete(session: Session, ref: str | int) -> str:
    """The customer leaves the list; their orders stay (without a customer). The code is not reused."""
    customer = find(session, ref, lock=True)
    family = _family(session, customer.id)
    session.execute(update(Order).where(Order.customer_id.in_(family)).values(customer_id=None)
                    .execution_options(synchronize_session=False))
    session.execute(CustomerStat.__table__.delete().where(CustomerStat.customer_id.in_(family)))  # type: ignore[attr-defined]
    code = customer.customer_code or ""
    for cid in reversed(family):  # merged ones first: they point at it
        session.execute(Customer.__table__.delete().where(Customer.id == cid))  # type: ignore[attr-defined]
    session.expunge(customer)
    return code


def erase(session: Session, ref: str | int) -> Customer:
    """Personal data replaced (a GDPR request), on the customer and on the offline buyer of its
    after-sales orders; code, orders, after-sales orders and statistics kept."""
    customer = find(session, ref, lock=True)
    now = utcnow()
    for cid in _family(session, customer.id):
        row = session.get(Customer, cid)
        assert row is not None
        row.first_name, row.last_name, row.email, row.phone = ERASED, None, None, None
        row.addresses = []
        if row.external_id and row.external_id.startswith("email:"):
            row.external_id = f"erased:{row.id}"  # the key was the e-mail itself
        row.erased_at = now
        row.updated_at = now
    # an offline sale's buyer is typed on its after-sales orders: that copy goes too
    session.execute(update(AfterSalesOrder).where(AfterSalesOrder.customer_id.in_(_family(session, customer.id)))
                    .values(buyer_name=ERASED, buyer_phone="", buyer_email="")
                    .execution_options(synchronize_session=False))
    session.flush()
    return customer


@dataclass
class Merged:
    kept: Customer
    gone_code: str


def merge(session: Session, first: str | int, second: str | int) -> Merged:
    """The same person on two channels as one customer: the older keeps its code and takes the
    other's orders, figures, addresses and note; the other's channel key stays, so its later
    orders come to the kept customer."""
    a, b = find(session, first), find(session, second)
    if a.id == b.id:
        raise FieldError("a customer cannot be merged with itself", field="customer")
    lock = session.get_bind().dialect.name == "postgresql"
    rows = list(session.scalars(select(Customer).where(Customer.id.in_([a.id, b.id])).order_by(Customer.id)
                                .with_for_update() if lock else
                                select(Customer).where(Customer.id.in_([a.id, b.id])).order_by(Customer.id)))
    if len(rows) != 2 or any(r.merged_into_id is not None for r in rows):
        raise LostRace("one of the customers was merged or deleted meanwhile")
    kept, gone = sorted(rows, key=lambda c: (c.created_at, c.id))
    _absorb(session, kept, gone)
    return Merged(kept, gone.customer_code or "")


def _absorb(session: Session, kept: Customer, gone: Customer) -> None:
    session.execute(update(Order).where(Order.customer_id == gone.id).values(customer_id=kept.id)
                    .execution_options(synchronize_session=False))
    stats = list(session.scalars(select(CustomerStat).where(CustomerStat.customer_id == gone.id)))
    add_stats(session, {(kept.id, s.currency): (s.orders, Decimal(s.spend)) for s in stats})
    session.execute(CustomerStat.__table__.delete().where(CustomerStat.customer_id == gone.id))  # type: ignore[attr-defined]
    session.execute(update(Customer).where(Customer.merged_into_id == gone.id).values(merged_into_id=kept.id)
                    .execution_options(synchronize_session=False))
    addresses = list(kept.addresses or [])
    for address in gone.addresses or []:
        addresses = with_address(addresses, address)
    kept.addresses = addresses
    times = [t for t in (kept.first_order_at, gone.first_order_at) if t]
    kept.first_order_at = min(times) if times else None
    times = [t for t in (kept.last_order_at, gone.last_order_at) if t]
    kept.last_order_at = max(times) if times else None
    for key in ("first_name", "last_name", "email", "phone", "level_id"):
        if getattr(kept, key) is None:
            setattr(kept, key, getattr(gone, key))
    kept.note = "\n".join(n for n in (kept.note, gone.note) if n)
    kept.updated_at = utcnow()
    gone.merged_into_id = kept.id
    gone.updated_at = kept.updated_at
    session.flush()
