"""send deferrals and circuit breakers

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "circuit_breakers",
        sa.Column("service", sa.String(length=40), nullable=False),
        sa.Column("position", sa.String(length=12), nullable=False),
        sa.Column("consecutive_failures", sa.Integer(), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("service"),
    )
    op.create_table(
        "send_deferrals",
        sa.Column("partition_key", sa.String(length=40), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("deferrals", sa.Integer(), nullable=False),
        sa.Column("first_deferred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("partition_key"),
    )
    with op.batch_alter_table("send_deferrals", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_send_deferrals_next_attempt_at"), ["next_attempt_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("send_deferrals", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_send_deferrals_next_attempt_at"))

    op.drop_table("send_deferrals")
    op.drop_table("circuit_breakers")
