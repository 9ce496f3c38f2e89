"""Tables of the app DB. PII lives here and nowhere else in the system (DESIGN I-6).

Timestamps are timezone-aware UTC. Every per-lead table is keyed by the opaque partition
key, so retention and erasure can delete a lead's rows table by table.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    Dialect,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy import DateTime as _SqlDateTime
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator


def utc_now() -> datetime:
    return datetime.now(UTC)


class DateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC on every backend: SQLite stores naive values, so we re-attach UTC
    on the way out and refuse naive values on the way in."""

    impl = _SqlDateTime
    cache_ok = True

    def __init__(self, timezone: bool = True) -> None:
        super().__init__(timezone=timezone)

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the app DB; use UTC-aware datetimes")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None or value.tzinfo is not None:
            return value
        return value.replace(tzinfo=UTC)


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON}


class Submission(Base):
    """The inbox: every submission the sensor saw, accepted or rejected (DESIGN I-9)."""

    __tablename__ = "submissions"
    __table_args__ = (UniqueConstraint("form_id", "conversion_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    partition_key: Mapped[str] = mapped_column(String(40), unique=True)
    form_id: Mapped[str] = mapped_column(String(64))
    conversion_id: Mapped[str] = mapped_column(String(128))
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utc_now)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    # Salted hash of the normalised address, when it parses: lets intake order duplicates.
    email_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    status: Mapped[str] = mapped_column(String(16), index=True)  # accepted | rejected
    reject_reason: Mapped[str | None] = mapped_column(Text)
    # Set once Dagster holds a run for it; until then every sensor tick asks again.
    dispatched_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), index=True)


class IntakeWatermark(Base):
    """How far back each form's submissions have been read (the HubSpot side's cursor)."""

    __tablename__ = "intake_watermarks"

    form_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    newest_submitted_at_ms: Mapped[int] = mapped_column(BigInteger)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utc_now, onupdate=utc_now
    )


class Lead(Base):
    __tablename__ = "leads"

    partition_key: Mapped[str] = mapped_column(
        String(40), ForeignKey("submissions.partition_key"), primary_key=True
    )
    email: Mapped[str | None] = mapped_column(String(254), index=True)
    email_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    first_name: Mapped[str] = mapped_column(String(80), default="")
    last_name: Mapped[str] = mapped_column(String(80), default="")
    company: Mapped[str] = mapped_column(String(200), default="")
    job_title: Mapped[str] = mapped_column(String(200), default="")
    phone: Mapped[str] = mapped_column(String(40), default="")
    website_domain: Mapped[str | None] = mapped_column(String(253))
    employees: Mapped[int | None] = mapped_column(Integer)
    country: Mapped[str] = mapped_column(String(80), default="")
    industry: Mapped[str] = mapped_column(String(120), default="")
    message: Mapped[str] = mapped_column(Text, default="")
    qualified: Mapped[bool] = mapped_column(Boolean)
    status_reason: Mapped[str] = mapped_column(Text)
    # `suspicious_input` findings on the submission ({rule, kind, where}, never a value): I-11.
    input_findings: Mapped[list[Any] | None] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utc_now)


class Enrichment(Base):
    __tablename__ = "enrichments"

    partition_key: Mapped[str] = mapped_column(
        String(40), ForeignKey("leads.partition_key"), primary_key=True
    )
    hubspot_contact_id: Mapped[str | None] = mapped_column(String(32))
    hubspot_company_id: Mapped[str | None] = mapped_column(String(32))
    hubspot_owner_id: Mapped[str | None] = mapped_column(String(32))
    company_domain: Mapped[str | None] = mapped_column(String(253))
    domain_verified: Mapped[bool] = mapped_column(Boolean, default=False)
    icp_score: Mapped[float] = mapped_column(Float)
    icp_bucket: Mapped[str] = mapped_column(String(2))
    icp_factors: Mapped[dict[str, Any]] = mapped_column(JSON)
    replied_before: Mapped[bool] = mapped_column(Boolean, default=False)
    # Their latest mail to the rep, which our answer threads onto (Gmail threadId + headers).
    reply_thread_id: Mapped[str | None] = mapped_column(String(64))
    reply_message_id: Mapped[str | None] = mapped_column(Text)
    reply_subject: Mapped[str | None] = mapped_column(Text)
    reply_references: Mapped[list[Any] | None] = mapped_column(JSON, default=list)
    known_good: Mapped[bool] = mapped_column(Boolean, default=False)
    mailbox: Mapped[str] = mapped_column(String(254))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utc_now)


