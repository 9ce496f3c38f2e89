"""The partition keys of stored submissions, picked by when they were received."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from salesagent_dagster.store.models import Submission


def all_keys(session: Session) -> list[str]:
    return list(session.scalars(select(Submission.partition_key)))


def keys_received_since(session: Session, since: datetime) -> list[str]:
    """Oldest first."""
    return list(
        session.scalars(
            select(Submission.partition_key)
            .where(Submission.received_at >= since)
            .order_by(Submission.id)
        )
    )


def keys_received_before(session: Session, cutoff: datetime) -> list[str]:
    return list(
        session.scalars(select(Submission.partition_key).where(Submission.received_at < cutoff))
    )
