"""Retention: personal data is kept only as long as the settings say, then removed.

One pass, safe to repeat: draft bodies older than the body window are blanked (the row,
its version and author stay for the record), drafts older than the draft window are deleted,
leads older than the lead window are deleted with every row, run, event record, compute log
and dynamic partition they have, and the audit log is cut at its window. Finished
`erase_person` runs are deleted too: their run config holds the address that was erased.

Leads a run is working on are skipped and picked up by the next pass.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from dagster import DagsterInstance, RunsFilter
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from salesagent_dagster.privacy.app_rows import count_partition_rows, delete_partition_rows
from salesagent_dagster.privacy.dagster_records import (
    UNFINISHED,
    delete_partition_records,
    delete_runs,
    keys_with_unfinished_runs,
)
from salesagent_dagster.privacy.retention_settings import RetentionSettings
from salesagent_dagster.store.models import (
    AuditEvent,
    Draft,
    OutboxMessage,
    SendLedgerEntry,
    Submission,
    utc_now,
)
from salesagent_dagster.store.send_ledger import DONE_STATES, LedgerState

ERASE_PERSON_JOB = "erase_person"
# A built message may be needed again only while its send outcome is open (DESIGN I-1).
_SETTLED_STATES = [state.value for state in (*DONE_STATES, LedgerState.FAILED_PERMANENT)]

SessionFactory = Callable[[], AbstractContextManager[Session]]


@dataclass
class RetentionReport:
    dry_run: bool
    expired_leads: int = 0
    skipped_running: int = 0
    counts: dict[str, int] = field(default_factory=dict)

    def as_metadata(self) -> dict[str, Any]:
        return {
            "dry_run": self.dry_run,
            "expired_leads": self.expired_leads,
            "skipped_running_leads": self.skipped_running,
            **self.counts,
        }


def apply_retention(
    session_factory: SessionFactory,
    instance: DagsterInstance,
    settings: RetentionSettings,
    *,
    dry_run: bool = False,
    now: datetime | None = None,
) -> RetentionReport:
    now = now or utc_now()
    report = RetentionReport(dry_run=dry_run)
    with session_factory() as session:
        expired = list(
            session.scalars(
                select(Submission.partition_key).where(
                    Submission.received_at < now - settings.lead_age
                )
            )
        )
    busy = keys_with_unfinished_runs(instance, expired)
    expired = [key for key in expired if key not in busy]
    report.expired_leads, report.skipped_running = len(expired), len(busy)

    # Dagster first: if the app DB step then fails, the next pass finds the same keys again.
    report.counts.update(delete_partition_records(instance, expired, dry_run).as_counts())
    report.counts["erase_person_runs"] = _delete_erasure_runs(instance, dry_run)
    with session_factory() as session:
        if dry_run:
            rows = count_partition_rows(session, expired)
        else:
            rows = delete_partition_rows(session, expired)
        report.counts.update({f"rows_{table}": n for table, n in rows.items()})
        report.counts.update(_age_out_drafts(session, settings, now, dry_run))
        report.counts["audit_events"] = _cut(
            session, AuditEvent, AuditEvent.at < now - settings.audit_age, dry_run
        )
        if dry_run:
            session.rollback()
    return report


def _age_out_drafts(
    session: Session, settings: RetentionSettings, now: datetime, dry_run: bool
) -> dict[str, int]:
    old_drafts = Draft.created_at < now - settings.draft_age
    deleted = _cut(session, Draft, old_drafts, dry_run)
    old_bodies = (Draft.created_at < now - settings.draft_body_age) & (Draft.body_text != "")
    blanked = _count(session, Draft, old_bodies)
    settled = select(SendLedgerEntry.partition_key).where(
        SendLedgerEntry.state.in_(_SETTLED_STATES)
    )
    old_outbox = (
        (OutboxMessage.built_at < now - settings.draft_body_age)
        & (OutboxMessage.raw != "")
        & OutboxMessage.partition_key.in_(settled)
    )
    blanked_outbox = _count(session, OutboxMessage, old_outbox)
    if not dry_run:
        session.execute(update(Draft).where(old_bodies).values(body_text=""))
        session.execute(update(OutboxMessage).where(old_outbox).values(raw=""))
    return {
        "draft_rows_deleted": deleted,
        "draft_bodies_blanked": blanked,
        "outbox_bodies_blanked": blanked_outbox,
    }


def _count(session: Session, model: Any, condition: Any) -> int:
    return session.scalar(select(func.count()).select_from(model).where(condition)) or 0


def _cut(session: Session, model: Any, condition: Any, dry_run: bool) -> int:
    count = _count(session, model, condition)
    if count and not dry_run:
        session.execute(delete(model).where(condition))
    return count


def _delete_erasure_runs(instance: DagsterInstance, dry_run: bool) -> int:
    """Finished `erase_person` runs: the address in their run config must not outlive them."""
    runs = instance.get_runs(filters=RunsFilter(job_name=ERASE_PERSON_JOB))
    finished = [run.run_id for run in runs if run.status not in UNFINISHED]
    delete_runs(instance, finished, dry_run)
    return len(finished)