class Draft(Base):
    """Every version of a lead's email; operator edits add a version, never overwrite."""

    __tablename__ = "drafts"
    __table_args__ = (UniqueConstraint("partition_key", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    partition_key: Mapped[str] = mapped_column(String(40), ForeignKey("leads.partition_key"))
    version: Mapped[int] = mapped_column(Integer)
    subject: Mapped[str] = mapped_column(Text)
    body_text: Mapped[str] = mapped_column(Text)
    template: Mapped[str] = mapped_column(String(40))
    voice_profile: Mapped[dict[str, Any]] = mapped_column(JSON)
    # The experiment arms this version was written with: {experiment name: arm name}.
    variant: Mapped[dict[str, str] | None] = mapped_column(JSON)
    # The learned voice profile version used (0: the default voice, nothing learned yet).
    voice_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    author: Mapped[str] = mapped_column(String(120))  # "agent" or the operator's name
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utc_now)


class SafetyResult(Base):
    __tablename__ = "safety_results"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    partition_key: Mapped[str] = mapped_column(String(40), index=True)
    draft_version: Mapped[int] = mapped_column(Integer)
    check_name: Mapped[str] = mapped_column(String(64))
    passed: Mapped[bool] = mapped_column(Boolean)
    findings: Mapped[list[Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utc_now)


class SendDecision(Base):
    __tablename__ = "send_decisions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    partition_key: Mapped[str] = mapped_column(String(40), index=True)
    draft_version: Mapped[int] = mapped_column(Integer)
    outcome: Mapped[str] = mapped_column(String(20))
    confidence: Mapped[float] = mapped_column(Float)
    threshold: Mapped[float] = mapped_column(Float)
    rules_fired: Mapped[list[Any]] = mapped_column(JSON)
    rationale: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utc_now)


class ReviewDecision(Base):
    """An operator's approve, edit or reject of one draft version: who, when, what, why
    (DESIGN I-8). Rows are only ever added; the draft they judged stays as it was."""

    __tablename__ = "review_decisions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    partition_key: Mapped[str] = mapped_column(String(40), index=True)
    action: Mapped[str] = mapped_column(String(16))  # approve | edit | reject
    reviewer: Mapped[str] = mapped_column(String(120))
    reason: Mapped[str] = mapped_column(Text)
    draft_version: Mapped[int] = mapped_column(Integer)  # the version approved or rejected
    overridden_rules: Mapped[list[Any]] = mapped_column(JSON, default=list)
    # How the reviewer is known (DESIGN I-13): signed_in (the desk's authenticated operator),
    # os_user (the CLI's login) or declared (a name typed into the Launchpad).
    reviewer_kind: Mapped[str] = mapped_column(
        String(16), default="declared", server_default="declared"
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utc_now)


class SendLedgerEntry(Base):
    """One row per lead and step (DESIGN I-1; step 0 is the first email, 1.. the follow-ups):
    claimed as `sending` before Gmail is called, so no path can call Gmail twice for the same
    email without seeing this row."""

    __tablename__ = "send_ledger"
    __table_args__ = (
        UniqueConstraint("partition_key", "step", name="uq_send_ledger_partition_key_step"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    partition_key: Mapped[str] = mapped_column(String(40))
    step: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    message_id: Mapped[str] = mapped_column(String(200), unique=True)
    mailbox: Mapped[str] = mapped_column(String(254), index=True)
    recipient_hash: Mapped[str] = mapped_column(String(64), index=True)
    draft_version: Mapped[int] = mapped_column(Integer)
    mode: Mapped[str] = mapped_column(String(10))  # send | draft
    state: Mapped[str] = mapped_column(String(20), index=True)
    gmail_message_id: Mapped[str | None] = mapped_column(String(64))
    gmail_thread_id: Mapped[str | None] = mapped_column(String(64))
    gmail_draft_id: Mapped[str | None] = mapped_column(String(64))
    last_error: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    claimed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utc_now)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utc_now, onupdate=utc_now
    )


class OutboxMessage(Base):
    """The MIME message built for a lead's approved draft (step 0) or a follow-up step, kept
    so every attempt (and every reconciliation) uses the same Message-ID."""

    __tablename__ = "outbox"

    partition_key: Mapped[str] = mapped_column(String(40), primary_key=True)
    step: Mapped[int] = mapped_column(Integer, primary_key=True, default=0, server_default="0")
    draft_version: Mapped[int] = mapped_column(Integer)
    message_id: Mapped[str] = mapped_column(String(200), unique=True)
    raw: Mapped[str] = mapped_column(Text)  # base64url RFC 822, as Gmail takes it
    thread_id: Mapped[str | None] = mapped_column(String(64))
    built_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utc_now)


