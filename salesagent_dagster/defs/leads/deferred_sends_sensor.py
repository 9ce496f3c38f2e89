"""Brings back approved leads whose send was deferred by a limit or held by the kill switch,
once their window has room and the switch is off.

Only `sent_email` is re-run: the lead, its enrichment, draft and decision stand, and every
gate is checked again at send time (DESIGN I-2).
"""

from dagster import DefaultSensorStatus, RunRequest, SensorEvaluationContext, SensorResult, sensor

from salesagent_dagster.defs.leads.jobs import process_lead_job
from salesagent_dagster.defs.leads.send_graph import sent_email
from salesagent_dagster.resources.app_store import AppStoreResource
from salesagent_dagster.resources.outreach_settings import OutreachSettings
from salesagent_dagster.store import controls, deferrals

MAX_RESUMED_PER_TICK = 50


@sensor(
    job=process_lead_job,
    # Every daemon pass (5 s at most): the undo window closes on time, and the queries are
    # indexed (next_attempt_at) and capped per tick.
    minimum_interval_seconds=5,
    default_status=DefaultSensorStatus.RUNNING,
    description="Re-runs sent_email for deferred or held sends once they may go.",
)
def deferred_sends(
    context: SensorEvaluationContext, app_store: AppStoreResource, outreach: OutreachSettings
) -> SensorResult:
    with app_store.session() as session:
        if controls.kill_switch_on(session, forced=outreach.kill_switch_forced):
            held = deferrals.count_waiting(session)
            return SensorResult(skip_reason=f"kill switch is on; {held} sends waiting")
        due = [
            (row.partition_key, row.deferrals)
            for row in deferrals.due(session, MAX_RESUMED_PER_TICK)
        ]
    if not due:
        return SensorResult(skip_reason="no deferred or held sends are due")
    return SensorResult(
        run_requests=[
            RunRequest(
                run_key=f"{key}:deferred:{count}",
                partition_key=key,
                asset_selection=[sent_email.key],
                tags={"salesagent/resumed": "deferred_send"},
            )
            for key, count in due
        ]
    )
