"""payment confirmation for any order: the messenger orders' confirmation columns move to a
table of their own, keyed by order, which channel orders use as well

Revision ID: 0016_payment_confirmations
Revises: 0010_body_digest
Create Date: 2026-11-29 22:00:00
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import sync.models

revision: str = '0016_payment_confirmations'
down_revision: str | None = '0015_messenger_delivery'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('payment_confirmations',
    sa.Column('order_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('method', sa.String(length=100), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('decided_by', sa.String(length=100), nullable=True),
    sa.Column('decided_at', sync.models.UtcDateTime(timezone=True), nullable=True),
    sa.Column('transaction_reference', sa.String(length=100), nullable=True),
    sa.Column('created_at', sync.models.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_payment_confirmations_order_id_orders'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('order_id', name=op.f('pk_payment_confirmations')),
    sa.UniqueConstraint('transaction_reference', name=op.f('uq_payment_confirmations_transaction_reference'))
    )
    with op.batch_alter_table('payment_confirmations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_payment_confirmations_state'), ['state'], unique=False)
    # "none" (no proof needed) is no row
    op.execute(
        "INSERT INTO payment_confirmations (order_id, state, method, reason, decided_by, decided_at, transaction_reference, "
        "created_at) SELECT mo.order_id, mo.payment_state, COALESCE(pm.name, ''), mo.payment_reason, "
        "mo.payment_by, mo.payment_at, mo.transaction_reference, mo.created_at FROM messenger_orders mo "
        "LEFT JOIN payment_methods pm ON pm.id = mo.payment_method_id WHERE mo.payment_state <> 'none'")
    with op.batch_alter_table('messenger_orders', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_messenger_orders_payment_state'))
        batch_op.drop_constraint(batch_op.f('uq_messenger_orders_transaction_reference'), type_='unique')
        batch_op.drop_column('transaction_reference')
        batch_op.drop_column('payment_at')
        batch_op.drop_column('payment_by')
        batch_op.drop_column('payment_reason')
        batch_op.drop_column('payment_state')


def downgrade() -> None:
    with op.batch_alter_table('messenger_orders', schema=None) as batch_op:
        batch_op.add_column(sa.Column('payment_state', sa.String(length=20), nullable=False,
                                      server_default='none'))
        batch_op.add_column(sa.Column('payment_reason', sa.Text(), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('payment_by', sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column('payment_at', sync.models.UtcDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('transaction_reference', sa.String(length=100), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_messenger_orders_transaction_reference'),
                                          ['transaction_reference'])
        batch_op.create_index(batch_op.f('ix_messenger_orders_payment_state'), ['payment_state'], unique=False)
    # channel orders' confirmations have no place to go back to: only the messenger orders' are kept
    op.execute(
        "UPDATE messenger_orders SET payment_state = (SELECT pc.state FROM payment_confirmations pc "
        "WHERE pc.order_id = messenger_orders.order_id), payment_reason = (SELECT pc.reason FROM "
        "payment_confirmations pc WHERE pc.order_id = messenger_orders.order_id), payment_by = (SELECT "
        "pc.decided_by FROM payment_confirmations pc WHERE pc.order_id = messenger_orders.order_id), payment_at = (SELECT "
        "pc.decided_at FROM payment_confirmations pc WHERE pc.order_id = messenger_orders.order_id), "
        "transaction_reference = (SELECT pc.transaction_reference FROM payment_confirmations pc WHERE "
        "pc.order_id = messenger_orders.order_id) WHERE order_id IN (SELECT order_id FROM payment_confirmations)")
    with op.batch_alter_table('payment_confirmations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_payment_confirmations_state'))
    op.drop_table('payment_confirmations')
