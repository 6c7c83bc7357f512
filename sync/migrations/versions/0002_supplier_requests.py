"""supplier requests, create failures, installation facts

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29 16:20:00
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import sync.models

revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('installation',
    sa.Column('key', sa.String(length=50), nullable=False),
    sa.Column('value', sa.String(length=200), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_installation'))
    )
    op.create_table('supplier_requests',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('order_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('internal_reference', sa.String(length=64), nullable=False),
    sa.Column('lines', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('address', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('created_at', sync.models.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_supplier_requests_order_id_orders'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_supplier_requests')),
    sa.UniqueConstraint('internal_reference', name=op.f('uq_supplier_requests_internal_reference'))
    )
    with op.batch_alter_table('supplier_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_supplier_requests_order_id'), ['order_id'], unique=False)
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.add_column(sa.Column('create_failures', sa.Integer(), nullable=False, server_default='0'))
        batch_op.alter_column('create_failures', server_default=None)
    # An installation that already has orders keeps the prefix its references were made with.
    op.execute("INSERT INTO installation (key, value) SELECT 'reference_prefix', 'OH' "
               "WHERE EXISTS (SELECT 1 FROM orders)")


def downgrade() -> None:
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.drop_column('create_failures')
    with op.batch_alter_table('supplier_requests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_supplier_requests_order_id'))
    op.drop_table('supplier_requests')
    op.drop_table('installation')
