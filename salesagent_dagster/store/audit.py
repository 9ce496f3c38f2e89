"""The audit log: who did what, when and why (DESIGN I-8)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from salesagent_dagster.store.models import AuditEvent


def record(
    session: Session,
    *,
    actor: str,
    action: str,
    subject: str | None,
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """Subjects are partition keys or hashes; never put an address in `details`."""
    event = AuditEvent(actor=actor, action=action, subject=subject, details=details or {})
    session.add(event)
    return event
