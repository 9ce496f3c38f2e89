"""hubspot create attempts

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("hubspot_activities", schema=None) as batch_op:
        batch_op.add_column(sa.Column("email_attempted_at", sa.DateTime(timezone=True)))
        batch_op.add_column(sa.Column("task_attempted_at", sa.DateTime(timezone=True)))


def downgrade() -> None:
    with op.batch_alter_table("hubspot_activities", schema=None) as batch_op:
        batch_op.drop_column("task_attempted_at")
        batch_op.drop_column("email_attempted_at")
