"""pending payment confirmations for the shop orders held for their payment before confirmations
existed: a bank transfer (WooCommerce ``bacs``, or any method its channel's
``confirm_payment_methods`` lists) waiting in awaiting_payment gets its pending confirmation, as it
would have had if it were read now. Its body is unchanged, so a pull passes it over
(``sync.ingest_known``) and would never ask for it.

Revision ID: 0018_pending_confirmations
Revises: 0017_supplier_account
Create Date: 2026-11-29 23:00:00
"""
from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision: str = '0018_pending_confirmations'
down_revision: str | None = '0017_supplier_account'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_JSON = sa.JSON().with_variant(JSONB(), "postgresql")
_channels = sa.table("channels", sa.column("id", sa.Integer), sa.column("kind", sa.String),
                     sa.column("role", sa.String), sa.column("settings", _JSON))
_orders = sa.table("orders", sa.column("id", sa.Integer), sa.column("channel_id", sa.Integer),
                   sa.column("status", sa.String), sa.column("raw", _JSON))
_confirmations = sa.table("payment_confirmations", sa.column("order_id", sa.Integer),
                          sa.column("state", sa.String), sa.column("method", sa.String),
                          sa.column("reason", sa.Text), sa.column("created_at", sa.DateTime(timezone=True)))
_messenger = sa.table("messenger_orders", sa.column("order_id", sa.Integer))
#: as ``sync.payment_rules`` reads them (kept here: a migration does not follow later code)
DEFAULT_METHODS = ("bacs",)


def _method(kind: str, body: Any) -> str | None:
    """The payment method as the connector reads it from the stored body."""
    if not isinstance(body, dict):
        return None
    if kind == "woocommerce":
        value = body.get("payment_method")
    else:
        names = body.get("payment_gateway_names")
        value = names[-1] if isinstance(names, list) and names else body.get("gateway")
    return value.strip()[:100] if isinstance(value, str) and value.strip() else None


def upgrade() -> None:
    conn = op.get_bind()
    now = datetime.now(UTC)
    rows = conn.execute(
        sa.select(_orders.c.id, _orders.c.raw, _channels.c.kind, _channels.c.settings)
        .join(_channels, _channels.c.id == _orders.c.channel_id)
        .where(_orders.c.status == "awaiting_payment", _channels.c.role == "channel",
               _channels.c.kind.in_(("woocommerce", "shopify")),
               _orders.c.id.not_in(sa.select(_confirmations.c.order_id)),
               _orders.c.id.not_in(sa.select(_messenger.c.order_id)))
        .order_by(_orders.c.id)).all()
    asked = []
    for order_id, raw, kind, settings in rows:
        listed = (settings or {}).get("confirm_payment_methods")
        methods = {m.strip().casefold() for m in (DEFAULT_METHODS if listed is None else listed) if isinstance(m, str)}
        method = _method(kind, raw)
        if method is not None and method.casefold() in methods:
            asked.append({"order_id": order_id, "state": "pending", "method": method, "reason": "",
                          "created_at": now})
    if asked:
        conn.execute(sa.insert(_confirmations), asked)


def downgrade() -> None:
    pass  # the rows are the confirmations' own: 0016's downgrade drops the table