class FollowUpStepRow(Base):
    """One follow-up step of one lead: when it is due and what became of it. The step after
    is scheduled only once this one is delivered, so the sensor's query is one index range.

    state: pending (waiting for `due_at`) | released (a run was requested) | sent | drafted
    | skipped (a gate refused it: `reason`) | cancelled (reply, opt-out, rejection, erasure:
    `reason`). `reason` is a rule or an event name, never text from a person (I-6).
    """

    __tablename__ = "follow_up_steps"
    __table_args__ = (
        UniqueConstraint("partition_key", "step", name="uq_follow_up_steps_partition_key_step"),
        Index("ix_follow_up_steps_state_due_at", "state", "due_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    partition_key: Mapped[str] = mapped_column(String(40))
    step: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(16))
    due_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    reason: Mapped[str] = mapped_column(Text, default="")
    # How often the step was released: a step parked (kill switch, limits) and released
    # again gets a new run key, a step released once never a second run.
    releases: Mapped[int] = mapped_column(Integer, default=0)
    scheduled_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utc_now)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utc_now, onupdate=utc_now
    )


class SendLock(Base):
    """One row per mailbox, updated as the first statement of every send claim: the row lock
    (Postgres) or write lock (SQLite) serialises claims, so limit counts cannot race."""

    __tablename__ = "send_locks"

    mailbox: Mapped[str] = mapped_column(String(254), primary_key=True)
    claims: Mapped[int] = mapped_column(Integer, default=0)
    # When the last real send was claimed: paces sends under Gmail's per-user quota.
    last_send_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class HubSpotActivity(Base):
    """What we logged back to HubSpot for a lead, so a re-run logs nothing twice."""

    __tablename__ = "hubspot_activities"

    partition_key: Mapped[str] = mapped_column(String(40), primary_key=True)
    email_engagement_id: Mapped[str | None] = mapped_column(String(32))
    task_id: Mapped[str | None] = mapped_column(String(32))
    # Set before each create call: an id still missing after it means "look it up first".
    email_attempted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    task_attempted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    lead_status_updated: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utc_now, onupdate=utc_now
    )


class Suppression(Base):
    """Salted hashes of addresses we must never write to again."""

    __tablename__ = "suppressions"

    email_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    reason: Mapped[str] = mapped_column(String(40))  # unsubscribed | erased | bounced | manual
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utc_now)


class VoiceProfileRow(Base):
    __tablename__ = "voice_profiles"

    mailbox: Mapped[str] = mapped_column(String(254), primary_key=True)
    profile: Mapped[dict[str, Any]] = mapped_column(JSON)
    version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utc_now, onupdate=utc_now
    )


class VoiceProfileVersion(Base):
    """Every voice profile learned for a mailbox: its fields, never the mail behind them."""

    __tablename__ = "voice_profile_versions"
    __table_args__ = (UniqueConstraint("mailbox", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    mailbox: Mapped[str] = mapped_column(String(254))
    version: Mapped[int] = mapped_column(Integer)
    profile: Mapped[dict[str, Any]] = mapped_column(JSON)
    learned_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utc_now)


class ThresholdChange(Base):
    """One weekly proposal of the threshold learner, applied or only shadowed, with the
    figures it read; the newest applied row is the learned auto-approve threshold."""

    __tablename__ = "threshold_changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    proposed_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utc_now, index=True
    )
    mode: Mapped[str] = mapped_column(String(10))  # shadow | live
    previous_threshold: Mapped[float] = mapped_column(Float)
    proposed_threshold: Mapped[float] = mapped_column(Float)
    applied: Mapped[bool] = mapped_column(Boolean)
    reason: Mapped[str] = mapped_column(Text)
    figures: Mapped[dict[str, Any]] = mapped_column(JSON)
    actor: Mapped[str] = mapped_column(String(120))


