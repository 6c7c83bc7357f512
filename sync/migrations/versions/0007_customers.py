"""customers: codes, addresses, statistics per currency, levels, tiered and wholesale prices

Revision ID: 0007_customers
Revises: 0006_webhooks
Create Date: 2026-11-29 18:27:04.655244
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
import sync.models
from sqlalchemy.dialects import postgresql

revision: str = '0007_customers'
down_revision: str | None = '0006_webhooks'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('counters',
    sa.Column('name', sa.String(length=50), nullable=False),
    sa.Column('value', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_counters'))
    )
    op.create_table('customer_levels',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('created_at', sync.models.UtcDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_customer_levels')),
    sa.UniqueConstraint('name', name=op.f('uq_customer_levels_name'))
    )
    op.create_table('wholesale_prices',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('sku', sa.String(length=100), nullable=False),
    sa.Column('min_quantity', sa.Integer(), nullable=False),
    sa.Column('max_quantity', sa.Integer(), nullable=True),
    sa.Column('price', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_wholesale_prices')),
    sa.UniqueConstraint('sku', 'min_quantity', name=op.f('uq_wholesale_prices_sku'))
    )
    op.create_table('tiered_prices',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('sku', sa.String(length=100), nullable=False),
    sa.Column('level_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('price', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.ForeignKeyConstraint(['level_id'], ['customer_levels.id'], name=op.f('fk_tiered_prices_level_id_customer_levels'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tiered_prices')),
    sa.UniqueConstraint('sku', 'level_id', name=op.f('uq_tiered_prices_sku'))
    )
    with op.batch_alter_table('tiered_prices', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_tiered_prices_level_id'), ['level_id'], unique=False)

    op.create_table('customer_stats',
    sa.Column('customer_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('orders', sa.Integer(), nullable=False),
    sa.Column('spend', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_customer_stats_customer_id_customers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('customer_id', 'currency', name=op.f('pk_customer_stats'))
    )
    with op.batch_alter_table('customers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('customer_code', sa.String(length=30), nullable=True))
        batch_op.add_column(sa.Column('note', sa.Text(), server_default='', nullable=False))
        batch_op.add_column(sa.Column('level_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True))
        batch_op.add_column(sa.Column('addresses', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), server_default='[]', nullable=False))
        batch_op.add_column(sa.Column('first_order_at', sync.models.UtcDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('last_order_at', sync.models.UtcDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('merged_into_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True))
        batch_op.add_column(sa.Column('erased_at', sync.models.UtcDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('created_at', sync.models.UtcDateTime(timezone=True), server_default=sa.func.now(), nullable=False))
        batch_op.alter_column('channel_id',
               existing_type=sa.INTEGER(),
               nullable=True)
        batch_op.alter_column('external_id',
               existing_type=sa.VARCHAR(length=200),
               nullable=True)
        batch_op.create_index(batch_op.f('ix_customers_merged_into_id'), ['merged_into_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_customers_email'), ['email'], unique=False)
        batch_op.create_unique_constraint(batch_op.f('uq_customers_customer_code'), ['customer_code'])
        batch_op.create_foreign_key(batch_op.f('fk_customers_level_id_customer_levels'), 'customer_levels', ['level_id'], ['id'], ondelete='SET NULL')
        batch_op.create_foreign_key(batch_op.f('fk_customers_merged_into_id_customers'), 'customers', ['merged_into_id'], ['id'])

    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_orders_customer_id'), ['customer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_orders_number'), ['number'], unique=False)

    with op.batch_alter_table('shipments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_shipments_tracking_number'), ['tracking_number'], unique=False)
    _backfill()


#: a customer search by part of a name or phone reads an index, not the whole list (sync.customer_list)
TRIGRAM_INDEXES = (
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX ix_customers_name_trgm ON customers USING gin "
    "(lower(COALESCE(first_name, '') || ' ' || COALESCE(last_name, '')) gin_trgm_ops)",
    "CREATE INDEX ix_customers_phone_trgm ON customers USING gin (phone gin_trgm_ops)",
)


def _backfill() -> None:
    """Customers stored before: codes in order of creation, then statistics from their orders."""
    bind = op.get_bind()
    op.execute("""
        UPDATE customers SET customer_code = (
            SELECT 'CN' || substr('00000000' || n.rank, -8, 8) FROM (
                SELECT id, row_number() OVER (ORDER BY created_at, id) AS rank FROM customers) AS n
            WHERE n.id = customers.id)
    """ if bind.dialect.name == "sqlite" else """
        UPDATE customers SET customer_code = 'CN' || lpad(n.rank::text, 8, '0')
        FROM (SELECT id, row_number() OVER (ORDER BY created_at, id) AS rank FROM customers) AS n
        WHERE n.id = customers.id
    """)
    op.execute("INSERT INTO counters (name, value) SELECT 'customer_code', count(*) FROM customers")
    if bind.dialect.name == "postgresql":
        for statement in TRIGRAM_INDEXES:
            op.execute(statement)
        op.execute("CREATE SEQUENCE customer_code_seq OWNED BY customers.customer_code")
        op.execute("SELECT setval('customer_code_seq', GREATEST((SELECT count(*) FROM customers), 1), "
                   "(SELECT count(*) FROM customers) > 0)")
    op.execute("""
        INSERT INTO customer_stats (customer_id, currency, orders, spend)
        SELECT customer_id, currency, count(*), sum(total) FROM orders
        WHERE customer_id IS NOT NULL AND NOT cancelled_on_channel AND NOT is_test
        GROUP BY customer_id, currency
    """)
    op.execute("""
        UPDATE customers SET
            first_order_at = (SELECT min(coalesce(placed_at, created_at)) FROM orders WHERE orders.customer_id = customers.id),
            last_order_at = (SELECT max(coalesce(placed_at, created_at)) FROM orders WHERE orders.customer_id = customers.id)
    """)



def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP SEQUENCE IF EXISTS customer_code_seq")
        op.execute("DROP INDEX IF EXISTS ix_customers_name_trgm")
        op.execute("DROP INDEX IF EXISTS ix_customers_phone_trgm")
    with op.batch_alter_table('shipments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_shipments_tracking_number'))

    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_orders_number'))
        batch_op.drop_index(batch_op.f('ix_orders_customer_id'))

    with op.batch_alter_table('customers', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_customers_merged_into_id_customers'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_customers_level_id_customer_levels'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('uq_customers_customer_code'), type_='unique')
        batch_op.drop_index(batch_op.f('ix_customers_email'))
        batch_op.drop_index(batch_op.f('ix_customers_merged_into_id'))
        batch_op.alter_column('external_id',
               existing_type=sa.VARCHAR(length=200),
               nullable=False)
        batch_op.alter_column('channel_id',
               existing_type=sa.INTEGER(),
               nullable=False)
        batch_op.drop_column('created_at')
        batch_op.drop_column('erased_at')
        batch_op.drop_column('merged_into_id')
        batch_op.drop_column('last_order_at')
        batch_op.drop_column('first_order_at')
        batch_op.drop_column('addresses')
        batch_op.drop_column('level_id')
        batch_op.drop_column('note')
        batch_op.drop_column('customer_code')

    op.drop_table('customer_stats')
    with op.batch_alter_table('tiered_prices', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_tiered_prices_level_id'))

    op.drop_table('tiered_prices')
    op.drop_table('wholesale_prices')
    op.drop_table('customer_levels')
    op.drop_table('counters')
