"""lead batch members: which leads a batch run of `process_lead_batch` carries

One row per (batch, lead): the batch's run key, which every run of the batch is tagged with,
and the lead's partition key. Erasure and retention find the batch runs holding a lead's
events through it (DESIGN I-7).

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "lead_batch_members",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("batch_key", sa.String(length=40), nullable=False),
        sa.Column("partition_key", sa.String(length=40), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("batch_key", "partition_key"),
    )
    op.create_index("ix_lead_batch_members_batch_key", "lead_batch_members", ["batch_key"])
    op.create_index("ix_lead_batch_members_partition_key", "lead_batch_members", ["partition_key"])


def downgrade() -> None:
    op.drop_index("ix_lead_batch_members_partition_key", table_name="lead_batch_members")
    op.drop_index("ix_lead_batch_members_batch_key", table_name="lead_batch_members")
    op.drop_table("lead_batch_members")
