"""Operators' review decisions, and the queue of leads waiting for one."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session

from salesagent_dagster.domain.approval_rules import Outcome
from salesagent_dagster.domain.send_authorization import (
    Authorization,
    DecisionFacts,
    ReviewFacts,
    authorize,
)
from salesagent_dagster.store import drafts
from salesagent_dagster.store.audit import record
from salesagent_dagster.store.models import ReviewDecision, SendDecision, SendLedgerEntry


def record_review(session: Session, review: ReviewDecision) -> ReviewDecision:
    """Append the decision and its audit entry in one transaction."""
    session.add(review)
    session.flush()
    record(
        session,
        actor=review.reviewer,
        action=f"review_{review.action}",
        subject=review.partition_key,
        details={
            "draft_version": review.draft_version,
            "reason": review.reason,
            "overridden_rules": list(review.overridden_rules),
            "reviewer_kind": review.reviewer_kind,
        },
    )
    return review


def reviews_for(session: Session, partition_key: str) -> Sequence[ReviewDecision]:
    return session.scalars(
        select(ReviewDecision)
        .where(ReviewDecision.partition_key == partition_key)
        .order_by(ReviewDecision.id)
    ).all()


@dataclass(frozen=True)
class QueuedLead:
    partition_key: str
    decision: SendDecision


def review_queue(session: Session) -> list[QueuedLead]:
    """Leads whose latest decision asks a person and that no person has decided yet and
    nothing has been sent for, oldest decision first (the review SLA runs from it)."""
    newest = (
        select(func.max(SendDecision.id)).group_by(SendDecision.partition_key).scalar_subquery()
    )
    rows = session.scalars(
        select(SendDecision)
        .where(
            SendDecision.id.in_(newest),
            SendDecision.outcome == Outcome.NEEDS_REVIEW.value,
            ~exists().where(ReviewDecision.partition_key == SendDecision.partition_key),
            ~exists().where(SendLedgerEntry.partition_key == SendDecision.partition_key),
        )
        .order_by(SendDecision.created_at)
    ).all()
    return [QueuedLead(row.partition_key, row) for row in rows]


def authorization_for(session: Session, partition_key: str) -> Authorization | None:
    """What allows (or does not allow) this lead's email to go right now."""
    decision = drafts.latest_decision(session, partition_key)
    return authorize(
        DecisionFacts(decision.outcome, decision.draft_version) if decision else None,
        [
            ReviewFacts(r.action, r.reviewer, r.draft_version, tuple(r.overridden_rules))
            for r in reviews_for(session, partition_key)
        ],
    )


def is_rejected(session: Session, partition_key: str) -> bool:
    return bool(
        session.scalar(
            select(
                exists().where(
                    ReviewDecision.partition_key == partition_key,
                    ReviewDecision.action == "reject",
                )
            )
        )
    )
