"""Leads and their enrichment."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from salesagent_dagster.domain.safety.findings import Finding
from salesagent_dagster.store.models import Enrichment, Lead, Submission, utc_now


def save_lead(session: Session, lead: Lead) -> Lead:
    """Insert or replace a lead (a re-run of `lead` re-derives it from the same submission)."""
    return session.merge(lead)


def finding_records(findings: Iterable[Finding]) -> list[dict[str, str]]:
    """How a lead's input findings are stored: kind and field, never the value typed."""
    return [{"rule": f.rule, "kind": f.kind, "where": f.where} for f in findings]


def input_findings(lead: Lead) -> tuple[Finding, ...]:
    """The `suspicious_input` findings recorded when the lead was read (none on older rows)."""
    return tuple(
        Finding(str(r["rule"]), str(r["kind"]), str(r["where"])) for r in lead.input_findings or []
    )


def get_lead(session: Session, partition_key: str) -> Lead | None:
    return session.get(Lead, partition_key)


DUPLICATE_WINDOW = timedelta(days=90)


def is_duplicate_submission(session: Session, email_hash: str, partition_key: str) -> bool:
    """An earlier submission from the same address is, or is about to become, the lead.

    Earlier means a lower inbox id, so of two submissions processed at the same moment in
    two runs exactly one wins. An earlier one that was disqualified does not count.
    """
    me = select(Submission.id).where(Submission.partition_key == partition_key).scalar_subquery()
    earlier = (
        select(Submission.partition_key)
        .where(
            Submission.email_hash == email_hash,
            Submission.status == "accepted",
            Submission.id < me,
            Submission.received_at >= utc_now() - DUPLICATE_WINDOW,
        )
        .subquery()
    )
    disqualified = select(Lead.partition_key).where(Lead.qualified.is_(False))
    return bool(
        session.scalar(
            select(
                exists().where(
                    earlier.c.partition_key.not_in(disqualified),
                )
            )
        )
    )


def save_enrichment(session: Session, enrichment: Enrichment) -> Enrichment:
    return session.merge(enrichment)


def get_enrichment(session: Session, partition_key: str) -> Enrichment | None:
    return session.get(Enrichment, partition_key)
