"""alerts: one row per condition operators are told of, and the notices sent for each change

Revision ID: 0005_alerts
Revises: 0004
Create Date: 2026-11-29 18:45:00
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
import sync.models
from sqlalchemy.dialects import postgresql

revision: str = '0005_alerts'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('alerts',
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=50), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('raised_at', sync.models.UtcDateTime(timezone=True), nullable=True),
    sa.Column('cleared_at', sync.models.UtcDateTime(timezone=True), nullable=True),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('details', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_alerts'))
    )
    op.create_table('alert_notices',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('alert_key', sa.String(length=200), nullable=False),
    sa.Column('event', sa.String(length=20), nullable=False),
    sa.Column('destination', sa.String(length=20), nullable=False),
    sa.Column('subject', sa.String(length=300), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('payload', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('created_at', sync.models.UtcDateTime(timezone=True), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('claimed_at', sync.models.UtcDateTime(timezone=True), nullable=True),
    sa.Column('next_try_at', sync.models.UtcDateTime(timezone=True), nullable=True),
    sa.Column('sent_at', sync.models.UtcDateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['alert_key'], ['alerts.key'], name=op.f('fk_alert_notices_alert_key_alerts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_alert_notices'))
    )
    with op.batch_alter_table('alert_notices', schema=None) as batch_op:
        batch_op.create_index('ix_alert_notices_due', ['sent_at', 'next_try_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_alert_notices_alert_key'), ['alert_key'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('alert_notices', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_alert_notices_alert_key'))
        batch_op.drop_index('ix_alert_notices_due')
    op.drop_table('alert_notices')
    op.drop_table('alerts')
