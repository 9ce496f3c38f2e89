"""Leads and their enrichment."""

from __future__ import annotations

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from salesagent_dagster.store.models import Enrichment, Lead


def save_lead(session: Session, lead: Lead) -> Lead:
    """Insert or replace a lead (a re-run of `lead` re-derives it from the same submission)."""
    return session.merge(lead)


def get_lead(session: Session, partition_key: str) -> Lead | None:
    return session.get(Lead, partition_key)


def has_other_qualified_lead(session: Session, email_hash: str, partition_key: str) -> bool:
    """Another submission from the same address already became a lead."""
    return bool(
        session.scalar(
            select(
                exists().where(
                    Lead.email_hash == email_hash,
                    Lead.partition_key != partition_key,
                    Lead.qualified.is_(True),
                )
            )
        )
    )


def save_enrichment(session: Session, enrichment: Enrichment) -> Enrichment:
    return session.merge(enrichment)


def get_enrichment(session: Session, partition_key: str) -> Enrichment | None:
    return session.get(Enrichment, partition_key)
