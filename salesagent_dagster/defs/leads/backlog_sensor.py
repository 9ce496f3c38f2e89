"""`lead_backlog`: leads waiting behind busy run slots go together, in batch runs.

The intake sensor and the webhook give a lead its own `process_lead` run while a run slot
is free for it (a lone lead is never held back). Leads beyond the free slots would only wait
in the run queue, each to pay a run worker start of its own; this sensor claims them in the
inbox and asks for `process_lead_batch` runs of at most MAX_BATCH leads instead: as few as
that takes (rounded up to a multiple of the run slots, so that the last round keeps every
slot busy), of even sizes, oldest leads first. Once leads outnumber the free slots all of
them go into batches (the first batch starts in the free slot at once), since the intake
sensor, evaluated beside this one, may not have taken its share yet. The batch's
members are recorded in the app DB with the claim, in one transaction, before the run
exists; its run key (= the batch key) lets the intake sensor's sweep see that a claimed lead
has a run, and gives the leads of a batch whose run was never created their own runs.
"""

from dagster import (
    DefaultSensorStatus,
    RunRequest,
    SensorEvaluationContext,
    SensorResult,
    sensor,
)

from salesagent_dagster.defs.leads.lead_batch import process_lead_batch
from salesagent_dagster.defs.partitions import submissions_partitions
from salesagent_dagster.resources.app_store import AppStoreResource
from salesagent_dagster.services.lead_batching import (
    MAX_BATCH,
    batch_config,
    free_run_slots,
    run_slots,
    split_into_batches,
)
from salesagent_dagster.services.run_tags import BATCH_TAG
from salesagent_dagster.store import inbox, lead_batches

MAX_LEADS_PER_TICK = 200
BATCH_SIZE_TAG = "salesagent/batch_size"


@sensor(
    job=process_lead_batch,
    minimum_interval_seconds=1,
    default_status=DefaultSensorStatus.RUNNING,
    description="Carries leads waiting behind busy run slots in batch runs (<= 20 leads).",
)
def lead_backlog(context: SensorEvaluationContext, app_store: AppStoreResource) -> SensorResult:
    free = free_run_slots(context.instance)
    with app_store.session() as session:
        pending = [row.partition_key for row in inbox.undispatched(session, MAX_LEADS_PER_TICK)]
        if len(pending) <= free:
            # Each has a free slot: the intake sensor gives it its own run at once.
            return SensorResult(skip_reason=f"{len(pending)} waiting, {free} run slots free")
        claimed = inbox.claim_dispatch(session, pending)
        batches = [
            (lead_batches.new_batch_key(), keys)
            for keys in split_into_batches(claimed, MAX_BATCH, run_slots(context.instance))
        ]
        for batch_key, keys in batches:
            lead_batches.record_batch(session, batch_key, keys)
    if not claimed:
        return SensorResult(skip_reason="the waiting leads were taken by another path")
    context.log.info(f"{len(claimed)} waiting leads in {len(batches)} batch runs")
    return SensorResult(
        run_requests=[
            RunRequest(
                run_key=batch_key,
                run_config=batch_config(keys),
                tags={BATCH_TAG: batch_key, BATCH_SIZE_TAG: str(len(keys))},
            )
            for batch_key, keys in batches
        ],
        dynamic_partitions_requests=[submissions_partitions.build_add_request(claimed)],
    )
