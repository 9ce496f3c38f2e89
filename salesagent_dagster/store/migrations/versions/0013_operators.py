"""operators: the review desk's sign-in, and how each reviewer is known

`operators` holds who may sign in to the desk (argon2 hashes, a role); `sign_in_attempts`
the failed sign-ins the desk counts to slow guessing; `desk_keys` the desk's signing key.
`review_decisions.reviewer_kind` says whether the reviewer was signed in, the CLI's OS user
or a name typed into the Launchpad (DESIGN I-13); rows before this migration were typed.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "operators",
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("disabled", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    op.create_table(
        "sign_in_attempts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account", sa.String(length=120), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_sign_in_attempts_account", "sign_in_attempts", ["account"])
    op.create_index("ix_sign_in_attempts_address", "sign_in_attempts", ["address"])
    op.create_index("ix_sign_in_attempts_at", "sign_in_attempts", ["at"])
    op.create_table(
        "desk_keys",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("secret", sa.String(length=128), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    with op.batch_alter_table("review_decisions") as batch:
        batch.add_column(
            sa.Column(
                "reviewer_kind", sa.String(length=16), server_default="declared", nullable=False
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("review_decisions") as batch:
        batch.drop_column("reviewer_kind")
    op.drop_table("desk_keys")
    op.drop_index("ix_sign_in_attempts_at", table_name="sign_in_attempts")
    op.drop_index("ix_sign_in_attempts_address", table_name="sign_in_attempts")
    op.drop_index("ix_sign_in_attempts_account", table_name="sign_in_attempts")
    op.drop_table("sign_in_attempts")
    op.drop_table("operators")
