"""Operators' review decisions, and the queue of leads waiting for one."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, exists, select
from sqlalchemy.orm import QueryableAttribute, Session, aliased

from salesagent_dagster.domain.approval_rules import Outcome
from salesagent_dagster.domain.send_authorization import (
    RETURNS_TO_REVIEW,
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
    decision: SendDecision  # the lead's latest
    since: datetime  # when it began to wait: its decision, or the hold that returned it
    returned_by: ReviewDecision | None = None  # that hold (None: never reviewed yet)


def review_queue(session: Session) -> list[QueuedLead]:
    """Leads waiting for a person, longest-waiting first (the review SLA runs from `since`):
    those whose latest decision asks a person and that no person has decided yet, and those
    whose latest review returned them to review (a hold in the undo window); never one that
    something was sent or drafted for. store.metric_counts.review_queue_depth counts the same
    (a test holds them equal)."""
    fresh = session.scalars(
        select(SendDecision).where(
            latest_decision(SendDecision),
            SendDecision.outcome == Outcome.NEEDS_REVIEW.value,
            ~exists().where(ReviewDecision.partition_key == SendDecision.partition_key),
            nothing_sent(SendDecision.partition_key),
        )
    ).all()
    # A lead in review always has a decision: the draft's send_decision comes before any review.
    returned = session.execute(
        select(ReviewDecision, SendDecision)
        .join(SendDecision, SendDecision.partition_key == ReviewDecision.partition_key)
        .where(
            returned_to_review(ReviewDecision),
            latest_decision(SendDecision),
            nothing_sent(ReviewDecision.partition_key),
        )
    ).all()
    queued = [QueuedLead(row.partition_key, row, row.created_at) for row in fresh] + [
        QueuedLead(hold.partition_key, decision, hold.created_at, hold)
        for hold, decision in returned
    ]
    return sorted(queued, key=lambda q: q.since)


def latest_decision(decision: type[SendDecision]) -> ColumnElement[bool]:
    """`decision` (SendDecision or an alias) is its lead's newest: an anti-join on the key's
    index, cheaper than a GROUP BY over every decision."""
    newer = aliased(SendDecision)
    return ~exists().where(newer.partition_key == decision.partition_key, newer.id > decision.id)


def returned_to_review(review: type[ReviewDecision]) -> ColumnElement[bool]:
    """`review` returned its lead to review and no later review has decided it since."""
    newer = aliased(ReviewDecision)
    return review.action.in_(sorted(RETURNS_TO_REVIEW)) & ~exists().where(
        newer.partition_key == review.partition_key, newer.id > review.id
    )


def nothing_sent(partition_key: QueryableAttribute[str]) -> ColumnElement[bool]:
    return ~exists().where(SendLedgerEntry.partition_key == partition_key)


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
