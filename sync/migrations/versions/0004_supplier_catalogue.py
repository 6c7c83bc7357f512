"""supplier catalogue: supplier products with stock, the source of each SKU mapping, and
failed look-ups of manual references

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29 16:30:00
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
import sync.models

revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('supplier_products',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('supplier_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('sku', sa.String(length=100), nullable=False),
    sa.Column('product_id', sa.String(length=50), nullable=False),
    sa.Column('variation_id', sa.String(length=50), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('stock', sa.Integer(), nullable=False),
    sa.Column('cost', sa.Numeric(precision=14, scale=2), nullable=True),
    sa.Column('seen_at', sync.models.UtcDateTime(timezone=True), nullable=False),
    sa.Column('stock_at', sync.models.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['supplier_id'], ['channels.id'], name=op.f('fk_supplier_products_supplier_id_channels'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_supplier_products')),
    sa.UniqueConstraint('supplier_id', 'sku', name=op.f('uq_supplier_products_supplier_id'))
    )
    with op.batch_alter_table('supplier_products', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_supplier_products_sku'), ['sku'], unique=False)
    with op.batch_alter_table('catalogue', schema=None) as batch_op:
        batch_op.add_column(sa.Column('source', sa.String(length=20), server_default='supplier', nullable=False))
    with op.batch_alter_table('supplier_orders', schema=None) as batch_op:
        batch_op.add_column(sa.Column('lookup_failures', sa.Integer(), server_default='0', nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('supplier_orders', schema=None) as batch_op:
        batch_op.drop_column('lookup_failures')
    with op.batch_alter_table('catalogue', schema=None) as batch_op:
        batch_op.drop_column('source')
    with op.batch_alter_table('supplier_products', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_supplier_products_sku'))
    op.drop_table('supplier_products')
