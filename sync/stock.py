"""The seller's own stock: a ledger of movements per warehouse and SKU.

Every movement changes its level in the same transaction by a conditional update (``quantity +
n``, and for a take ``quantity >= n`` unless a negative level is allowed), so two movements at
once are both counted and a take never silently goes below zero. A movement may carry a ``key``:
the same key twice is refused with ``DuplicateMovement`` (that is how a second stock-in of the same
return is refused), and the refusal keeps nothing."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from sync.fields import FieldError
from sync.models import utcnow
from sync.stock_models import StockLevel, StockMovement, Warehouse
from sync.upsert import insert_for

DEFAULT_WAREHOUSE = "Main"


class StockError(FieldError):
    """A stock movement that cannot be made, in the operator's words; nothing was changed."""


class DuplicateMovement(StockError):
    """A movement under a key already used: it happened once already."""


def add_warehouse(session: Session, name: str) -> Warehouse:
    name = name.strip()
    if not name or len(name) > 100:
        raise StockError("warehouse: a name of 1 to 100 characters", field="name")
    if session.scalar(select(Warehouse.id).where(Warehouse.name == name)) is not None:
        raise StockError(f"warehouse: {name[:40]!r} exists already", field="name")
    warehouse = Warehouse(name=name, enabled=True)
    session.add(warehouse)
    session.flush()
    return warehouse


def warehouse_named(session: Session, name: str) -> Warehouse:
    found = session.scalar(select(Warehouse).where(Warehouse.name == name.strip()))
    if found is None:
        raise StockError(f"warehouse: no warehouse {name[:40]!r}", field="warehouse")
    return found


def default_warehouse(session: Session) -> Warehouse:
    """The first enabled warehouse; "Main" is made on first use when there is none."""
    found = session.scalar(select(Warehouse).where(Warehouse.enabled.is_(True)).order_by(Warehouse.id).limit(1))
    if found is not None:
        return found
    session.execute(insert_for(session, Warehouse.__table__).on_conflict_do_nothing()  # type: ignore[arg-type]
                    .values(name=DEFAULT_WAREHOUSE, enabled=True))
    return warehouse_named(session, DEFAULT_WAREHOUSE)


def move(session: Session, *, warehouse_id: int, sku: str, quantity: int, reason: str, actor: str,
         order_id: int | None = None, reference: str | None = None, key: str | None = None,
         allow_negative: bool = False) -> StockMovement:
    """Record one movement and change the level with it. ``quantity`` is signed (in > 0, out < 0).

    Raises ``StockError`` for a take of more than is held (unless ``allow_negative``: a
    self-delivered order may oversell, and the level shows it), and ``DuplicateMovement`` for a
    ``key`` used before."""
    sku = (sku or "").strip()
    if not sku or len(sku) > 100:
        raise StockError("sku: 1 to 100 characters", field="sku")
    if quantity == 0 or abs(quantity) > 10**9:
        raise StockError(f"quantity of {sku}: a whole number other than 0", field="quantity")
    if session.get(Warehouse, warehouse_id) is None:
        raise StockError(f"warehouse: no warehouse {warehouse_id}", field="warehouse")
    if key is not None and session.scalar(select(StockMovement.id).where(StockMovement.key == key)) is not None:
        raise DuplicateMovement(f"stock: {key} was recorded already", field="key")
    try:
        with session.begin_nested():  # a refused movement keeps nothing of itself, and nothing else is lost
            movement = StockMovement(warehouse_id=warehouse_id, sku=sku, quantity=quantity, reason=reason[:500],
                                     order_id=order_id, reference=reference, actor=actor, at=utcnow(), key=key)
            session.add(movement)
            session.flush()  # the key's unique index answers a racing duplicate here
            _change_level(session, warehouse_id, sku, quantity, allow_negative)
    except IntegrityError:
        raise DuplicateMovement(f"stock: {key} was recorded already", field="key") from None
    return movement


def _change_level(session: Session, warehouse_id: int, sku: str, quantity: int, allow_negative: bool) -> None:
    table = StockLevel.__table__
    session.execute(insert_for(session, table).on_conflict_do_nothing()  # type: ignore[arg-type]
                    .values(warehouse_id=warehouse_id, sku=sku, quantity=0))
    stmt = (update(StockLevel).where(StockLevel.warehouse_id == warehouse_id, StockLevel.sku == sku)
            .values(quantity=StockLevel.quantity + quantity).execution_options(synchronize_session=False))
    if quantity < 0 and not allow_negative:
        stmt = stmt.where(StockLevel.quantity >= -quantity)
    if not session.execute(stmt).rowcount:  # type: ignore[attr-defined]
        held = level(session, warehouse_id, sku)
        raise StockError(f"stock of {sku}: {held} held, {-quantity} cannot be taken", field="quantity")


def level(session: Session, warehouse_id: int, sku: str) -> int:
    found = session.scalar(select(StockLevel.quantity).where(StockLevel.warehouse_id == warehouse_id,
                                                           StockLevel.sku == sku.strip()))
    return int(found or 0)


def levels(session: Session, warehouse_id: int) -> dict[str, int]:
    rows = session.execute(select(StockLevel.sku, StockLevel.quantity)
                           .where(StockLevel.warehouse_id == warehouse_id).order_by(StockLevel.sku))
    return {sku: int(q) for sku, q in rows}


def movements(session: Session, *, warehouse_id: int | None = None, sku: str | None = None,
              order_id: int | None = None, reference: str | None = None, limit: int = 200) -> list[StockMovement]:
    """The newest movements first, narrowed by any of warehouse, SKU, order and reference."""
    stmt = select(StockMovement).order_by(StockMovement.id.desc()).limit(limit)
    if warehouse_id is not None:
        stmt = stmt.where(StockMovement.warehouse_id == warehouse_id)
    if sku is not None:
        stmt = stmt.where(StockMovement.sku == sku.strip())
    if order_id is not None:
        stmt = stmt.where(StockMovement.order_id == order_id)
    if reference is not None:
        stmt = stmt.where(StockMovement.reference == reference)
    return list(session.scalars(stmt))
