"""messenger orders: payment methods, links, slips, payment confirmation

Revision ID: 0009_messenger
Revises: 0008_admin_indexes
Create Date: 2026-11-29 19:46:29.406112
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
import sync.models


revision: str = '0009_messenger'
down_revision: str | None = '0008_admin_indexes'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('payment_methods',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('instructions', sa.Text(), nullable=False),
    sa.Column('needs_proof', sa.Boolean(), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payment_methods')),
    sa.UniqueConstraint('name', name=op.f('uq_payment_methods_name'))
    )
    op.create_table('messenger_links',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('order_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sync.models.UtcDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sync.models.UtcDateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sync.models.UtcDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_messenger_links_order_id_orders'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_messenger_links')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_messenger_links_token_hash'))
    )
    with op.batch_alter_table('messenger_links', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_messenger_links_order_id'), ['order_id'], unique=False)

    op.create_table('messenger_orders',
    sa.Column('order_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('state', sa.String(length=30), nullable=False),
    sa.Column('void_reason', sa.Text(), nullable=False),
    sa.Column('payment_method_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('payment_state', sa.String(length=20), nullable=False),
    sa.Column('payment_reason', sa.Text(), nullable=False),
    sa.Column('payment_by', sa.String(length=100), nullable=True),
    sa.Column('payment_at', sync.models.UtcDateTime(timezone=True), nullable=True),
    sa.Column('transaction_reference', sa.String(length=100), nullable=True),
    sa.Column('submitted_at', sync.models.UtcDateTime(timezone=True), nullable=True),
    sa.Column('created_by', sa.String(length=100), nullable=False),
    sa.Column('created_at', sync.models.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_messenger_orders_order_id_orders'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['payment_method_id'], ['payment_methods.id'], name=op.f('fk_messenger_orders_payment_method_id_payment_methods')),
    sa.PrimaryKeyConstraint('order_id', name=op.f('pk_messenger_orders')),
    sa.UniqueConstraint('transaction_reference', name=op.f('uq_messenger_orders_transaction_reference'))
    )
    with op.batch_alter_table('messenger_orders', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_messenger_orders_payment_state'), ['payment_state'], unique=False)
        batch_op.create_index(batch_op.f('ix_messenger_orders_state'), ['state'], unique=False)

    op.create_table('payment_slips',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('order_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('content_type', sa.String(length=50), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.Column('uploaded_at', sync.models.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_payment_slips_order_id_orders'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payment_slips')),
    sa.UniqueConstraint('name', name=op.f('uq_payment_slips_name'))
    )
    with op.batch_alter_table('payment_slips', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_payment_slips_order_id'), ['order_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('payment_slips', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_payment_slips_order_id'))

    op.drop_table('payment_slips')
    with op.batch_alter_table('messenger_orders', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_messenger_orders_state'))
        batch_op.drop_index(batch_op.f('ix_messenger_orders_payment_state'))

    op.drop_table('messenger_orders')
    with op.batch_alter_table('messenger_links', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_messenger_links_order_id'))

    op.drop_table('messenger_links')
    op.drop_table('payment_methods')
