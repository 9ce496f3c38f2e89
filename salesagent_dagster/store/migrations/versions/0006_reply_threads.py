"""reply threads on enrichments

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("enrichments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reply_thread_id", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("reply_message_id", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("reply_subject", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("reply_references", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("enrichments", schema=None) as batch_op:
        for column in ("reply_references", "reply_subject", "reply_message_id", "reply_thread_id"):
            batch_op.drop_column(column)
