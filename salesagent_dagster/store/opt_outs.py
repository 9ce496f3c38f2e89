"""Opt-outs in the audit log: whether one was recorded for a lead, and the ones still owed
to HubSpot (no table of their own).

An opt-out is written locally first (suppression + audit, one transaction) and pushed to
HubSpot's communication preferences afterwards; HubSpot may be down then. The promise to
push it is the audit row `hubspot_opt_out_pending` (subject: the partition key), written in
the same transaction as the suppression, so it cannot be lost. It is kept until a later
`hubspot_opt_out_done` (pushed) or `hubspot_opt_out_abandoned` (nothing left to push: the
lead was erased) row for the same key. Audit rows are only ever added, so the queue's
history is the audit trail itself. The address is never stored here: the push reads it
from the lead's row when it runs.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, exists, select
from sqlalchemy.orm import Session, aliased

from salesagent_dagster.store import audit
from salesagent_dagster.store.models import AuditEvent

PENDING = "hubspot_opt_out_pending"
DONE = "hubspot_opt_out_done"
ABANDONED = "hubspot_opt_out_abandoned"
SETTLED = (DONE, ABANDONED)


def _settled_later(pending: Any) -> Any:
    later = aliased(AuditEvent)
    return exists().where(
        and_(later.subject == pending.subject, later.action.in_(SETTLED), later.id > pending.id)
    )


def recorded(session: Session, partition_key: str, action: str) -> bool:
    """Whether the audit log holds `action` (e.g. "unsubscribed") for this lead."""
    return bool(
        session.scalar(
            select(exists().where(AuditEvent.subject == partition_key, AuditEvent.action == action))
        )
    )


def is_pending(session: Session, partition_key: str) -> bool:
    return bool(
        session.scalar(
            select(
                exists().where(
                    AuditEvent.subject == partition_key,
                    AuditEvent.action == PENDING,
                    ~_settled_later(AuditEvent),
                )
            )
        )
    )


def record_pending(session: Session, partition_key: str, *, actor: str, source: str) -> None:
    audit.record(
        session, actor=actor, action=PENDING, subject=partition_key, details={"source": source}
    )


def pending_source(session: Session, partition_key: str) -> str | None:
    """How the opt-out still owed for this lead came in ("one_click", "reply", ...)."""
    details = session.scalar(
        select(AuditEvent.details)
        .where(AuditEvent.subject == partition_key, AuditEvent.action == PENDING)
        .order_by(AuditEvent.id.desc())
        .limit(1)
    )
    source = (details or {}).get("source")
    return str(source) if source else None


def pending_keys(session: Session, limit: int = 100) -> list[str]:
    """Keys owed to HubSpot, oldest promise first."""
    keys = session.scalars(
        select(AuditEvent.subject)
        .where(AuditEvent.action == PENDING, ~_settled_later(AuditEvent))
        .order_by(AuditEvent.id)
        .limit(limit)
    )
    return list(dict.fromkeys(key for key in keys if key))


def settle(
    session: Session, partition_key: str, action: str, *, actor: str, details: dict[str, Any]
) -> None:
    """Close the promise: `DONE` (HubSpot has it) or `ABANDONED` (nothing left to push)."""
    if action not in SETTLED:
        raise ValueError(f"{action!r} does not settle a HubSpot opt-out")
    audit.record(session, actor=actor, action=action, subject=partition_key, details=details)