class ExperimentArmStop(Base):
    """An experiment arm stopped for harm (unsubscribe or negative rate over its bound)."""

    __tablename__ = "experiment_arm_stops"

    experiment: Mapped[str] = mapped_column(String(80), primary_key=True)
    arm: Mapped[str] = mapped_column(String(80), primary_key=True)
    stopped_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utc_now)
    reason: Mapped[str] = mapped_column(Text)
    figures: Mapped[dict[str, Any]] = mapped_column(JSON)


class AuditEvent(Base):
    """Who did what, when and why. Subjects are partition keys or hashes, never addresses."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utc_now, index=True)
    actor: Mapped[str] = mapped_column(String(120))
    action: Mapped[str] = mapped_column(String(60))
    subject: Mapped[str | None] = mapped_column(String(80), index=True)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class Control(Base):
    """Switches operators flip at run time (the kill switch), with who and why."""

    __tablename__ = "controls"

    name: Mapped[str] = mapped_column(String(60), primary_key=True)
    enabled: Mapped[bool] = mapped_column(Boolean)
    reason: Mapped[str] = mapped_column(Text, default="")
    updated_by: Mapped[str] = mapped_column(String(120))
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utc_now, onupdate=utc_now
    )


class SendDeferral(Base):
    """An approved lead held back by a send limit; picked up again when its window allows."""

    __tablename__ = "send_deferrals"

    partition_key: Mapped[str] = mapped_column(String(40), primary_key=True)
    reason: Mapped[str] = mapped_column(Text)
    deferrals: Mapped[int] = mapped_column(Integer, default=1)
    first_deferred_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utc_now)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)


class CircuitBreakerRow(Base):
    """Shared breaker state per external service: every run worker reads and writes it."""

    __tablename__ = "circuit_breakers"

    service: Mapped[str] = mapped_column(String(40), primary_key=True)
    position: Mapped[str] = mapped_column(String(12))
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)
    opened_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class ConnectedMailbox(Base):
    """A rep's Gmail mailbox beyond the default one, with its refresh token encrypted at rest
    (Fernet, key from SALESAGENT_TOKEN_KEY). A revoked grant flips the status; sending from
    it stops until the rep reconnects."""

    __tablename__ = "mailboxes"

    address: Mapped[str] = mapped_column(String(254), primary_key=True)
    display_name: Mapped[str] = mapped_column(String(120), default="")
    refresh_token_encrypted: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(24))  # connected | reconnect_required
    connected_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utc_now)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utc_now, onupdate=utc_now
    )


class InboundMessage(Base):
    """Mail that reached one of our mailboxes after we wrote: a reply, an auto-reply, a bounce,
    an unsubscribe, or something we could not match or read (`reason` says which rule).

    `partition_key` is the lead it answers, NULL when it matches no send of ours. The sender
    is kept as a salted hash only (`from_hash`; `bounced_hash` is a DSN's Final-Recipient), so
    erasure finds unmatched rows by hash. Subject and body are PII and live here only (I-6),
    capped (store.inbound_mail.TEXT_CAP).
    """

    __tablename__ = "inbound_messages"
    __table_args__ = (UniqueConstraint("mailbox", "gmail_message_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    mailbox: Mapped[str] = mapped_column(String(254))
    gmail_message_id: Mapped[str] = mapped_column(String(64))
    gmail_thread_id: Mapped[str | None] = mapped_column(String(64))
    partition_key: Mapped[str | None] = mapped_column(String(40), index=True)
    rfc822_message_id: Mapped[str | None] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(20))  # a ReplyKind, or `unreadable` | `ignored`
    reason: Mapped[str] = mapped_column(String(64))  # a rule name, never text from the mail
    return_on: Mapped[date | None] = mapped_column(Date)
    from_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    bounced_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    subject: Mapped[str] = mapped_column(Text, default="")
    body_text: Mapped[str] = mapped_column(Text, default="")
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utc_now)
    effects_done_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class ReplyEffect(Base):
    """One effect of one inbound message (suppression, HubSpot email, HubSpot task,
    known-good), recorded so a retry or re-run does not repeat it. `attempted_at` is set
    before an external create: an id still missing after it means "look it up first"."""

    __tablename__ = "reply_effects"
    __table_args__ = (UniqueConstraint("inbound_message_id", "effect"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    inbound_message_id: Mapped[int] = mapped_column(Integer, ForeignKey("inbound_messages.id"))
    partition_key: Mapped[str] = mapped_column(String(40), index=True)
    effect: Mapped[str] = mapped_column(String(32))
    external_id: Mapped[str | None] = mapped_column(String(64))
    attempted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    done_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class MailboxCursor(Base):
    """How far each mailbox's Gmail history has been read (a uint64 historyId, as text)."""

    __tablename__ = "mailbox_cursors"

    mailbox: Mapped[str] = mapped_column(String(254), primary_key=True)
    history_id: Mapped[str] = mapped_column(String(32))
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utc_now, onupdate=utc_now
    )
    last_resync_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class KnownGoodRecipient(Base):
    """Salted hashes of people who answered us well: the approval rules' known-good check
    reads them beside SALESAGENT_KNOWN_GOOD."""

    __tablename__ = "known_good_recipients"

    email_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    source: Mapped[str] = mapped_column(String(40))  # positive_reply | ...
    added_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utc_now)


