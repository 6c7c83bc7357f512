"""messenger orders: logistics (supplier or self delivery), the warehouse a self-delivered order
leaves from, line weights, a revision
for line edits; a shipment typed by hand has no supplier order; products' GTIN

Revision ID: 0015_messenger_delivery
Revises: 0012_stock
Create Date: 2026-11-29 21:45:00
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0015_messenger_delivery'
down_revision: str | None = '0014_after_sales_more'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # orders taken before go through the supplier, as they always did
    with op.batch_alter_table('messenger_orders', schema=None) as batch_op:
        batch_op.add_column(sa.Column('logistics', sa.String(length=20), server_default='supplier', nullable=False))
        batch_op.add_column(sa.Column('warehouse_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'),
                                      nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_messenger_orders_warehouse_id_warehouses'), 'warehouses',
                                    ['warehouse_id'], ['id'])
        batch_op.add_column(sa.Column('revision', sa.Integer(), server_default='0', nullable=False))
    with op.batch_alter_table('order_lines', schema=None) as batch_op:
        batch_op.add_column(sa.Column('weight', sa.Numeric(precision=12, scale=3), nullable=True))
    with op.batch_alter_table('shipments', schema=None) as batch_op:
        batch_op.alter_column('supplier_order_row_id', existing_type=sa.BigInteger().with_variant(sa.Integer(), 'sqlite'),
                              nullable=True)
    with op.batch_alter_table('supplier_products', schema=None) as batch_op:
        batch_op.add_column(sa.Column('gtin', sa.String(length=14), nullable=True))
        batch_op.create_index(batch_op.f('ix_supplier_products_gtin'), ['gtin'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('supplier_products', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_supplier_products_gtin'))
        batch_op.drop_column('gtin')
    op.execute("DELETE FROM shipments WHERE supplier_order_row_id IS NULL")
    with op.batch_alter_table('shipments', schema=None) as batch_op:
        batch_op.alter_column('supplier_order_row_id', existing_type=sa.BigInteger().with_variant(sa.Integer(), 'sqlite'),
                              nullable=False)
    with op.batch_alter_table('order_lines', schema=None) as batch_op:
        batch_op.drop_column('weight')
    with op.batch_alter_table('messenger_orders', schema=None) as batch_op:
        batch_op.drop_column('revision')
        batch_op.drop_constraint(batch_op.f('fk_messenger_orders_warehouse_id_warehouses'), type_='foreignkey')
        batch_op.drop_column('warehouse_id')
        batch_op.drop_column('logistics')
