"""supplier accounts: every sales channel names the supplier account its orders go to (its
``supplier_account`` setting), filled in for the channels stored before with the account they
forwarded to until now (the first enabled supplier account)

Revision ID: 0017_supplier_account
Revises: 0010_body_digest
Create Date: 2026-11-29 21:40:00
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision: str = '0017_supplier_account'
down_revision: str | None = '0016_payment_confirmations'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SETTING = "supplier_account"
_channels = sa.table("channels", sa.column("id", sa.Integer), sa.column("name", sa.String),
                     sa.column("role", sa.String), sa.column("enabled", sa.Boolean),
                     sa.column("settings", sa.JSON().with_variant(JSONB(), "postgresql")))


def upgrade() -> None:
    conn = op.get_bind()
    suppliers = conn.execute(sa.select(_channels.c.name).where(_channels.c.role == "supplier")
                             .order_by(_channels.c.enabled.desc(), _channels.c.id)).scalars().all()
    if not suppliers:
        return  # a channel with none forwards to the only account once one is added
    for channel_id, settings in conn.execute(sa.select(_channels.c.id, _channels.c.settings)
                                             .where(_channels.c.role == "channel")).all():
        if not (settings or {}).get(SETTING):
            conn.execute(sa.update(_channels).where(_channels.c.id == channel_id)
                         .values(settings={**(settings or {}), SETTING: suppliers[0]}))


def downgrade() -> None:
    conn = op.get_bind()
    for channel_id, settings in conn.execute(sa.select(_channels.c.id, _channels.c.settings)
                                             .where(_channels.c.role == "channel")).all():
        if SETTING in (settings or {}):
            conn.execute(sa.update(_channels).where(_channels.c.id == channel_id)
                         .values(settings={k: v for k, v in settings.items() if k != SETTING}))
