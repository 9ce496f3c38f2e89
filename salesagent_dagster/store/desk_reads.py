"""What the review desk's lead page reads besides the latest draft: every version and the
audit trail of one lead."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from salesagent_dagster.store.models import AuditEvent, Draft


def draft_versions(session: Session, partition_key: str) -> Sequence[Draft]:
    return session.scalars(
        select(Draft).where(Draft.partition_key == partition_key).order_by(Draft.version)
    ).all()


def audit_for(session: Session, partition_key: str, limit: int = 50) -> Sequence[AuditEvent]:
    return session.scalars(
        select(AuditEvent)
        .where(AuditEvent.subject == partition_key)
        .order_by(AuditEvent.id.desc())
        .limit(limit)
    ).all()
