"""inbound mail: replies, bounces and auto-replies, their effects, mailbox cursors, known-good

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "inbound_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("mailbox", sa.String(length=254), nullable=False),
        sa.Column("gmail_message_id", sa.String(length=64), nullable=False),
        sa.Column("gmail_thread_id", sa.String(length=64), nullable=True),
        sa.Column("partition_key", sa.String(length=40), nullable=True),
        sa.Column("rfc822_message_id", sa.Text(), nullable=True),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.String(length=64), nullable=False),
        sa.Column("return_on", sa.Date(), nullable=True),
        sa.Column("from_hash", sa.String(length=64), nullable=True),
        sa.Column("bounced_hash", sa.String(length=64), nullable=True),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("body_text", sa.Text(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("effects_done_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("mailbox", "gmail_message_id"),
    )
    for column in ("partition_key", "from_hash", "bounced_hash"):
        op.create_index(f"ix_inbound_messages_{column}", "inbound_messages", [column])
    op.create_table(
        "reply_effects",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("inbound_message_id", sa.Integer(), nullable=False),
        sa.Column("partition_key", sa.String(length=40), nullable=False),
        sa.Column("effect", sa.String(length=32), nullable=False),
        sa.Column("external_id", sa.String(length=64), nullable=True),
        sa.Column("attempted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["inbound_message_id"], ["inbound_messages.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("inbound_message_id", "effect"),
    )
    op.create_index("ix_reply_effects_partition_key", "reply_effects", ["partition_key"])
    op.create_table(
        "mailbox_cursors",
        sa.Column("mailbox", sa.String(length=254), nullable=False),
        sa.Column("history_id", sa.String(length=32), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_resync_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("mailbox"),
    )
    op.create_table(
        "known_good_recipients",
        sa.Column("email_hash", sa.String(length=64), nullable=False),
        sa.Column("source", sa.String(length=40), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("email_hash"),
    )


def downgrade() -> None:
    op.drop_table("known_good_recipients")
    op.drop_table("mailbox_cursors")
    op.drop_index("ix_reply_effects_partition_key", table_name="reply_effects")
    op.drop_table("reply_effects")
    for column in ("bounced_hash", "from_hash", "partition_key"):
        op.drop_index(f"ix_inbound_messages_{column}", table_name="inbound_messages")
    op.drop_table("inbound_messages")
