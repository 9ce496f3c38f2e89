"""send pacing

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("send_locks", schema=None) as batch_op:
        batch_op.add_column(sa.Column("last_send_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("send_locks", schema=None) as batch_op:
        batch_op.drop_column("last_send_at")
