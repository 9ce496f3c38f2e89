"""learning records: the threshold learner's proposals and changes, and stopped experiment arms

`threshold_changes` keeps every weekly proposal of the auto-approve threshold learner, applied
or only shadowed, with the figures behind it; the newest applied row is the learned threshold.
`experiment_arm_stops` names the arms an experiment stopped (unsubscribe or negative rate over
its bound): new leads are no longer assigned to them.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "threshold_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("proposed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("mode", sa.String(length=10), nullable=False),
        sa.Column("previous_threshold", sa.Float(), nullable=False),
        sa.Column("proposed_threshold", sa.Float(), nullable=False),
        sa.Column("applied", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("figures", sa.JSON(), nullable=False),
        sa.Column("actor", sa.String(length=120), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_threshold_changes_proposed_at", "threshold_changes", ["proposed_at"])
    op.create_table(
        "experiment_arm_stops",
        sa.Column("experiment", sa.String(length=80), nullable=False),
        sa.Column("arm", sa.String(length=80), nullable=False),
        sa.Column("stopped_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("figures", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("experiment", "arm"),
    )


def downgrade() -> None:
    op.drop_table("experiment_arm_stops")
    op.drop_index("ix_threshold_changes_proposed_at", table_name="threshold_changes")
    op.drop_table("threshold_changes")