class Operator(Base):
    """Someone who may sign in to the review desk; the password as an argon2 hash only."""

    __tablename__ = "operators"

    name: Mapped[str] = mapped_column(String(120), primary_key=True)
    role: Mapped[str] = mapped_column(String(16))  # viewer | reviewer | admin
    password_hash: Mapped[str] = mapped_column(String(255))
    disabled: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utc_now)


class OperatorIdentity(Base):
    """An operator's account at the desk's OpenID provider: who may sign in through it.

    An admin adds the email (`salesagent operators add --oidc-email`); the first sign-in
    binds the provider's subject (`iss` + `sub`, which never change for that account, where
    an address can be given to someone else), and from then on only that subject signs in
    as this operator."""

    __tablename__ = "operator_identities"
    __table_args__ = (
        UniqueConstraint("issuer", "subject", name="uq_operator_identities_issuer_subject"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    operator: Mapped[str] = mapped_column(
        String(120), ForeignKey("operators.name", ondelete="CASCADE"), unique=True
    )
    email: Mapped[str] = mapped_column(String(254), unique=True)  # lower-cased
    issuer: Mapped[str | None] = mapped_column(String(255), nullable=True)
    subject: Mapped[str | None] = mapped_column(String(255), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utc_now)
    bound_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class SignInAttempt(Base):
    """Failed sign-ins, counted per account and per address to slow guessing down."""

    __tablename__ = "sign_in_attempts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account: Mapped[str] = mapped_column(String(120), index=True)
    address: Mapped[str] = mapped_column(String(64), index=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utc_now, index=True)


class DeskKey(Base):
    """The desk's signing key, made on first use and shared through the app DB by every edge
    process and the review job (sessions, CSRF and identity proofs)."""

    __tablename__ = "desk_keys"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    secret: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utc_now)


class LeadBatchMember(Base):
    """A lead carried by a batch run of `process_lead_batch`: the batch's run key (its tag
    on every run of the batch) and the lead. Erasure and retention find a lead's batch runs
    through it; the row goes with the lead's other rows, so a batch whose members have all
    gone is known to hold no one any more (DESIGN I-7)."""

    __tablename__ = "lead_batch_members"
    __table_args__ = (UniqueConstraint("batch_key", "partition_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    batch_key: Mapped[str] = mapped_column(String(40), index=True)
    partition_key: Mapped[str] = mapped_column(String(40), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utc_now)
