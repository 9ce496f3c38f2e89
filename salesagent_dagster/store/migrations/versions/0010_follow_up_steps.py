"""follow-up steps: the send ledger and the outbox per lead and step, and the step schedule

Step 0 is the first email (every existing row); follow-ups are 1, 2, ... The ledger's unique
partition key becomes unique (partition key, step); the outbox's primary key likewise.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

# 0001 left these constraints unnamed: Postgres named them itself, and SQLite's batch mode
# finds them by this convention (the reflected constraint has no name there).
_SQLITE_NAMES = {"uq": "uq_%(table_name)s_%(column_0_name)s", "pk": "pk_%(table_name)s"}
_PG_LEDGER_UNIQUE = "send_ledger_partition_key_key"
_PG_OUTBOX_PK = "outbox_pkey"
LEDGER_UNIQUE = "uq_send_ledger_partition_key_step"


def _step_column() -> sa.Column[int]:
    return sa.Column("step", sa.Integer(), nullable=False, server_default="0")


def _outbox_without_primary_key(with_step: bool = False) -> sa.Table:
    return sa.Table(
        "outbox",
        sa.MetaData(),
        sa.Column("partition_key", sa.String(length=40), nullable=False),
        *([_step_column()] if with_step else []),
        sa.Column("draft_version", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.String(length=200), nullable=False),
        sa.Column("raw", sa.Text(), nullable=False),
        sa.Column("thread_id", sa.String(length=64), nullable=True),
        sa.Column("built_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("message_id", name="uq_outbox_message_id"),
    )


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    with op.batch_alter_table(
        "send_ledger", naming_convention=_SQLITE_NAMES if sqlite else None
    ) as batch_op:
        batch_op.add_column(_step_column())
        batch_op.drop_constraint(
            "uq_send_ledger_partition_key" if sqlite else _PG_LEDGER_UNIQUE, type_="unique"
        )
        batch_op.create_unique_constraint(LEDGER_UNIQUE, ["partition_key", "step"])
    # SQLite copies the table; it is described here without 0001's primary key, which the
    # copy replaces (reflecting it would keep partition_key a primary key column).
    with op.batch_alter_table(
        "outbox", copy_from=_outbox_without_primary_key() if sqlite else None
    ) as batch_op:
        batch_op.add_column(_step_column())
        if not sqlite:
            batch_op.drop_constraint(_PG_OUTBOX_PK, type_="primary")
        batch_op.create_primary_key(_PG_OUTBOX_PK, ["partition_key", "step"])
    op.create_table(
        "follow_up_steps",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("partition_key", sa.String(length=40), nullable=False),
        sa.Column("step", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("releases", sa.Integer(), nullable=False),
        sa.Column("scheduled_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("partition_key", "step", name="uq_follow_up_steps_partition_key_step"),
    )
    # The sensor's query: open steps by due time.
    op.create_index("ix_follow_up_steps_state_due_at", "follow_up_steps", ["state", "due_at"])


def downgrade() -> None:
    """Back to one email per lead: follow-up rows are dropped with their schedule."""
    sqlite = op.get_bind().dialect.name == "sqlite"
    op.drop_index("ix_follow_up_steps_state_due_at", table_name="follow_up_steps")
    op.drop_table("follow_up_steps")
    op.execute("DELETE FROM outbox WHERE step <> 0")
    op.execute("DELETE FROM send_ledger WHERE step <> 0")
    with op.batch_alter_table(
        "outbox", copy_from=_outbox_without_primary_key(with_step=True) if sqlite else None
    ) as batch_op:
        if not sqlite:
            batch_op.drop_constraint(_PG_OUTBOX_PK, type_="primary")
        batch_op.drop_column("step")
        batch_op.create_primary_key(_PG_OUTBOX_PK, ["partition_key"])
    with op.batch_alter_table(
        "send_ledger", naming_convention=_SQLITE_NAMES if sqlite else None
    ) as batch_op:
        batch_op.drop_constraint(LEDGER_UNIQUE, type_="unique")
        batch_op.drop_column("step")
        batch_op.create_unique_constraint(
            "uq_send_ledger_partition_key" if sqlite else _PG_LEDGER_UNIQUE, ["partition_key"]
        )
