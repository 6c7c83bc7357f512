"""admin at scale: the buyer's search columns on orders, and the indexes the admin's lists,
counts and search use

Revision ID: 0008_admin_indexes
Revises: 0007_customers
Create Date: 2026-11-29 18:40:00
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from sync.search_keys import search_columns

revision: str = '0008_admin_indexes'
down_revision: str | None = '0007_customers'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SEARCH = {"search_name": 200, "search_surname": 200, "search_email": 320, "search_phone": 50}
PENDING = sa.text("status = 'pending_review'")
OPEN = sa.text("closed_at IS NULL")
BATCH = 5000


def _searchable(length: int) -> sa.types.TypeEngine:
    return sa.String(length).with_variant(sa.String(length, collation="C"), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table('orders', schema=None) as batch_op:
        for name, length in SEARCH.items():
            batch_op.add_column(sa.Column(name, _searchable(length), nullable=True))
    _fill_search_columns()
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.drop_index('ix_orders_status_changed')
        batch_op.create_index('ix_orders_status_changed', ['status', 'status_changed_at', 'id'], unique=False)
        batch_op.create_index('ix_orders_pending_review', ['status_changed_at', 'id', 'channel_id'], unique=False,
                              postgresql_where=PENDING, sqlite_where=PENDING)
        batch_op.create_index('ix_orders_pending_review_id', ['id', 'status_changed_at', 'channel_id'],
                              unique=False, postgresql_where=PENDING, sqlite_where=PENDING)
        batch_op.drop_index('ix_orders_number')  # the customers' migration's, on the number alone
        batch_op.create_index('ix_orders_number', ['number', 'id'], unique=False)
        for name in SEARCH:
            batch_op.create_index(f'ix_orders_{name}', [name, 'id'], unique=False)
    with op.batch_alter_table('order_issues', schema=None) as batch_op:
        batch_op.create_index('ix_order_issues_open_code', ['code', 'order_id'], unique=False,
                              postgresql_where=OPEN, sqlite_where=OPEN)
    with op.batch_alter_table('supplier_orders', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_supplier_orders_supplier_order_id'), ['supplier_order_id'],
                              unique=False)
    # shipments.tracking_number is indexed by the customers' migration already


def _fill_search_columns() -> None:
    """The orders already stored get their search columns, derived as ingest derives them."""
    conn = op.get_bind()
    orders = sa.table('orders', sa.column('id', sa.Integer), sa.column('shipping_address', sa.JSON),
                      *(sa.column(name, sa.String) for name in SEARCH))
    update = (orders.update().where(orders.c.id == sa.bindparam('b_id'))
              .values({name: sa.bindparam(f'b_{name}') for name in SEARCH}))
    last = 0
    while True:
        rows = conn.execute(sa.select(orders.c.id, orders.c.shipping_address).where(orders.c.id > last)
                            .order_by(orders.c.id).limit(BATCH)).all()
        if not rows:
            return
        conn.execute(update, [{'b_id': row.id, **{f'b_{k}': v for k, v in search_columns(row.shipping_address).items()}}
                              for row in rows])
        last = rows[-1].id


def downgrade() -> None:
    with op.batch_alter_table('supplier_orders', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_supplier_orders_supplier_order_id'))
    with op.batch_alter_table('order_issues', schema=None) as batch_op:
        batch_op.drop_index('ix_order_issues_open_code')
    with op.batch_alter_table('orders', schema=None) as batch_op:
        for name in SEARCH:
            batch_op.drop_index(f'ix_orders_{name}')
        batch_op.drop_index('ix_orders_number')
        batch_op.create_index('ix_orders_number', ['number'], unique=False)
        batch_op.drop_index('ix_orders_pending_review_id')
        batch_op.drop_index('ix_orders_pending_review')
        batch_op.drop_index('ix_orders_status_changed')
        batch_op.create_index('ix_orders_status_changed', ['status', 'status_changed_at'], unique=False)
        for name in SEARCH:
            batch_op.drop_column(name)
