"""After-sales orders: return & refund, refund-only and exchange, for an order of any channel that
is to pickup, shipped, completed or cancelled, or for an offline sale typed in.

The public functions here (``create``, ``proposal``, ``confirm``, ``set_return_tracking``,
``stock_in``, ``stock_in_by_tracking``, ``cancel``, ``complete_without_refund``, ``listing``)
take the ``actor`` and the caller's permission as flags and check them themselves, whatever page,
API call or command calls them. Refund orders are in ``sync.after_sales_refunds``, exchange orders
in ``sync.after_sales_exchange``, channel-reported refunds in ``sync.channel_refunds``. Every change
of state is a conditional update (``sync.after_sales_rules.move``) that reports a lost race."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sync import after_sales_rules as r
from sync import customer_book, prices, stock
from sync.after_sales_models import AfterSalesItem, AfterSalesOrder
from sync.fields import FieldError
from sync.messenger import EMAIL
from sync.models import CatalogueItem, Order, OrderLine, utcnow
from sync.money import ORDER_DECIMALS, currency_code, fits_orders, minor_unit, parse_amount, rounded
from sync.stock_models import Warehouse

RETURNED = "returned"
EXCHANGED = "exchange"
MAX_QUANTITY = 100000


@dataclass(frozen=True)
class ItemInput:
    """One item as the operator confirms it. Without ``unit_price`` a line of the order is priced
    at what was paid for it, an added SKU by the customer's tiered price, else the wholesale price,
    else 0; a typed ``unit_price`` needs the "edit prices" permission."""

    sku: str
    quantity: int
    kind: str = RETURNED
    unit_price: Decimal | None = None
    title: str = ""
    #: the order's line it returns; found by SKU when not given
    order_line_id: int | None = None


@dataclass(frozen=True)
class OfflineSale:
    """An order not in OrderHub: the buyer and currency typed in (a customer code links it)."""

    buyer_name: str
    currency: str
    buyer_phone: str = ""
    buyer_email: str = ""
    customer: str | int | None = None


def proposal(session: Session, order_id: int) -> list[ItemInput]:
    """The order's lines as returned items at what was paid: the form's starting point."""
    order = _order(session, order_id)
    return [ItemInput(sku=ln.sku or "", quantity=ln.quantity, unit_price=Decimal(ln.unit_price), title=ln.title,
                      order_line_id=ln.id) for ln in order.lines if ln.sku]


def create(session: Session, *, kind: str, actor: str, can_after_sales: bool, items: list[ItemInput] | None = None,
           order_id: int | None = None, offline: OfflineSale | None = None, can_edit_prices: bool = False,
           return_amount: Decimal | str | None = None, warehouse: str | None = None,
           return_tracking: str | None = None, note: str = "") -> AfterSalesOrder:
    """A new after-sales order in to_confirm. ``items`` None takes all the order's lines; a typed
    ``return_amount`` (the returned amount adjusted by hand) needs "edit prices"."""
    r.need(can_after_sales, r.MANUAL_AFTER_SALES)
    if return_amount is not None:
        r.need(can_edit_prices, "edit prices")
    return build(session, kind=kind, actor=actor, items=items, order_id=order_id, offline=offline,
                 can_edit_prices=can_edit_prices, return_amount=return_amount, warehouse=warehouse,
                 return_tracking=return_tracking, note=note)


def build(session: Session, *, kind: str, actor: str, items: list[ItemInput] | None, order_id: int | None,
          offline: OfflineSale | None, can_edit_prices: bool, return_amount: Decimal | str | None,
          warehouse: str | None = None, return_tracking: str | None = None, note: str = "",
          channel_refund_id: str | None = None) -> AfterSalesOrder:
    """``create`` once the permissions are checked (``sync.channel_refunds`` passes the amount the
    channel refunded as ``return_amount``)."""
    if kind not in r.KINDS:
        raise r.AfterSalesError(f"type: one of {', '.join(r.KINDS)}", field="kind")
    order, head = _head(session, order_id, offline)
    inputs = proposal(session, order.id) if items is None and order is not None else list(items or [])
    priced = [_item(session, order, head, ln, can_edit_prices) for ln in inputs]
    _check_items(session, kind, order, priced)
    check_exchange_prices(head.currency, priced)
    returned = _total(priced, RETURNED, head.currency)
    amount = returned if return_amount is None else parse_amount(return_amount, head.currency, "return_amount")
    if order is not None and amount > paid(order):
        raise r.AfterSalesError(f"return amount: at most {paid(order)} {head.currency} was paid for the order",
                                field="return_amount")
    head.kind, head.state, head.number = kind, r.TO_CONFIRM, r.next_number(session)
    head.returned_amount, head.return_amount = returned, amount
    head.exchange_amount = _total(priced, EXCHANGED, head.currency)
    head.warehouse_id = stock.warehouse_named(session, warehouse).id if warehouse else None
    head.return_tracking = _tracking(return_tracking)
    head.channel_refund_id, head.note = channel_refund_id, note[:2000]
    head.created_by, head.created_at = actor, utcnow()
    head.items = priced
    session.add(head)
    session.flush()
    r.history(session, head, actor=actor, reason=f"{r.KIND_WORDS[kind]} created", to_state=r.TO_CONFIRM)
    return head


def _head(session: Session, order_id: int | None, offline: OfflineSale | None) -> tuple[Order | None, AfterSalesOrder]:
    if (order_id is None) == (offline is None):
        raise r.AfterSalesError("order: choose an order, or enter an offline sale", field="order")
    if order_id is not None:
        order = _order(session, order_id)
        if r.order_state(session, order) is None:
            raise r.AfterSalesError(f"order {order.number} is {order.status}: after-sales orders are made only for "
                                    "orders to pickup, shipped, completed or cancelled", field="order")
        return order, AfterSalesOrder(order_id=order.id, customer_id=order.customer_id, currency=order.currency)
    assert offline is not None
    name = offline.buyer_name.strip()
    if not name or len(name) > 200:
        raise r.AfterSalesError("buyer: a name of 1 to 200 characters", field="buyer_name")
    if offline.buyer_email.strip() and not EMAIL.fullmatch(offline.buyer_email.strip()):
        raise r.AfterSalesError("buyer email: an address like name@example.com", field="buyer_email")
    try:
        currency = currency_code(offline.currency)
        customer_id = customer_book.find(session, offline.customer).id if offline.customer else None
    except (FieldError, customer_book.CustomerNotFound) as exc:
        raise r.AfterSalesError(str(exc), field=getattr(exc, "field", None) or "customer") from None
    return None, AfterSalesOrder(order_id=None, customer_id=customer_id, currency=currency, buyer_name=name,
                                 buyer_phone=offline.buyer_phone.strip()[:50],
                                 buyer_email=offline.buyer_email.strip()[:320])


def _item(session: Session, order: Order | None, head: AfterSalesOrder, given: ItemInput,
          can_edit_prices: bool) -> AfterSalesItem:
    sku = (given.sku or "").strip()
    if not sku or len(sku) > 100:
        raise r.AfterSalesError("sku: 1 to 100 characters", field="sku")
    if given.kind not in (RETURNED, EXCHANGED):
        raise r.AfterSalesError(f"item {sku}: returned or exchange", field="kind")
    if not 1 <= given.quantity <= MAX_QUANTITY:
        raise r.AfterSalesError(f"quantity of {sku}: a whole number from 1", field="quantity", sku=sku, kind=given.kind)
    line = _line(order, given, sku) if given.kind == RETURNED else None
    if given.unit_price is not None and (line is None or Decimal(given.unit_price) != Decimal(line.unit_price)):
        r.need(can_edit_prices, "edit prices")
        try:
            price = parse_amount(given.unit_price, head.currency, f"unit price of {sku}")
        except FieldError as exc:
            raise r.AfterSalesError(str(exc), field="unit_price", sku=sku, kind=given.kind) from None
        if line is not None and price > Decimal(line.unit_price):
            raise r.AfterSalesError(f"unit price of {sku}: at most {line.unit_price} was paid for it",
                                    field="unit_price", sku=sku, kind=given.kind)
    elif line is not None:
        price = Decimal(line.unit_price)
    else:
        quote = prices.price_for(session, sku, head.customer_id, given.quantity)
        price = quote.price if quote.price is not None else Decimal(0)
    title = given.title or (line.title if line is not None else _title(session, order, sku))
    return AfterSalesItem(kind=given.kind, order_line_id=line.id if line is not None else None, sku=sku,
                          title=title[:500], quantity=given.quantity, unit_price=rounded(price, head.currency),
                          received_quantity=0)


def _title(session: Session, order: Order | None, sku: str) -> str:
    """An added or exchanged SKU's product name: the order's line of that SKU, else the catalogue's,
    so the item does not show up nameless beside the returned one."""
    same = next((ln.title for ln in (order.lines if order is not None else []) if ln.sku == sku and ln.title), None)
    return same or session.scalar(select(CatalogueItem.title).where(CatalogueItem.sku == sku)) or ""


def priced_item(session: Session, found: AfterSalesOrder, given: ItemInput, can_edit_prices: bool) -> AfterSalesItem:
    """One item priced as ``create`` prices it (for the items changed after creation)."""
    order = session.get(Order, found.order_id) if found.order_id is not None else None
    return _item(session, order, found, given, can_edit_prices)


def check_exchange_prices(currency: str, items: list[AfterSalesItem]) -> None:
    """Exchange items become a messenger order, whose prices keep 2 decimals: a price in fils
    (KWD, BHD...) that 2 decimals cannot hold is refused rather than rounded."""
    for item in items:
        held = fits_orders(item.unit_price) and fits_orders(item.unit_price * item.quantity)
        if item.kind == EXCHANGED and not held:
            raise r.AfterSalesError(
                f"unit price of {item.sku}: {item.unit_price} {currency} has {minor_unit(currency)} decimals, but "
                f"exchange orders keep prices to {ORDER_DECIMALS} decimals; price it to {ORDER_DECIMALS} decimals "
                "(e.g. in tens of fils)", field="unit_price")


def _line(order: Order | None, given: ItemInput, sku: str) -> OrderLine | None:
    if order is None:
        return None
    if given.order_line_id is not None:
        for line in order.lines:
            if line.id == given.order_line_id:
                return line
        raise r.AfterSalesError(f"item {sku}: not a line of order {order.number}", field="order_line_id")
    return next((ln for ln in order.lines if ln.sku == sku), None)


def _check_items(session: Session, kind: str, order: Order | None, items: list[AfterSalesItem]) -> None:
    if not any(i.kind == RETURNED for i in items):
        raise r.AfterSalesError("items: at least one returned or refunded item", field="items")
    if kind != r.EXCHANGE and any(i.kind == EXCHANGED for i in items):
        raise r.AfterSalesError("items: exchange items belong to an exchange", field="items")
    if order is None:
        return
    for line in order.lines:
        wanted = sum(i.quantity for i in items if i.order_line_id == line.id)
        if not wanted:
            continue
        taken = session.scalar(
            select(func.coalesce(func.sum(AfterSalesItem.quantity), 0))
            .join(AfterSalesOrder, AfterSalesOrder.id == AfterSalesItem.after_sales_id)
            .where(AfterSalesItem.order_line_id == line.id, AfterSalesItem.kind == RETURNED,
                   AfterSalesOrder.state != r.CANCELLED)) or 0
        if wanted + int(taken) > line.quantity:
            raise r.AfterSalesError(f"quantity of {line.sku}: {line.quantity} bought, {int(taken)} in other "
                                    f"after-sales orders already", field="quantity", sku=line.sku, kind=RETURNED)


def _total(items: list[AfterSalesItem], kind: str, currency: str) -> Decimal:
    return rounded(sum((i.unit_price * i.quantity for i in items if i.kind == kind), Decimal(0)), currency)


def paid(order: Order) -> Decimal:
    """What the buyer paid for the order: its total once paid, else nothing."""
    return Decimal(order.total) if order.payment_status in ("paid", "partially_refunded", "refunded") else Decimal(0)


def _order(session: Session, order_id: int) -> Order:
    order = session.get(Order, order_id)
    if order is None:
        raise r.AfterSalesError(f"order {order_id} does not exist", field="order")
    return order


def _tracking(value: str | None) -> str | None:
    value = (value or "").strip()
    if len(value) > 100:
        raise r.AfterSalesError("return tracking number: at most 100 characters", field="return_tracking")
    return value or None


# Confirming and stock-in -----------------------------------------------------------------------


def confirm(session: Session, ref: int | str, *, actor: str, can_after_sales: bool, stock_in: bool = False,
            warehouse: str | None = None) -> AfterSalesOrder:
    """Confirm an order in to_confirm: to its confirm list, or (``stock_in``, return kinds) with
    the returned units taken into stock at once, to received_return."""
    r.need(can_after_sales, r.MANUAL_AFTER_SALES)
    found = r.get(session, ref)
    if found.state != r.TO_CONFIRM:
        raise r.AfterSalesError(f"{found.number} is {found.state}: only orders to confirm are confirmed")
    if not stock_in:
        r.move(session, found, r.TO_CONFIRM, r.CONFIRMED[found.kind], actor=actor, reason="confirmed",
               action="confirmed")
        return found
    if found.kind not in r.RETURN_KINDS:
        raise r.AfterSalesError(f"{found.number} is a refund-only order: nothing comes back to stock in",
                                field="stock_in")
    _receive(session, found, r.TO_CONFIRM, actor, None, warehouse, "confirmed with stock-in")
    return found


def set_return_tracking(session: Session, ref: int | str, tracking: str, *, actor: str,
                        can_after_sales: bool) -> AfterSalesOrder:
    """The buyer's return tracking number, entered before the stock-in so the parcel finds its order."""
    r.need(can_after_sales, r.MANUAL_AFTER_SALES)
    found = r.get(session, ref)
    if found.kind not in r.RETURN_KINDS or found.state not in (r.TO_CONFIRM, *r.AWAITING_RETURN):
        raise r.AfterSalesError(f"{found.number} is {found.state}: a return tracking number is entered before "
                                "the stock-in of a return", field="return_tracking")
    number = _tracking(tracking)
    if number is None:
        raise r.AfterSalesError("return tracking number: enter one", field="return_tracking")
    r.move(session, found, found.state, found.state, actor=actor, reason=f"return tracking number {number}",
           action="edited", return_tracking=number)
    return found


