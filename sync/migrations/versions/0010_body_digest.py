"""ingest: the digest of each order's body as last stored, so that a re-read of the same body is
passed over before it is parsed

Revision ID: 0010_body_digest
Revises: 0009_messenger
Create Date: 2026-11-29 20:00:00
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0010_body_digest'
down_revision: str | None = '0009_messenger'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # orders stored before have none: their next read is parsed and compared as before
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.add_column(sa.Column('body_digest', sa.String(length=32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.drop_column('body_digest')
