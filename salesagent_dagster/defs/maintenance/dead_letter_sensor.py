"""A run that failed for good is a dead letter (DESIGN I-5): say so, to the logs and Sentry.

Reports carry the opaque partition key, the failed step and the error class, never an
address or message text (DESIGN I-6); the same letter is listed by `salesagent dead-letters`
and re-run from there or from the UI. A failure the daemon will retry is not a dead letter
yet: it is reported when its last attempt fails.
"""

from __future__ import annotations

from dataclasses import dataclass

from dagster import (
    DagsterInstance,
    DagsterRun,
    DefaultSensorStatus,
    RunFailureSensorContext,
    run_failure_sensor,
)

from salesagent_dagster.services.dead_letters import failure_of, step_failures
from salesagent_dagster.services.interrupted_runs import will_be_resumed
from salesagent_dagster.services.lead_batching import lead_of_step
from salesagent_dagster.services.run_tags import BATCH_JOB, PARTITION_TAG

WILL_RETRY_TAG = "dagster/will_retry"
RETRY_NUMBER_TAG = "dagster/retry_number"
STEP_WRAPPER_ERROR = "DagsterExecutionStepExecutionError"


@dataclass(frozen=True)
class DeadLetterReport:
    job_name: str
    run_id: str
    partition_key: str | None
    step: str
    error_class: str
    attempt: int

    def summary(self) -> str:
        lead = f"lead {self.partition_key}" if self.partition_key else "no partition"
        return (
            f"dead letter: {self.job_name} run {self.run_id[:8]} ({lead}) failed at "
            f"{self.step}: {self.error_class}, attempt {self.attempt}; "
            f"re-run with `salesagent dead-letters --requeue {self.partition_key or '?'}`"
        )

    def tags(self) -> dict[str, str]:
        return {
            "job": self.job_name,
            "run_id": self.run_id,
            "partition_key": self.partition_key or "",
            "step": self.step,
            "error_class": self.error_class,
        }


def is_final_failure(run: DagsterRun) -> bool:
    """The daemon tags each failed run with whether it will re-execute it."""
    return run.tags.get(WILL_RETRY_TAG, "false").lower() != "true"


def dead_letter_report(instance: DagsterInstance, run: DagsterRun) -> DeadLetterReport:
    step, error_class = failure_of(instance, run.run_id)
    if error_class == STEP_WRAPPER_ERROR:
        error_class = _raised_class(instance, run.run_id) or error_class
    return DeadLetterReport(
        job_name=run.job_name,
        run_id=run.run_id,
        partition_key=run.tags.get(PARTITION_TAG),
        step=step,
        error_class=error_class,
        attempt=int(run.tags.get(RETRY_NUMBER_TAG, "0")) + 1,
    )


def dead_letter_reports(instance: DagsterInstance, run: DagsterRun) -> list[DeadLetterReport]:
    """One report per lead: a batch run's failed steps each name their own lead."""
    failures = step_failures(instance, run.run_id) if run.job_name == BATCH_JOB else {}
    leads = {step: lead_of_step(step) for step in failures}
    if not any(leads.values()):
        return [dead_letter_report(instance, run)]
    attempt = int(run.tags.get(RETRY_NUMBER_TAG, "0")) + 1
    return [
        DeadLetterReport(run.job_name, run.run_id, key, step, failures[step], attempt)
        for step, key in leads.items()
        if key is not None
    ]


def _raised_class(instance: DagsterInstance, run_id: str) -> str | None:
    """The exception the op raised, under Dagster's step-execution wrapper."""
    for entry in instance.all_logs(run_id):
        event = entry.dagster_event
        if event is not None and event.event_type_value == "STEP_FAILURE":
            error = event.step_failure_data.error if event.step_failure_data else None
            cause = error.cause if error else None
            return cause.cls_name if cause and cause.cls_name else None
    return None


def send_to_sentry(report: DeadLetterReport) -> None:
    """A message event grouped by job, step and error class (no-op without SENTRY_DSN)."""
    import sentry_sdk  # here: only a process that has a dead letter to report needs it

    with sentry_sdk.new_scope() as scope:
        for name, value in report.tags().items():
            scope.set_tag(name, value)
        scope.fingerprint = ["dead-letter", report.job_name, report.step, report.error_class]
        sentry_sdk.capture_message(report.summary(), level="error")


@run_failure_sensor(
    name="report_dead_letters",
    minimum_interval_seconds=30,
    default_status=DefaultSensorStatus.RUNNING,
    description="Reports runs that failed for good (dead letters) to the logs and Sentry.",
)
def report_dead_letters(context: RunFailureSensorContext) -> None:
    run = context.dagster_run
    if not is_final_failure(run):
        context.log.info(f"run {run.run_id[:8]} failed; the daemon will retry it")
        return
    if will_be_resumed(context.instance, run):
        context.log.info(f"run {run.run_id[:8]} was cut short; resume_interrupted_leads reruns it")
        return
    for report in dead_letter_reports(context.instance, run):
        context.log.warning(report.summary())
        send_to_sentry(report)