def awaiting_return(session: Session, tracking: str) -> list[AfterSalesOrder]:
    """The after-sales orders waiting for a parcel with this return tracking number."""
    return list(session.scalars(select(AfterSalesOrder).where(
        AfterSalesOrder.return_tracking == tracking.strip(), AfterSalesOrder.state.in_(r.AWAITING_RETURN))
        .order_by(AfterSalesOrder.id)))


def stock_in(session: Session, ref: int | str, *, actor: str, can_after_sales: bool,
             received: dict[str, int] | None = None, warehouse: str | None = None) -> AfterSalesOrder:
    """The returned parcel arrived: its units (``received`` by SKU, else all) go into stock and the
    order moves to received_return. A second stock-in is refused."""
    r.need(can_after_sales, r.MANUAL_AFTER_SALES)
    found = r.get(session, ref)
    if found.stocked_in_at is not None or found.state == r.RECEIVED_RETURN:
        raise r.AfterSalesError(f"{found.number} was stocked in already", field="stock_in")
    if found.kind not in r.RETURN_KINDS or found.state not in r.AWAITING_RETURN:
        raise r.AfterSalesError(f"{found.number} is {found.state}: only confirmed returns are stocked in",
                                field="stock_in")
    _receive(session, found, r.AWAITING_RETURN, actor, received, warehouse, "return stocked in")
    return found


