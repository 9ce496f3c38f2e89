"""Dead letters: leads whose latest run failed and that nothing is retrying (DESIGN I-5).

Read from the Dagster instance itself, so the list is the same one an operator sees as
failed runs in the UI; re-queueing re-executes the lead's run with the same partition.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from dagster import DagsterInstance, DagsterRunStatus, Definitions, RunsFilter

from salesagent_dagster.services.run_tags import PARTITION_TAG, RUN_KEY_TAG

JOB_NAME = "process_lead"
UNFINISHED = (
    DagsterRunStatus.QUEUED,
    DagsterRunStatus.NOT_STARTED,
    DagsterRunStatus.STARTING,
    DagsterRunStatus.STARTED,
)


@dataclass(frozen=True)
class DeadLetter:
    partition_key: str
    run_id: str
    step: str
    error_class: str
    attempts: int
    failed_at: datetime

    def age(self, now: datetime | None = None) -> str:
        seconds = int(((now or datetime.now(UTC)) - self.failed_at).total_seconds())
        hours, rest = divmod(seconds, 3600)
        return f"{hours}h{rest // 60:02d}m" if hours else f"{rest // 60}m{rest % 60:02d}s"


def dead_letters(instance: DagsterInstance, limit: int = 500) -> list[DeadLetter]:
    records = instance.get_run_records(filters=RunsFilter(job_name=JOB_NAME), limit=limit * 4)
    by_partition: dict[str, list] = {}
    for record in records:  # newest first
        key = record.dagster_run.tags.get(PARTITION_TAG)
        if key:
            by_partition.setdefault(key, []).append(record)
    letters = []
    for key, runs in by_partition.items():
        latest = runs[0]
        if latest.dagster_run.status != DagsterRunStatus.FAILURE:
            continue
        if any(r.dagster_run.status in UNFINISHED for r in runs):
            continue
        step, error_class = failure_of(instance, latest.dagster_run.run_id)
        failed_at = latest.end_time or latest.update_timestamp.timestamp()
        letters.append(
            DeadLetter(
                partition_key=key,
                run_id=latest.dagster_run.run_id,
                step=step,
                error_class=error_class,
                attempts=len(runs),
                failed_at=datetime.fromtimestamp(float(failed_at), tz=UTC),
            )
        )
    return sorted(letters, key=lambda letter: letter.failed_at)[:limit]


def failure_of(instance: DagsterInstance, run_id: str) -> tuple[str, str]:
    """The failed step and the error class (ours, from Failure metadata, or the raised one)."""
    for entry in instance.all_logs(run_id):
        event = entry.dagster_event
        if event is None or event.event_type_value != "STEP_FAILURE":
            continue
        data = event.step_failure_data
        user = data.user_failure_data if data else None
        if user is not None and "error_class" in user.metadata:
            return entry.step_key or "?", str(user.metadata["error_class"].value)
        error = data.error if data else None
        return entry.step_key or "?", error.cls_name if error and error.cls_name else "unknown"
    return "run", "run failure (no step failed: crashed or cancelled)"


def requeue(
    instance: DagsterInstance, definitions: Definitions, partition_keys: Sequence[str]
) -> dict[str, bool]:
    """Run each lead again, in this process; the send ledger keeps a resend harmless."""
    job = definitions.resolve_job_def(JOB_NAME)
    results = {}
    for key in partition_keys:
        outcome = job.execute_in_process(
            instance=instance,
            partition_key=key,
            tags={RUN_KEY_TAG: key, "salesagent/requeued": "dead_letter"},
            run_config={"loggers": {"console": {"config": {"log_level": "WARNING"}}}},
            raise_on_error=False,
        )
        results[key] = outcome.success
    return results
