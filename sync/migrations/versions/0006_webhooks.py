"""webhook deliveries: one row per verified delivery, unique per channel and delivery id

Revision ID: 0006_webhooks
Revises: 0005_alerts
Create Date: 2026-11-29 18:45:00
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
import sync.models

revision: str = '0006_webhooks'
down_revision: str | None = '0005_alerts'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('webhook_deliveries',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('channel_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('delivery_id', sa.String(length=200), nullable=False),
    sa.Column('topic', sa.String(length=100), nullable=False),
    sa.Column('action', sa.String(length=20), nullable=False),
    sa.Column('external_id', sa.String(length=100), nullable=True),
    sa.Column('received_at', sync.models.UtcDateTime(timezone=True), nullable=False),
    sa.Column('processed_at', sync.models.UtcDateTime(timezone=True), nullable=True),
    sa.Column('outcome', sa.String(length=300), nullable=True),
    sa.ForeignKeyConstraint(['channel_id'], ['channels.id'], name=op.f('fk_webhook_deliveries_channel_id_channels'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_webhook_deliveries')),
    sa.UniqueConstraint('channel_id', 'delivery_id', name=op.f('uq_webhook_deliveries_channel_id'))
    )
    with op.batch_alter_table('webhook_deliveries', schema=None) as batch_op:
        batch_op.create_index('ix_webhook_deliveries_channel_received', ['channel_id', 'received_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_webhook_deliveries_processed_at'), ['processed_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('webhook_deliveries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_webhook_deliveries_processed_at'))
        batch_op.drop_index('ix_webhook_deliveries_channel_received')
    op.drop_table('webhook_deliveries')