def stock_in_by_tracking(session: Session, tracking: str, *, actor: str, can_after_sales: bool,
                         received: dict[str, int] | None = None, warehouse: str | None = None) -> AfterSalesOrder:
    """The stock-in page's way: the parcel's return tracking number finds its after-sales order."""
    found = awaiting_return(session, tracking)
    if len(found) != 1:
        what = "no after-sales order waits" if not found else f"{len(found)} after-sales orders wait"
        raise r.AfterSalesError(f"return tracking number: {what} for {tracking.strip()[:40]!r}",
                                field="return_tracking")
    return stock_in(session, found[0].id, actor=actor, can_after_sales=can_after_sales, received=received,
                    warehouse=warehouse)


def _receive(session: Session, found: AfterSalesOrder, from_: str | tuple[str, ...], actor: str,
             received: dict[str, int] | None, warehouse: str | None, reason: str) -> None:
    counts = _received_counts(found, received)
    place = (stock.warehouse_named(session, warehouse) if warehouse else
             session.get(Warehouse, found.warehouse_id) if found.warehouse_id else
             r.left_from(session, found.order_id) or stock.default_warehouse(session))
    assert place is not None
    r.move(session, found, from_, r.RECEIVED_RETURN, actor=actor, reason=f"{reason} into {place.name}",
           action="stocked in", warehouse_id=place.id, stocked_in_by=actor, stocked_in_at=utcnow())
    for item in found.items:
        units = counts.get(item.id, 0)
        if not units:
            continue
        try:
            stock.move(session, warehouse_id=place.id, sku=item.sku, quantity=units, reason="return stock-in",
                       actor=actor, order_id=found.order_id, reference=f"after_sales:{found.id}",
                       key=f"after_sales:{found.id}:item:{item.id}")
        except stock.DuplicateMovement:
            raise r.AfterSalesError(f"{found.number} was stocked in already", field="stock_in") from None
        item.received_quantity = units
    session.flush()


