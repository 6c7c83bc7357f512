"""An operator's choice of shipping method, checked against what the supplier offers for the
order before it is stored: a carrier the supplier does not run for this address and these lines
would only come back as a refusal at forward time.

The supplier is asked between two transactions, never inside one."""

from __future__ import annotations

from collections.abc import Callable

from connectors.base import SupplierConnector
from connectors.errors import ConnectorError
from connectors.records import SupplierOrderRequest
from sync import supplier_accounts
from sync.db import Database
from sync.models import Channel, Order
from sync.request import build_request, remaining_lines
from sync.review import EDITABLE_STATES, ReviewError, set_carrier

SupplierFor = Callable[[Channel], SupplierConnector]


def choose_carrier(db: Database, order_id: int, carrier: str, supplier_for: SupplierFor, *, actor: str,
                   seen: str | None = None) -> str | None:
    """Store the carrier the supplier knows the choice by (its code); an empty choice goes back to
    the account's default. Raises ``ReviewError`` when the supplier does not offer it, ``LostRace``
    when the order's shipping method is no longer ``seen`` (what the operator's form showed)."""
    chosen = carrier.strip()
    if chosen:
        request, supplier = _asked(db, order_id, supplier_for)
        try:
            option = supplier.find_carrier(request, chosen)
        except ConnectorError as exc:
            raise ReviewError(f"the supplier's shipping options could not be read ({exc}): try again",
                              field="carrier") from None
        if option is None:
            raise ReviewError(f"the supplier does not ship order {order_id} with {chosen[:60]!r} "
                              "(to this address, with these products)", field="carrier")
        chosen = option.carrier
    with db.session() as session:
        set_carrier(session, order_id, chosen, actor=actor, seen=seen)
    return chosen or None


def _asked(db: Database, order_id: int, supplier_for: SupplierFor) -> tuple[SupplierOrderRequest, SupplierConnector]:
    """What would be asked of the supplier for this order now, and who to ask."""
    with db.session() as session:
        order = session.get(Order, order_id)
        if order is None:
            raise ReviewError(f"order {order_id} does not exist")
        if order.status not in EDITABLE_STATES:
            raise ReviewError(f"order {order_id} is {order.status}: its shipping method can be changed only while "
                              "it is pending_review or awaiting_payment")
        if not order.shipping_address:
            raise ReviewError(f"order {order_id} has no delivery address yet: set it before the shipping method",
                              field="carrier")
        request = build_request(session, order, order.internal_reference, remaining_lines(session, order))
        return request, supplier_for(supplier_accounts.for_order(session, order_id))
