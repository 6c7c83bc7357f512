"""after-sales: refund proofs kept through sync.blobs like payment slips; a proof row names its
store and key, and keeps bytes only when older

Revision ID: 0014_after_sales_more
Revises: 0013_after_sales
Create Date: 2026-11-29 22:15:00
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0014_after_sales_more'
down_revision: str | None = '0013_after_sales'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # proofs kept before keep their bytes in their row: storage "database", no key
    with op.batch_alter_table('refund_proofs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('storage', sa.String(length=20), server_default='database', nullable=False))
        batch_op.add_column(sa.Column('blob_key', sa.String(length=250), nullable=True))
        batch_op.alter_column('data', existing_type=sa.LargeBinary(), nullable=True)


def downgrade() -> None:
    # a proof whose bytes are elsewhere cannot go back into its row: the downgrade refuses then
    conn = op.get_bind()
    elsewhere = conn.execute(sa.text("SELECT count(*) FROM refund_proofs WHERE data IS NULL")).scalar()
    if elsewhere:
        raise RuntimeError(f"{elsewhere} refund proof(s) are kept outside their row; they would be lost")
    with op.batch_alter_table('refund_proofs', schema=None) as batch_op:
        batch_op.alter_column('data', existing_type=sa.LargeBinary(), nullable=False)
        batch_op.drop_column('blob_key')
        batch_op.drop_column('storage')