def _received_counts(found: AfterSalesOrder, received: dict[str, int] | None) -> dict[int, int]:
    returned = [i for i in found.items if i.kind == RETURNED]
    if received is None:
        return {i.id: i.quantity for i in returned}
    unknown = set(received) - {i.sku for i in returned}
    if unknown:
        raise r.AfterSalesError(f"received: {sorted(unknown)[0]} is not returned in {found.number}", field="received")
    counts: dict[int, int] = {}
    left = dict(received)
    for item in returned:
        units = min(item.quantity, max(0, left.get(item.sku, 0)))
        counts[item.id] = units
        left[item.sku] = left.get(item.sku, 0) - units
    over = [sku for sku, n in left.items() if n > 0]
    if over or any(n < 0 for n in received.values()):
        raise r.AfterSalesError(f"received: more {over[0] if over else 'units'} than returned, or fewer than 0",
                                field="received")
    if not any(counts.values()):
        raise r.AfterSalesError("received: at least one unit", field="received")
    return counts


# Closing ---------------------------------------------------------------------------------------


def cancel(session: Session, ref: int | str, reason: str, *, actor: str, can_after_sales: bool) -> AfterSalesOrder:
    """Cancel an order not yet stocked in nor refunded, with the reason."""
    r.need(can_after_sales, r.MANUAL_AFTER_SALES)
    found = r.get(session, ref)
    why = r.reason_text(reason, "after-sales order is cancelled")
    if found.state not in r.CANCELLABLE:
        raise r.AfterSalesError(f"{found.number} is {found.state}: only orders not yet stocked in nor refunded "
                                "are cancelled")
    if found.exchange_order_id is not None:
        raise r.AfterSalesError(f"{found.number} has an exchange order: cancel that order first")
    r.move(session, found, found.state, r.CANCELLED, actor=actor, reason=f"cancelled: {why}", action="cancelled")
    return found


