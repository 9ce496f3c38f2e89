"""Draft versions, the safety results on them and the send decisions."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from salesagent_dagster.store.models import Draft, SafetyResult, SendDecision


def add_draft_version(
    session: Session,
    *,
    partition_key: str,
    subject: str,
    body_text: str,
    template: str,
    voice_profile: dict[str, Any],
    author: str,
    variant: dict[str, str] | None = None,
    voice_version: int = 0,
) -> Draft:
    """Append a version; earlier versions stay as they were (DESIGN I-8)."""
    current = session.scalar(
        select(func.max(Draft.version)).where(Draft.partition_key == partition_key)
    )
    draft = Draft(
        partition_key=partition_key,
        version=(current or 0) + 1,
        subject=subject,
        body_text=body_text,
        template=template,
        voice_profile=voice_profile,
        variant=variant,
        voice_version=voice_version,
        author=author,
    )
    session.add(draft)
    session.flush()
    return draft


def latest_draft(session: Session, partition_key: str) -> Draft | None:
    return session.scalar(
        select(Draft).where(Draft.partition_key == partition_key).order_by(Draft.version.desc())
    )


def save_safety_results(
    session: Session,
    partition_key: str,
    draft_version: int,
    results: dict[str, list[dict[str, Any]]],
) -> None:
    for check_name, findings in results.items():
        session.add(
            SafetyResult(
                partition_key=partition_key,
                draft_version=draft_version,
                check_name=check_name,
                passed=not findings,
                findings=findings,
            )
        )


def safety_results_for(
    session: Session, partition_key: str, draft_version: int
) -> Sequence[SafetyResult]:
    return session.scalars(
        select(SafetyResult)
        .where(
            SafetyResult.partition_key == partition_key,
            SafetyResult.draft_version == draft_version,
        )
        .order_by(SafetyResult.id)
    ).all()


def save_decision(session: Session, decision: SendDecision) -> SendDecision:
    session.add(decision)
    session.flush()
    return decision


def latest_decision(session: Session, partition_key: str) -> SendDecision | None:
    return session.scalar(
        select(SendDecision)
        .where(SendDecision.partition_key == partition_key)
        .order_by(SendDecision.id.desc())
    )


def decisions_for(session: Session, partition_keys: Sequence[str]) -> dict[str, SendDecision]:
    rows = session.scalars(
        select(SendDecision)
        .where(SendDecision.partition_key.in_(partition_keys))
        .order_by(SendDecision.id)
    ).all()
    return {row.partition_key: row for row in rows}
