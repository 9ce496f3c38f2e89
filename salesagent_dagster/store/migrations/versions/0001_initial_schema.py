"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=120), nullable=False),
        sa.Column("action", sa.String(length=60), nullable=False),
        sa.Column("subject", sa.String(length=80), nullable=True),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_log_at"), ["at"], unique=False)
        batch_op.create_index(batch_op.f("ix_audit_log_subject"), ["subject"], unique=False)

    op.create_table(
        "controls",
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("updated_by", sa.String(length=120), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    op.create_table(
        "hubspot_activities",
        sa.Column("partition_key", sa.String(length=40), nullable=False),
        sa.Column("email_engagement_id", sa.String(length=32), nullable=True),
        sa.Column("task_id", sa.String(length=32), nullable=True),
        sa.Column("lead_status_updated", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("partition_key"),
    )
    op.create_table(
        "intake_watermarks",
        sa.Column("form_id", sa.String(length=64), nullable=False),
        sa.Column("newest_submitted_at_ms", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("form_id"),
    )
    op.create_table(
        "outbox",
        sa.Column("partition_key", sa.String(length=40), nullable=False),
        sa.Column("draft_version", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.String(length=200), nullable=False),
        sa.Column("raw", sa.Text(), nullable=False),
        sa.Column("thread_id", sa.String(length=64), nullable=True),
        sa.Column("built_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("partition_key"),
        sa.UniqueConstraint("message_id"),
    )
    op.create_table(
        "safety_results",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("partition_key", sa.String(length=40), nullable=False),
        sa.Column("draft_version", sa.Integer(), nullable=False),
        sa.Column("check_name", sa.String(length=64), nullable=False),
        sa.Column("passed", sa.Boolean(), nullable=False),
        sa.Column("findings", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("safety_results", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_safety_results_partition_key"), ["partition_key"], unique=False
        )

    op.create_table(
        "send_decisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("partition_key", sa.String(length=40), nullable=False),
        sa.Column("draft_version", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("confidence", sa.Float(), nullable=False),
        sa.Column("threshold", sa.Float(), nullable=False),
        sa.Column("rules_fired", sa.JSON(), nullable=False),
        sa.Column("rationale", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("send_decisions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_send_decisions_partition_key"), ["partition_key"], unique=False
        )

    op.create_table(
        "send_ledger",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("partition_key", sa.String(length=40), nullable=False),
        sa.Column("message_id", sa.String(length=200), nullable=False),
        sa.Column("mailbox", sa.String(length=254), nullable=False),
        sa.Column("recipient_hash", sa.String(length=64), nullable=False),
        sa.Column("draft_version", sa.Integer(), nullable=False),
        sa.Column("mode", sa.String(length=10), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("gmail_message_id", sa.String(length=64), nullable=True),
        sa.Column("gmail_thread_id", sa.String(length=64), nullable=True),
        sa.Column("gmail_draft_id", sa.String(length=64), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("message_id"),
        sa.UniqueConstraint("partition_key"),
    )
    with op.batch_alter_table("send_ledger", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_send_ledger_mailbox"), ["mailbox"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_send_ledger_recipient_hash"), ["recipient_hash"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_send_ledger_state"), ["state"], unique=False)

    op.create_table(
        "send_locks",
        sa.Column("mailbox", sa.String(length=254), nullable=False),
        sa.Column("claims", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("mailbox"),
    )
    op.create_table(
        "submissions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("partition_key", sa.String(length=40), nullable=False),
        sa.Column("form_id", sa.String(length=64), nullable=False),
        sa.Column("conversion_id", sa.String(length=128), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("email_hash", sa.String(length=64), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reject_reason", sa.Text(), nullable=True),
        sa.Column("dispatched_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("form_id", "conversion_id"),
        sa.UniqueConstraint("partition_key"),
    )
    with op.batch_alter_table("submissions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_submissions_dispatched_at"), ["dispatched_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_submissions_email_hash"), ["email_hash"], unique=False)
        batch_op.create_index(batch_op.f("ix_submissions_status"), ["status"], unique=False)

    op.create_table(
        "suppressions",
        sa.Column("email_hash", sa.String(length=64), nullable=False),
        sa.Column("reason", sa.String(length=40), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("email_hash"),
    )
    op.create_table(
        "voice_profiles",
        sa.Column("mailbox", sa.String(length=254), nullable=False),
        sa.Column("profile", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("mailbox"),
    )
    op.create_table(
        "leads",
        sa.Column("partition_key", sa.String(length=40), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("email_hash", sa.String(length=64), nullable=True),
        sa.Column("first_name", sa.String(length=80), nullable=False),
        sa.Column("last_name", sa.String(length=80), nullable=False),
        sa.Column("company", sa.String(length=200), nullable=False),
        sa.Column("job_title", sa.String(length=200), nullable=False),
        sa.Column("phone", sa.String(length=40), nullable=False),
        sa.Column("website_domain", sa.String(length=253), nullable=True),
        sa.Column("employees", sa.Integer(), nullable=True),
        sa.Column("country", sa.String(length=80), nullable=False),
        sa.Column("industry", sa.String(length=120), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("qualified", sa.Boolean(), nullable=False),
        sa.Column("status_reason", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["partition_key"],
            ["submissions.partition_key"],
        ),
        sa.PrimaryKeyConstraint("partition_key"),
    )
    with op.batch_alter_table("leads", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_leads_email"), ["email"], unique=False)
        batch_op.create_index(batch_op.f("ix_leads_email_hash"), ["email_hash"], unique=False)

    op.create_table(
        "drafts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("partition_key", sa.String(length=40), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("body_text", sa.Text(), nullable=False),
        sa.Column("template", sa.String(length=40), nullable=False),
        sa.Column("voice_profile", sa.JSON(), nullable=False),
        sa.Column("author", sa.String(length=120), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["partition_key"],
            ["leads.partition_key"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("partition_key", "version"),
    )
    op.create_table(
        "enrichments",
        sa.Column("partition_key", sa.String(length=40), nullable=False),
        sa.Column("hubspot_contact_id", sa.String(length=32), nullable=True),
        sa.Column("hubspot_company_id", sa.String(length=32), nullable=True),
        sa.Column("hubspot_owner_id", sa.String(length=32), nullable=True),
        sa.Column("company_domain", sa.String(length=253), nullable=True),
        sa.Column("domain_verified", sa.Boolean(), nullable=False),
        sa.Column("icp_score", sa.Float(), nullable=False),
        sa.Column("icp_bucket", sa.String(length=2), nullable=False),
        sa.Column("icp_factors", sa.JSON(), nullable=False),
        sa.Column("replied_before", sa.Boolean(), nullable=False),
        sa.Column("known_good", sa.Boolean(), nullable=False),
        sa.Column("mailbox", sa.String(length=254), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["partition_key"],
            ["leads.partition_key"],
        ),
        sa.PrimaryKeyConstraint("partition_key"),
    )


def downgrade() -> None:
    op.drop_table("enrichments")
    op.drop_table("drafts")
    with op.batch_alter_table("leads", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_leads_email_hash"))
        batch_op.drop_index(batch_op.f("ix_leads_email"))

    op.drop_table("leads")
    op.drop_table("voice_profiles")
    op.drop_table("suppressions")
    with op.batch_alter_table("submissions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_submissions_status"))
        batch_op.drop_index(batch_op.f("ix_submissions_email_hash"))
        batch_op.drop_index(batch_op.f("ix_submissions_dispatched_at"))

    op.drop_table("submissions")
    op.drop_table("send_locks")
    with op.batch_alter_table("send_ledger", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_send_ledger_state"))
        batch_op.drop_index(batch_op.f("ix_send_ledger_recipient_hash"))
        batch_op.drop_index(batch_op.f("ix_send_ledger_mailbox"))

    op.drop_table("send_ledger")
    with op.batch_alter_table("send_decisions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_send_decisions_partition_key"))

    op.drop_table("send_decisions")
    with op.batch_alter_table("safety_results", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_safety_results_partition_key"))

    op.drop_table("safety_results")
    op.drop_table("outbox")
    op.drop_table("intake_watermarks")
    op.drop_table("hubspot_activities")
    op.drop_table("controls")
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_log_subject"))
        batch_op.drop_index(batch_op.f("ix_audit_log_at"))

    op.drop_table("audit_log")
