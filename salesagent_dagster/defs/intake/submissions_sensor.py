"""The sensor that turns new HubSpot form submissions into per-lead runs.

Two cursors, each owned by the side it describes: the inbox's per-form watermark (how far
HubSpot has been read, in the app DB) and this sensor's cursor (the last inbox row handed to
Dagster). A submission is in the inbox before it gets a partition, and gets at most one run
because the run key is its partition key.
"""

import json

from dagster import (
    DefaultSensorStatus,
    RunRequest,
    SensorEvaluationContext,
    SensorResult,
    sensor,
)

from salesagent_dagster.defs.intake.form_polling import poll_form_submissions
from salesagent_dagster.defs.intake.partitions import submissions_partitions
from salesagent_dagster.defs.leads.jobs import process_lead_job
from salesagent_dagster.resources.app_store import AppStoreResource
from salesagent_dagster.resources.hubspot import HubSpotResource
from salesagent_dagster.store import inbox

MAX_RUNS_PER_TICK = 200


def read_cursor(cursor: str | None) -> int:
    if not cursor:
        return 0
    try:
        return int(json.loads(cursor).get("last_inbox_id", 0))
    except (ValueError, AttributeError):
        return 0


@sensor(
    job=process_lead_job,
    minimum_interval_seconds=1,
    default_status=DefaultSensorStatus.RUNNING,
    description="Polls HubSpot form submissions, stores them, requests one run per lead.",
)
def hubspot_submissions(
    context: SensorEvaluationContext, hubspot: HubSpotResource, app_store: AppStoreResource
) -> SensorResult:
    report = poll_form_submissions(hubspot, app_store.session)
    for form_id, error in report.form_errors.items():
        context.log.warning(f"form {form_id}: {error}; will try again next tick")
    last_id = read_cursor(context.cursor)
    with app_store.session() as session:
        pending = [
            (row.id, row.partition_key)
            for row in inbox.accepted_after(session, last_id, MAX_RUNS_PER_TICK)
        ]
    if report.new_accepted or report.new_rejected:
        context.log.info(
            f"stored {report.new_accepted} new submissions, rejected {report.new_rejected}"
        )
    if not pending:
        return SensorResult(skip_reason="no new submissions", cursor=context.cursor)
    keys = [key for _, key in pending]
    return SensorResult(
        run_requests=[RunRequest(run_key=key, partition_key=key) for key in keys],
        dynamic_partitions_requests=[submissions_partitions.build_add_request(keys)],
        cursor=json.dumps({"last_inbox_id": pending[-1][0]}),
    )
