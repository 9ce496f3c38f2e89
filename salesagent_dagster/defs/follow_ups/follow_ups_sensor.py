"""`follow_ups`: releases the follow-up steps that are due, one run each.

A cheap query on the schedule (state, due time). While the kill switch is on nothing is
released; the run re-checks every gate anyway (DESIGN I-2). The run key is
`follow_up:<key>:<step>`, so a step is requested once however often the sensor ticks.
"""

from dagster import DefaultSensorStatus, RunRequest, SensorEvaluationContext, SensorResult, sensor

from salesagent_dagster.defs.follow_ups.jobs import send_follow_up_job, step_run_config
from salesagent_dagster.resources.app_store import AppStoreResource
from salesagent_dagster.resources.outreach_settings import OutreachSettings
from salesagent_dagster.services.follow_ups import release_due_steps
from salesagent_dagster.store import controls

FOLLOW_UP_STEP_TAG = "salesagent/follow_up_step"


@sensor(
    name="follow_ups",
    job=send_follow_up_job,
    minimum_interval_seconds=30,
    default_status=DefaultSensorStatus.RUNNING,
    description="Requests a send_follow_up run for each follow-up step that is due.",
)
def follow_ups_sensor(
    context: SensorEvaluationContext, app_store: AppStoreResource, outreach: OutreachSettings
) -> SensorResult:
    with app_store.session() as session:
        if controls.kill_switch_on(session, forced=outreach.kill_switch_forced):
            return SensorResult(skip_reason="kill switch is on; no follow-up is released")
        released = release_due_steps(session)
    if not released:
        return SensorResult(skip_reason="no follow-up step is due")
    return SensorResult(
        run_requests=[
            RunRequest(
                run_key=step.run_key,
                partition_key=step.partition_key,
                run_config=step_run_config(step.step),
                tags={FOLLOW_UP_STEP_TAG: str(step.step)},
            )
            for step in released
        ]
    )
