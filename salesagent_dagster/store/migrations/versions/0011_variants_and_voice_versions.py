"""A/B variants and learned voice versions on drafts; voice profiles versioned per mailbox

Each draft version records the experiment arms it was written with (`variant`, a mapping of
experiment name to arm) and the voice profile version it used (`voice_version`, 0 = the
default voice). The send ledger points at the draft version it sent, so a send's variant and
voice are recorded with it and never change. `voice_profiles` gains the current version and
`voice_profile_versions` keeps every learned profile (its fields, never the mail it was
learned from).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("drafts") as batch:
        batch.add_column(sa.Column("variant", sa.JSON(), nullable=True))
        batch.add_column(
            sa.Column("voice_version", sa.Integer(), nullable=False, server_default="0")
        )
    with op.batch_alter_table("voice_profiles") as batch:
        batch.add_column(sa.Column("version", sa.Integer(), nullable=False, server_default="0"))
    op.create_table(
        "voice_profile_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("mailbox", sa.String(length=254), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("profile", sa.JSON(), nullable=False),
        sa.Column("learned_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("mailbox", "version"),
    )


def downgrade() -> None:
    op.drop_table("voice_profile_versions")
    with op.batch_alter_table("voice_profiles") as batch:
        batch.drop_column("version")
    with op.batch_alter_table("drafts") as batch:
        batch.drop_column("voice_version")
        batch.drop_column("variant")
