"""Dead letters: leads whose latest run failed and that nothing is retrying (DESIGN I-5).

Read from the Dagster instance itself, so the list is the same one an operator sees as
failed runs in the UI; re-queueing re-executes the lead's run with the same partition.
A batch run (`process_lead_batch`) is read per lead: each lead's mapped step is an attempt
of that lead, and only a lead whose own latest attempt failed is a dead letter, named by
its partition and its step; the other leads of that batch are not.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from dagster import DagsterEventType, DagsterInstance, DagsterRunStatus, Definitions, RunsFilter
from dagster._core.storage.dagster_run import RunRecord

from salesagent_dagster.services.lead_batching import keys_of_batch_run, step_of_lead
from salesagent_dagster.services.run_tags import (
    BATCH_JOB,
    BATCHED_LEAD_OP,
    LEAD_JOB,
    PARTITION_TAG,
    RUN_KEY_TAG,
)

JOB_NAME = LEAD_JOB
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


@dataclass(frozen=True)
class LeadAttempt:
    """One try at a lead: its own run, or its own step of a batch run."""

    at: float
    status: DagsterRunStatus
    run_id: str
    step: str | None = None  # a batch run's step for the lead
    error_class: str | None = None
    started: bool = True  # the run began executing (a launch that failed never tried it)


def dead_letters(instance: DagsterInstance, limit: int = 500) -> list[DeadLetter]:
    letters = []
    for key, (latest, attempts) in failed_leads(instance, limit * 4).items():
        if latest.step is not None and latest.error_class is not None:
            step, error_class = latest.step, latest.error_class
        else:
            step, error_class = failure_of(instance, latest.run_id)
        letters.append(
            DeadLetter(
                partition_key=key,
                run_id=latest.run_id,
                step=step,
                error_class=error_class,
                attempts=attempts,
                failed_at=datetime.fromtimestamp(latest.at, tz=UTC),
            )
        )
    return sorted(letters, key=lambda letter: letter.failed_at)[:limit]


def failed_leads(instance: DagsterInstance, run_window: int) -> dict[str, tuple[LeadAttempt, int]]:
    """Leads whose latest attempt (own run, or own step of a batch run) failed and that no
    unfinished run is working on, among the newest `run_window` runs of each lead job:
    each with that attempt and how many attempts it had."""
    return {
        key: (max(tries, key=lambda attempt: attempt.at), len(tries))
        for key, tries in failed_lead_attempts(instance, run_window).items()
    }


def failed_lead_attempts(
    instance: DagsterInstance, run_window: int
) -> dict[str, list[LeadAttempt]]:
    """`failed_leads` with every attempt of each lead (the sweep that resumes cut-short
    leads counts those that started)."""
    attempts: dict[str, list[LeadAttempt]] = {}
    records = instance.get_run_records(filters=RunsFilter(job_name=JOB_NAME), limit=run_window)
    for record in records:
        key = record.dagster_run.tags.get(PARTITION_TAG)
        if key:
            attempts.setdefault(key, []).append(
                LeadAttempt(
                    _time_of(record),
                    record.dagster_run.status,
                    record.dagster_run.run_id,
                    started=record.start_time is not None,
                )
            )
    batches = instance.get_run_records(filters=RunsFilter(job_name=BATCH_JOB), limit=run_window)
    for record in batches:
        for key, attempt in _batch_attempts(instance, record).items():
            attempts.setdefault(key, []).append(attempt)
    failed = {}
    for key, tries in attempts.items():
        latest = max(tries, key=lambda attempt: attempt.at)
        if latest.status == DagsterRunStatus.FAILURE and not any(
            attempt.status in UNFINISHED for attempt in tries
        ):
            failed[key] = tries
    return failed


def _time_of(record: RunRecord) -> float:
    return float(record.end_time or record.update_timestamp.timestamp())


def _batch_attempts(instance: DagsterInstance, record: RunRecord) -> dict[str, LeadAttempt]:
    """Each lead this batch run worked on (a re-execution from failure: only the leads it
    ran again), with how its own step went."""
    run = record.dagster_run
    executed = set(run.step_keys_to_execute or ())
    # A first run lists the unresolved mapped step (`[?]`) or nothing: every lead's step runs.
    everyone = not executed or f"{BATCHED_LEAD_OP}[?]" in executed
    keys = [key for key in keys_of_batch_run(run) if everyone or step_of_lead(key) in executed]
    at, started = _time_of(record), record.start_time is not None
    if run.status != DagsterRunStatus.FAILURE:
        return {key: LeadAttempt(at, run.status, run.run_id, started=started) for key in keys}
    failures = step_failures(instance, run.run_id)
    succeeded = {
        entry.event_log_entry.step_key
        for entry in instance.get_records_for_run(
            run.run_id, of_type=DagsterEventType.STEP_SUCCESS, limit=10_000
        ).records
    }
    attempts = {}
    for key in keys:
        step = step_of_lead(key)
        if step in succeeded:
            attempts[key] = LeadAttempt(at, DagsterRunStatus.SUCCESS, run.run_id, started=started)
        elif step in failures:
            attempts[key] = LeadAttempt(
                at, run.status, run.run_id, step, failures[step], started=started
            )
        else:  # the run failed before this lead's step finished: a crash, or its split
            attempts[key] = LeadAttempt(at, run.status, run.run_id, started=started)
    return attempts


def step_failures(instance: DagsterInstance, run_id: str) -> dict[str, str]:
    """Each failed step of a run, with its error class (ours from Failure metadata, or the
    raised one)."""
    failures: dict[str, str] = {}
    for record in instance.get_records_for_run(
        run_id, of_type=DagsterEventType.STEP_FAILURE, limit=10_000
    ).records:
        entry = record.event_log_entry
        if entry.step_key and entry.dagster_event is not None:
            failures[entry.step_key] = _error_class(entry.dagster_event.step_failure_data)
    return failures


def _error_class(data: object) -> str:
    user = getattr(data, "user_failure_data", None)
    if user is not None and "error_class" in user.metadata:
        return str(user.metadata["error_class"].value)
    error = getattr(data, "error", None)
    return error.cls_name if error and error.cls_name else "unknown"


def failure_of(instance: DagsterInstance, run_id: str) -> tuple[str, str]:
    """The failed step and the error class (ours, from Failure metadata, or the raised one)."""
    for entry in instance.all_logs(run_id):
        event = entry.dagster_event
        if event is None or event.event_type_value != "STEP_FAILURE":
            continue
        return entry.step_key or "?", _error_class(event.step_failure_data)
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
