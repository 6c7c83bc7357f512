"""messenger: payment slips kept through sync.blobs (the database's stored_blobs table, or an
S3-compatible bucket); a slip row names its store and key, and keeps bytes only when older

Revision ID: 0011_proof_storage
Revises: 0010_body_digest
Create Date: 2026-11-29 22:00:00
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import sync.models

revision: str = '0011_proof_storage'
down_revision: str | None = '0010_body_digest'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('stored_blobs',
    sa.Column('key', sa.String(length=250), nullable=False),
    sa.Column('content_type', sa.String(length=50), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', sync.models.UtcDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_stored_blobs'))
    )
    # slips kept before keep their bytes in their row: storage "database", no key
    with op.batch_alter_table('payment_slips', schema=None) as batch_op:
        batch_op.add_column(sa.Column('storage', sa.String(length=20), server_default='database', nullable=False))
        batch_op.add_column(sa.Column('blob_key', sa.String(length=250), nullable=True))
        batch_op.alter_column('data', existing_type=sa.LargeBinary(), nullable=True)


def downgrade() -> None:
    # a slip whose bytes are elsewhere cannot go back into its row: the downgrade refuses then
    conn = op.get_bind()
    elsewhere = conn.execute(sa.text("SELECT count(*) FROM payment_slips WHERE data IS NULL")).scalar()
    if elsewhere:
        raise RuntimeError(f"{elsewhere} payment slip(s) are kept outside their row; they would be lost")
    with op.batch_alter_table('payment_slips', schema=None) as batch_op:
        batch_op.alter_column('data', existing_type=sa.LargeBinary(), nullable=False)
        batch_op.drop_column('blob_key')
        batch_op.drop_column('storage')
    op.drop_table('stored_blobs')
