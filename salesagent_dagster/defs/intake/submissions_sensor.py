"""The sensor that turns new HubSpot form submissions into per-lead runs.

The inbox in the app DB is the source of truth, not a Dagster cursor: a submission is
stored before it gets a partition, and it is asked for again on every tick until Dagster
holds a run for it (`run_key` = partition key, so asking twice never makes two runs). A
crash anywhere between HubSpot and the run loses nothing (DESIGN I-9). Submissions the
webhook pushed are claimed by its run starter (services/pushed_runs.py) and left to it,
unless a claim a minute old still has no run.

A lead gets its own run here only while a run slot is free for it: leads beyond the free
slots would only wait in the run queue, so they are left to the `lead_backlog` sensor, which
carries them in batch runs (services/lead_batching.py). A lead the backlog sensor has not
taken within BACKLOG_GRACE (that sensor stopped) gets its own run after all. Each lead is
claimed in the inbox before its run is asked for, so the two sensors never both take it.
"""

from datetime import UTC, datetime, timedelta

from dagster import (
    DefaultSensorStatus,
    RunRequest,
    RunsFilter,
    SensorEvaluationContext,
    SensorResult,
    sensor,
)

from salesagent_dagster.defs.intake.form_polling import poll_form_submissions
from salesagent_dagster.defs.partitions import submissions_partitions
from salesagent_dagster.resources.app_store import AppStoreResource
from salesagent_dagster.resources.hubspot import HubSpotResource
from salesagent_dagster.resources.outreach_settings import OutreachSettings
from salesagent_dagster.services.lead_batching import batches_with_runs, free_run_slots
from salesagent_dagster.store import inbox, lead_batches

MAX_RUNS_PER_TICK = 200
# A claim younger than this may still be starting its run; one older than the window is
# history (its lead failed in its run, which the run's retries and the dead letters handle).
CLAIM_GRACE = timedelta(seconds=60)
CLAIM_SWEEP_WINDOW = timedelta(hours=1)
BACKLOG_GRACE = timedelta(seconds=30)
RUN_KEY_TAG = "dagster/run_key"


@sensor(
    job_name="process_lead",  # defined by the leads folder
    minimum_interval_seconds=1,
    default_status=DefaultSensorStatus.RUNNING,
    description=(
        "Polls HubSpot form submissions, stores them, requests a run per lead while a run "
        "slot is free for it (the rest go in batches: lead_backlog)."
    ),
)
def hubspot_submissions(
    context: SensorEvaluationContext,
    hubspot: HubSpotResource,
    app_store: AppStoreResource,
    outreach: OutreachSettings,
) -> SensorResult:
    report = poll_form_submissions(hubspot, app_store.session, outreach.fingerprint)
    for form_id, error in report.form_errors.items():
        context.log.warning(f"form {form_id}: {error}; will try again next tick")
    if report.new_accepted or report.new_rejected:
        context.log.info(
            f"stored {report.new_accepted} new submissions, rejected {report.new_rejected}"
        )
    now = datetime.now(UTC)
    free = free_run_slots(context.instance)
    with app_store.session() as session:
        pending_rows = inbox.undispatched(session, MAX_RUNS_PER_TICK)
        pending = [row.partition_key for row in pending_rows]
        # Leads the webhook (or a batch request) claimed whose run never made a lead:
        # started, or lost (a starter that died between claim and launch). The run key
        # checks below tell which; a lead of a batch that has no run gets its own.
        claimed = inbox.unstarted_dispatches(
            session, now - CLAIM_GRACE, now - CLAIM_SWEEP_WINDOW, MAX_RUNS_PER_TICK
        )
        running = keys_with_runs(context, pending + claimed)
        batches = lead_batches.batches_of(session, claimed)
        started_batches = batches_with_runs(context.instance, batches)
        running |= {key for batch in started_batches for key in batches[batch]}
        inbox.mark_dispatched(session, sorted(running & set(pending)))
        waiting = [row for row in pending_rows if row.partition_key not in running]
        own_runs = [row.partition_key for row in waiting[:free]] + [
            row.partition_key for row in waiting[free:] if row.received_at < now - BACKLOG_GRACE
        ]
        own = inbox.claim_dispatch(session, own_runs)
    to_request = own + [key for key in claimed if key not in running]
    left = len(waiting) - len(own)
    if not to_request:
        reason = f"{left} leads wait for a batch run" if left > 0 else "no new submissions"
        return SensorResult(skip_reason=reason)
    return SensorResult(
        run_requests=[RunRequest(run_key=key, partition_key=key) for key in to_request],
        dynamic_partitions_requests=[submissions_partitions.build_add_request(to_request)],
    )


def keys_with_runs(context: SensorEvaluationContext, keys: list[str]) -> set[str]:
    """Which of these submissions Dagster already holds a run for."""
    if not keys:
        return set()
    runs = context.instance.get_runs(filters=RunsFilter(tags={RUN_KEY_TAG: keys}))
    return {run.tags[RUN_KEY_TAG] for run in runs if RUN_KEY_TAG in run.tags}
