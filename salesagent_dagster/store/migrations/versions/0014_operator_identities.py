"""operator_identities: the review desk's sign-in through an OpenID provider

One row per operator who may sign in with the provider: the email an admin added, and the
provider's subject (`iss`, `sub`) bound at their first sign-in.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "operator_identities",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("operator", sa.String(length=120), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("issuer", sa.String(length=255), nullable=True),
        sa.Column("subject", sa.String(length=255), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("bound_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["operator"], ["operators.name"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("operator"),
        sa.UniqueConstraint("email"),
        sa.UniqueConstraint("issuer", "subject", name="uq_operator_identities_issuer_subject"),
    )


def downgrade() -> None:
    op.drop_table("operator_identities")
