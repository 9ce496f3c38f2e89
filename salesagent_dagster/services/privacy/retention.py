"""Retention: personal data is kept only as long as the settings say, then removed.

One pass, safe to repeat: draft bodies older than the body window are blanked (the row,
its version and author stay for the record), drafts older than the draft window are deleted,
leads older than the lead window are deleted with every row, run, event record, compute log
and dynamic partition they have (their rows in the analytics warehouse's raw tables too, by
partition key, as erasure removes them), and the audit log is cut at its window. Finished
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
from sqlalchemy.orm import Session

from salesagent_dagster.services.privacy.dagster_records import (
    UNFINISHED,
    delete_partition_records,
    delete_runs,
    keys_with_unfinished_runs,
)
from salesagent_dagster.services.privacy.retention_settings import RetentionSettings
from salesagent_dagster.services.warehouse.erasure import erase_from_warehouse
from salesagent_dagster.store import aged_rows, lead_batches, submission_keys
from salesagent_dagster.store.models import utc_now
from salesagent_dagster.store.partition_rows import count_partition_rows, delete_partition_rows

ERASE_PERSON_JOB = "erase_person"

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
        expired = submission_keys.keys_received_before(session, now - settings.lead_age)
        batches = lead_batches.batches_of(session, expired)
    busy = keys_with_unfinished_runs(instance, expired, batches)
    expired = [key for key in expired if key not in busy]
    report.expired_leads, report.skipped_running = len(expired), len(busy)

    # Dagster first: if the app DB step then fails, the next pass finds the same keys again.
    # A batch run goes whole once all its members have expired (or were erased before).
    report.counts.update(delete_partition_records(instance, expired, dry_run, batches).as_counts())
    report.counts["erase_person_runs"] = _delete_erasure_runs(instance, dry_run)
    # By partition key only: the suppression list (by person hash) outlives the leads, as
    # it does in the app DB. The aggregate marts lose them at the next refresh.
    if not dry_run:
        report.counts["warehouse_raw_rows"] = erase_from_warehouse((), expired)
    with session_factory() as session:
        if dry_run:
            rows = count_partition_rows(session, expired)
        else:
            rows = delete_partition_rows(session, expired)
        report.counts.update({f"rows_{table}": n for table, n in rows.items()})
        report.counts.update(
            aged_rows.age_out_drafts(
                session,
                draft_cutoff=now - settings.draft_age,
                body_cutoff=now - settings.draft_body_age,
                dry_run=dry_run,
            )
        )
        report.counts.update(
            aged_rows.age_out_inbound_mail(
                session,
                unmatched_cutoff=now - settings.lead_age,
                body_cutoff=now - settings.draft_body_age,
                dry_run=dry_run,
            )
        )
        report.counts["audit_events"] = aged_rows.cut_audit_events(
            session, now - settings.audit_age, dry_run
        )
        if dry_run:
            session.rollback()
    return report


def _delete_erasure_runs(instance: DagsterInstance, dry_run: bool) -> int:
    """Finished `erase_person` runs: the address in their run config must not outlive them."""
    runs = instance.get_runs(filters=RunsFilter(job_name=ERASE_PERSON_JOB))
    finished = [run.run_id for run in runs if run.status not in UNFINISHED]
    delete_runs(instance, finished, dry_run)
    return len(finished)