def complete_without_refund(session: Session, ref: int | str, reason: str, *, actor: str,
                            can_after_sales: bool) -> AfterSalesOrder:
    """Close an order that needs no refund order (an exchange worth as much as the return, a refund
    paid on the channel); the reason is written to the history."""
    r.need(can_after_sales, r.MANUAL_AFTER_SALES)
    found = r.get(session, ref)
    why = r.reason_text(reason, "after-sales order is completed without a refund")
    if found.state != r.REFUND_FROM[found.kind]:
        raise r.AfterSalesError(f"{found.number} is {found.state}: only orders ready for a refund are completed "
                                "without one")
    r.move(session, found, found.state, r.COMPLETED, actor=actor, reason=f"completed without a refund: {why}",
           action="completed")
    return found


def listing(session: Session, *, state: str | None = None, kind: str | None = None, order_id: int | None = None,
            limit: int = 200) -> list[AfterSalesOrder]:
    """After-sales orders, oldest first, narrowed by list (state), type and order."""
    stmt = select(AfterSalesOrder).order_by(AfterSalesOrder.id).limit(limit)
    if state is not None:
        stmt = stmt.where(AfterSalesOrder.state == state)
    if kind is not None:
        stmt = stmt.where(AfterSalesOrder.kind == kind)
    if order_id is not None:
        stmt = stmt.where(AfterSalesOrder.order_id == order_id)
    return list(session.scalars(stmt))


def counts(session: Session, *, kind: str | None = None) -> dict[str, int]:
    """How many after-sales orders each list holds (every state, 0 for an empty list)."""
    stmt = select(AfterSalesOrder.state, func.count()).group_by(AfterSalesOrder.state)
    if kind is not None:
        stmt = stmt.where(AfterSalesOrder.kind == kind)
    found = {state: int(n) for state, n in session.execute(stmt)}
    return {state: found.get(state, 0) for state in r.STATES}
