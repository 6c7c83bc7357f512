"""after-sales orders: their items, history, refund orders and refund payment proofs

Revision ID: 0013_after_sales
Revises: 0012_stock
Create Date: 2026-11-29 22:00:00
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
import sync.models


revision: str = '0013_after_sales'
down_revision: str | None = '0012_stock'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('refund_proofs',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('content_type', sa.String(length=50), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.Column('uploaded_at', sync.models.UtcDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_refund_proofs')),
    sa.UniqueConstraint('name', name=op.f('uq_refund_proofs_name'))
    )
    op.create_table('after_sales_orders',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('number', sa.String(length=30), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('state', sa.String(length=30), nullable=False),
    sa.Column('order_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('customer_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('buyer_name', sa.String(length=200), nullable=False),
    sa.Column('buyer_phone', sa.String(length=50), nullable=False),
    sa.Column('buyer_email', sa.String(length=320), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('channel_refund_id', sa.String(length=100), nullable=True),
    sa.Column('return_tracking', sa.String(length=100), nullable=True),
    sa.Column('warehouse_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('returned_amount', sa.Numeric(precision=18, scale=4), nullable=False),
    sa.Column('exchange_amount', sa.Numeric(precision=18, scale=4), nullable=False),
    sa.Column('return_amount', sa.Numeric(precision=18, scale=4), nullable=False),
    sa.Column('exchange_order_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('created_by', sa.String(length=100), nullable=False),
    sa.Column('created_at', sync.models.UtcDateTime(timezone=True), nullable=False),
    sa.Column('stocked_in_by', sa.String(length=100), nullable=True),
    sa.Column('stocked_in_at', sync.models.UtcDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_after_sales_orders_customer_id_customers'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['exchange_order_id'], ['orders.id'], name=op.f('fk_after_sales_orders_exchange_order_id_orders')),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_after_sales_orders_order_id_orders')),
    sa.ForeignKeyConstraint(['warehouse_id'], ['warehouses.id'], name=op.f('fk_after_sales_orders_warehouse_id_warehouses')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_after_sales_orders')),
    sa.UniqueConstraint('exchange_order_id', name=op.f('uq_after_sales_orders_exchange_order_id')),
    sa.UniqueConstraint('number', name=op.f('uq_after_sales_orders_number')),
    sa.UniqueConstraint('order_id', 'channel_refund_id', name=op.f('uq_after_sales_orders_order_id'))
    )
    with op.batch_alter_table('after_sales_orders', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_after_sales_orders_customer_id'), ['customer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_after_sales_orders_order_id'), ['order_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_after_sales_orders_return_tracking'), ['return_tracking'], unique=False)
        batch_op.create_index(batch_op.f('ix_after_sales_orders_state'), ['state'], unique=False)

    op.create_table('after_sales_events',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('after_sales_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('at', sync.models.UtcDateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.String(length=100), nullable=False),
    sa.Column('from_state', sa.String(length=30), nullable=True),
    sa.Column('to_state', sa.String(length=30), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['after_sales_id'], ['after_sales_orders.id'], name=op.f('fk_after_sales_events_after_sales_id_after_sales_orders'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_after_sales_events'))
    )
    with op.batch_alter_table('after_sales_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_after_sales_events_after_sales_id'), ['after_sales_id'], unique=False)

    op.create_table('after_sales_items',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('after_sales_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('order_line_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('sku', sa.String(length=100), nullable=False),
    sa.Column('title', sa.String(length=500), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('unit_price', sa.Numeric(precision=18, scale=4), nullable=False),
    sa.Column('received_quantity', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['after_sales_id'], ['after_sales_orders.id'], name=op.f('fk_after_sales_items_after_sales_id_after_sales_orders'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['order_line_id'], ['order_lines.id'], name=op.f('fk_after_sales_items_order_line_id_order_lines'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_after_sales_items'))
    )
    with op.batch_alter_table('after_sales_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_after_sales_items_after_sales_id'), ['after_sales_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_after_sales_items_order_line_id'), ['order_line_id'], unique=False)

    op.create_table('refund_orders',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('after_sales_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('order_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('amount', sa.Numeric(precision=18, scale=4), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('payment_info', sa.Text(), nullable=False),
    sa.Column('proof_key', sa.String(length=64), nullable=True),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('requested_by', sa.String(length=100), nullable=False),
    sa.Column('requested_at', sync.models.UtcDateTime(timezone=True), nullable=False),
    sa.Column('decided_by', sa.String(length=100), nullable=True),
    sa.Column('decided_at', sync.models.UtcDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['after_sales_id'], ['after_sales_orders.id'], name=op.f('fk_refund_orders_after_sales_id_after_sales_orders'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_refund_orders_order_id_orders')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_refund_orders'))
    )
    with op.batch_alter_table('refund_orders', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_refund_orders_after_sales_id'), ['after_sales_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_refund_orders_order_id'), ['order_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_refund_orders_state'), ['state'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('refund_orders', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_refund_orders_state'))
        batch_op.drop_index(batch_op.f('ix_refund_orders_order_id'))
        batch_op.drop_index(batch_op.f('ix_refund_orders_after_sales_id'))

    op.drop_table('refund_orders')
    with op.batch_alter_table('after_sales_items', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_after_sales_items_order_line_id'))
        batch_op.drop_index(batch_op.f('ix_after_sales_items_after_sales_id'))

    op.drop_table('after_sales_items')
    with op.batch_alter_table('after_sales_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_after_sales_events_after_sales_id'))

    op.drop_table('after_sales_events')
    with op.batch_alter_table('after_sales_orders', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_after_sales_orders_state'))
        batch_op.drop_index(batch_op.f('ix_after_sales_orders_return_tracking'))
        batch_op.drop_index(batch_op.f('ix_after_sales_orders_order_id'))
        batch_op.drop_index(batch_op.f('ix_after_sales_orders_customer_id'))

    op.drop_table('after_sales_orders')
    op.drop_table('refund_proofs')
