"""The app DB's facts the analytics warehouse is built from: what changed, and the rows.

Columns are chosen here, so nothing personal is ever read for the warehouse: no address,
name, company, subject or body (DESIGN I-6). Hashing the ids that are not opaque (mailbox
addresses) is the export's job (services/warehouse/export.py).

Incremental by lead: every per-lead table's change time is checked, and a lead that changed
anywhere is exported whole (all its rows in every table), so rows that went away within a
lead (a re-run's replaced decision) go away in the warehouse too.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, union
from sqlalchemy.orm import Session

from salesagent_dagster.store.models import (
    Draft,
    Enrichment,
    FollowUpStepRow,
    InboundMessage,
    Lead,
    ReviewDecision,
    SendDecision,
    SendLedgerEntry,
    Submission,
    Suppression,
)

Row = dict[str, Any]
# Suppressions of erased people are not facts about outreach: exporting their hash would put
# back into the warehouse the one trace of the person that erasure just removed from it.
UNEXPORTED_SUPPRESSION_REASONS = ("erased",)


def changed_lead_keys(session: Session, since: datetime | None) -> list[str]:
    """Accepted submissions with any row changed at or after `since` (all when None)."""
    sources = [
        (Submission.partition_key, Submission.received_at),
        (Lead.partition_key, Lead.created_at),
        (Enrichment.partition_key, Enrichment.created_at),
        (Draft.partition_key, Draft.created_at),
        (SendDecision.partition_key, SendDecision.created_at),
        (ReviewDecision.partition_key, ReviewDecision.created_at),
        (SendLedgerEntry.partition_key, SendLedgerEntry.updated_at),
        (FollowUpStepRow.partition_key, FollowUpStepRow.updated_at),
        (InboundMessage.partition_key, InboundMessage.recorded_at),
    ]
    selects = [
        select(key.label("key")).where(key.is_not(None), *([] if since is None else [at >= since]))
        for key, at in sources
    ]
    changed = union(*selects).subquery()
    return list(
        session.scalars(
            select(Submission.partition_key)
            .where(Submission.status == "accepted", Submission.partition_key.in_(select(changed)))
            .order_by(Submission.partition_key)
        )
    )


def lead_rows(session: Session, keys: Sequence[str]) -> list[Row]:
    first_draft = (
        select(Draft.partition_key, func.min(Draft.created_at).label("first_drafted_at"))
        .where(Draft.partition_key.in_(keys))
        .group_by(Draft.partition_key)
        .subquery()
    )
    query = (
        select(
            Submission.partition_key.label("lead_key"),
            Submission.email_hash.label("person_hash"),
            Submission.form_id,
            Submission.submitted_at,
            Submission.received_at,
            Lead.qualified,
            Lead.status_reason,
            Enrichment.icp_score,
            Enrichment.icp_bucket,
            Enrichment.domain_verified,
            Enrichment.mailbox,
            first_draft.c.first_drafted_at,
        )
        .outerjoin(Lead, Lead.partition_key == Submission.partition_key)
        .outerjoin(Enrichment, Enrichment.partition_key == Submission.partition_key)
        .outerjoin(first_draft, first_draft.c.partition_key == Submission.partition_key)
        .where(Submission.partition_key.in_(keys), Submission.status == "accepted")
    )
    return [dict(row._mapping) for row in session.execute(query)]


def decision_rows(session: Session, keys: Sequence[str]) -> list[Row]:
    """The rules engine's decisions and the operators' reviews (without reviewer or reason)."""
    rules = session.execute(
        select(
            SendDecision.id,
            SendDecision.partition_key,
            SendDecision.outcome,
            SendDecision.draft_version,
            SendDecision.confidence,
            SendDecision.threshold,
            SendDecision.rules_fired,
            SendDecision.created_at,
        ).where(SendDecision.partition_key.in_(keys))
    )
    reviews = session.execute(
        select(
            ReviewDecision.id,
            ReviewDecision.partition_key,
            ReviewDecision.action,
            ReviewDecision.draft_version,
            ReviewDecision.overridden_rules,
            ReviewDecision.created_at,
        ).where(ReviewDecision.partition_key.in_(keys))
    )
    rows = [
        {
            "decision_key": f"rules-{r.id}",
            "lead_key": r.partition_key,
            "decided_by": "rules",
            "outcome": r.outcome,
            "draft_version": r.draft_version,
            "confidence": r.confidence,
            "threshold": r.threshold,
            "rule": _first_rule(r.rules_fired),
            "decided_at": r.created_at,
        }
        for r in rules
    ]
    rows += [
        {
            "decision_key": f"review-{r.id}",
            "lead_key": r.partition_key,
            "decided_by": "operator",
            "outcome": r.action,
            "draft_version": r.draft_version,
            "confidence": None,
            "threshold": None,
            "rule": _first_rule(r.overridden_rules),
            "decided_at": r.created_at,
        }
        for r in reviews
    ]
    return rows


def _first_rule(rules: list[Any] | None) -> str | None:
    """The name of the first rule in a stored list ({rule: ...} records or plain names)."""
    for rule in rules or []:
        name = rule.get("rule") if isinstance(rule, dict) else rule
        if isinstance(name, str) and name:
            return name
    return None


def send_rows(session: Session, keys: Sequence[str]) -> list[Row]:
    """The send ledger, each send with its draft version's voice profile version and
    experiment arms ({experiment: arm}, None outside experiments): what was sent, not how."""
    query = (
        select(
            SendLedgerEntry.partition_key.label("lead_key"),
            SendLedgerEntry.step,
            SendLedgerEntry.mode,
            SendLedgerEntry.state,
            SendLedgerEntry.mailbox,
            SendLedgerEntry.claimed_at,
            SendLedgerEntry.updated_at,
            Draft.voice_version,
            Draft.variant,
        )
        .outerjoin(
            Draft,
            (Draft.partition_key == SendLedgerEntry.partition_key)
            & (Draft.version == SendLedgerEntry.draft_version),
        )
        .where(SendLedgerEntry.partition_key.in_(keys))
    )
    return [dict(row._mapping) for row in session.execute(query)]


def follow_up_rows(session: Session, keys: Sequence[str]) -> list[Row]:
    query = select(
        FollowUpStepRow.partition_key.label("lead_key"),
        FollowUpStepRow.step,
        FollowUpStepRow.state,
        FollowUpStepRow.reason,
        FollowUpStepRow.due_at,
        FollowUpStepRow.updated_at,
    ).where(FollowUpStepRow.partition_key.in_(keys))
    return [dict(row._mapping) for row in session.execute(query)]


def reply_rows(session: Session, keys: Sequence[str]) -> list[Row]:
    """Inbound mail matched to one of the leads: its class and rule, never its text."""
    query = select(
        InboundMessage.id,
        InboundMessage.partition_key.label("lead_key"),
        InboundMessage.kind,
        InboundMessage.reason,
        InboundMessage.received_at,
    ).where(InboundMessage.partition_key.in_(keys))
    return [dict(row._mapping) for row in session.execute(query)]


def suppression_rows(session: Session, since: datetime | None) -> list[Row]:
    query = select(
        Suppression.email_hash.label("person_hash"),
        Suppression.reason,
        Suppression.created_at.label("suppressed_at"),
    ).where(Suppression.reason.not_in(UNEXPORTED_SUPPRESSION_REASONS))
    if since is not None:
        query = query.where(Suppression.created_at >= since)
    return [dict(row._mapping) for row in session.execute(query)]


def newest_reply_recorded_at(session: Session) -> datetime | None:
    """When the latest inbound message matched to a lead was recorded (None: never)."""
    return session.scalar(
        select(func.max(InboundMessage.recorded_at)).where(
            InboundMessage.partition_key.is_not(None)
        )
    )
