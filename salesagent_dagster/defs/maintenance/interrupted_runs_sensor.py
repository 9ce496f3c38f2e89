"""`resume_interrupted_leads`: one more run for each lead a shutdown cut short, where Dagster's
own run retry gave up because the code location was away (services.interrupted_runs)."""

from __future__ import annotations

from dagster import (
    DefaultSensorStatus,
    RunRequest,
    SensorEvaluationContext,
    SensorResult,
    sensor,
)

from salesagent_dagster.services.dead_letters import JOB_NAME
from salesagent_dagster.services.interrupted_runs import RESUMED_AFTER_TAG, interrupted_leads


@sensor(
    name="resume_interrupted_leads",
    job_name=JOB_NAME,  # defined by the leads folder
    minimum_interval_seconds=15,
    default_status=DefaultSensorStatus.RUNNING,
    description="Runs again the leads whose run a shutdown cut short and Dagster will not retry.",
)
def resume_interrupted_leads(context: SensorEvaluationContext) -> SensorResult:
    found = interrupted_leads(context.instance)
    for lead in found:
        context.log.info(
            f"lead {lead.partition_key}: run {lead.run_id[:8]} was cut short "
            f"(attempt {lead.attempts}); running it again"
        )
    return SensorResult(
        run_requests=[
            # One request per failed run: a later sweep asks for the same key, never a second.
            RunRequest(
                run_key=f"{lead.partition_key}:after:{lead.run_id}",
                partition_key=lead.partition_key,
                tags={RESUMED_AFTER_TAG: lead.run_id},
            )
            for lead in found
        ]
    )
