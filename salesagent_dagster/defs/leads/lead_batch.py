"""`process_lead_batch`: several leads in one run, when leads are waiting for a run slot.

Why a job of its own, and not Dagster's single-run backfill of `process_lead` over a
partition range: in a range backfill each asset is one step for every partition in it, so
one lead's HubSpot 400 fails the `enrichment` step of all of them and a step retry repeats
all of them; and a range of dynamic partitions is a range in key order, not the set of leads
that happen to be waiting (our keys are random). Here one op splits the batch into one
mapped step per lead (mapping key = the lead's opaque partition key), and each mapped step
runs the very stages the per-lead assets run (`save_lead`, `enrich_lead`, `write_draft`, the
safety checks, `decide_send`, compose, send, HubSpot log), with the retry policy the send
path has: a failing lead fails and retries its own step only, the others go on, and
re-executing the batch from failure runs only the failed leads again (the send ledger keeps
each lead to one send, DESIGN I-1).

Each step reports what the single-lead run reports, per partition: a materialization of
`lead`, `enrichment`, `draft`, `send_decision` and `sent_email` (same metadata) and the
seven `draft` check evaluations aimed at the lead's `draft` materialization, as the asset
checks report them, but carrying the lead's partition: Dagster keeps one check execution row
per run, check and partition, so in a shared run the leads' rows would overwrite each other
without it. A lead whose step fails for good reports the assets it did not make as
planned, as a single-lead run plans them, so its partitions show failed once the run has
failed. So the asset pages, the check history and a re-run of a partition from the UI are
as for any other lead. Which leads a batch carries is recorded
in the app DB (`lead_batch_members`) before any lead's step runs: erasure and retention
find the batch's runs through it (DESIGN I-7).
"""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from dagster import (
    AssetCheckEvaluation,
    AssetCheckSeverity,
    AssetKey,
    AssetMaterialization,
    AssetRecordsFilter,
    Config,
    DagsterEventType,
    DynamicOut,
    DynamicOutput,
    Failure,
    InputContext,
    IOManager,
    OpExecutionContext,
    OutputContext,
    RetryRequested,
    in_process_executor,
    io_manager,
    job,
    op,
)
from dagster._core.definitions.asset_checks.asset_check_evaluation import (
    AssetCheckEvaluationTargetMaterializationData,  # no public name; the checks' own record
)
from dagster._core.events import AssetMaterializationPlannedData, DagsterEvent

from salesagent_dagster.defs.failure_policy import (
    EXTERNAL_CALL_RETRIES,
    external_call_retry_policy,
)
from salesagent_dagster.defs.leads.draft_assets import decide_send, write_draft
from salesagent_dagster.defs.leads.lead_assets import enrich_lead, save_lead
from salesagent_dagster.defs.leads.send_graph import (
    compose_lead_message,
    log_lead_to_hubspot,
    send_lead_message,
)
from salesagent_dagster.domain.safety.draft_review import SafetyReport
from salesagent_dagster.resources.app_store import AppStoreResource
from salesagent_dagster.resources.gmail import GmailResource
from salesagent_dagster.resources.hubspot import HubSpotResource
from salesagent_dagster.resources.outreach_settings import OutreachSettings
from salesagent_dagster.services.draft_safety import check_latest_draft, check_outcomes
from salesagent_dagster.services.run_tags import BATCH_JOB, BATCH_TAG, BATCHED_LEAD_OP
from salesagent_dagster.store import lead_batches

LEAD_KEY, ENRICHMENT_KEY, DRAFT_KEY = AssetKey("lead"), AssetKey("enrichment"), AssetKey("draft")
SEND_DECISION_KEY, SENT_EMAIL_KEY = AssetKey("send_decision"), AssetKey("sent_email")
LEAD_ASSET_KEYS = (LEAD_KEY, ENRICHMENT_KEY, DRAFT_KEY, SEND_DECISION_KEY, SENT_EMAIL_KEY)
CHECKS = "draft checks"  # the stage name of the check evaluations, for resuming a retry


class LeadBatchConfig(Config):
    partition_keys: list[str]


class LeadKeyIOManager(IOManager):
    """A lead's mapped step reads its lead from its own mapping key: nothing is written for
    it, and a re-execution from failure needs no output of the parent run (an in-process
    run keeps outputs in memory only)."""

    def handle_output(self, context: OutputContext, obj: object) -> None:
        return None

    def load_input(self, context: InputContext) -> str:
        upstream = context.upstream_output
        if upstream is None or upstream.mapping_key is None:
            raise LookupError("a batched lead's step must be mapped from split_lead_batch")
        return upstream.mapping_key


@io_manager
def lead_key_io_manager() -> LeadKeyIOManager:
    return LeadKeyIOManager()


@op(
    out=DynamicOut(str, io_manager_key="lead_key_io_manager"),
    description="Records which leads the batch carries, then one mapped step per lead.",
)
def split_lead_batch(
    context: OpExecutionContext, config: LeadBatchConfig, app_store: AppStoreResource
) -> Iterator[DynamicOutput[str]]:
    keys = list(dict.fromkeys(config.partition_keys))
    batch_key = context.run.tags.get(BATCH_TAG)
    if batch_key is None:  # launched by hand (Launchpad, a test): give the batch its key
        batch_key = lead_batches.new_batch_key()
        context.instance.add_run_tags(context.run_id, {BATCH_TAG: batch_key})
    with app_store.session() as session:
        known = lead_batches.batches_of(session, keys).get(batch_key, set())
        lead_batches.record_batch(session, batch_key, [key for key in keys if key not in known])
    for key in keys:
        yield DynamicOutput(key, mapping_key=key)


@op(
    name=BATCHED_LEAD_OP,  # its mapped steps, `process_batched_lead[<key>]`, name the leads
    out={},  # it reports events only: nothing for a later step to read
    retry_policy=external_call_retry_policy,
    # As `send_via_gmail`: the Gmail call happens inside this step.
    pool="gmail_send",
    description="One lead through the stages of lead -> ... -> sent_email, reported per partition.",
)
def process_batched_lead(
    context: OpExecutionContext,
    key: str,
    app_store: AppStoreResource,
    hubspot: HubSpotResource,
    gmail: GmailResource,
    outreach: OutreachSettings,
) -> Iterator[AssetMaterialization | AssetCheckEvaluation]:
    # A retry of this step resumes after what an earlier attempt already reported.
    done = _reported_earlier(context) if context.retry_number else set()
    resources = _Resources(app_store, hubspot, gmail, outreach)
    try:
        for event in _lead_stages(context, key, done, resources):
            if isinstance(event, AssetMaterialization):
                done.add(event.asset_key.to_user_string())
            yield event
    except Exception as exc:
        if _is_final(exc, context.retry_number):
            _report_not_materialized(context, key, done)
        raise


@dataclass(frozen=True)
class _Resources:
    app_store: AppStoreResource
    hubspot: HubSpotResource
    gmail: GmailResource
    outreach: OutreachSettings


def _lead_stages(
    context: OpExecutionContext, key: str, done: set[str], r: _Resources
) -> Iterator[AssetMaterialization | AssetCheckEvaluation]:
    """The single-lead run's steps, in its order, each reported as its asset (or checks)."""
    log = context.log
    if LEAD_KEY.to_user_string() not in done:
        with _not_retried():
            saved = save_lead(key, r.app_store, r.outreach)
        yield _materialization(LEAD_KEY, key, saved)
    if ENRICHMENT_KEY.to_user_string() not in done:
        metadata = enrich_lead(key, log, r.app_store, r.hubspot, r.gmail, r.outreach)
        if metadata is None:
            return
        yield _materialization(ENRICHMENT_KEY, key, metadata)
    if DRAFT_KEY.to_user_string() not in done:
        with _not_retried():
            metadata = write_draft(key, log, r.app_store, r.gmail, r.outreach)
        if metadata is None:
            return
        yield _materialization(DRAFT_KEY, key, metadata)
    if CHECKS not in done:
        with _not_retried():
            checked = check_latest_draft(r.app_store, r.gmail, r.outreach, key)
        yield from _check_evaluations(context, key, checked)
    if SEND_DECISION_KEY.to_user_string() not in done:
        with _not_retried():
            metadata = decide_send(key, log, r.app_store, r.gmail, r.outreach)
        if metadata is None:
            return
        yield _materialization(SEND_DECISION_KEY, key, metadata)
    with _not_retried():
        composed = compose_lead_message(key, log, r.app_store, r.gmail, r.outreach)
    if not composed or send_lead_message(context, key, r.app_store, r.gmail, r.outreach) is None:
        return
    logged = log_lead_to_hubspot(key, r.app_store, r.hubspot)
    yield _materialization(SENT_EMAIL_KEY, key, logged)


def _is_final(exc: Exception, retry_number: int) -> bool:
    """Whether this failure ends the lead's step for good (no retry of it follows)."""
    if isinstance(exc, RetryRequested):
        return retry_number >= exc.max_retries
    if isinstance(exc, Failure) and not exc.allow_retries:
        return True
    return retry_number >= EXTERNAL_CALL_RETRIES


def _report_not_materialized(context: OpExecutionContext, key: str, done: set[str]) -> None:
    """What a single-lead run records for the assets it planned and did not make: a planned
    materialization for the lead's partition, so that once the run has failed the asset
    pages show the partition failed (Dagster counts planned-but-missing in a failed run),
    not merely missing."""
    step_key = context.get_step_execution_context().step.key
    for asset_key in LEAD_ASSET_KEYS:
        if asset_key.to_user_string() in done:
            continue
        event = DagsterEvent.build_asset_materialization_planned_event(
            context.job_name, step_key, AssetMaterializationPlannedData(asset_key, partition=key)
        )
        context.instance.report_dagster_event(event, run_id=context.run_id)


@job(
    name=BATCH_JOB,
    executor_def=in_process_executor,
    description="Several waiting leads in one run; each lead's step stands or fails alone.",
)
def process_lead_batch() -> None:
    split_lead_batch().map(process_batched_lead)


def _materialization(
    asset_key: AssetKey, key: str, metadata: dict[str, Any]
) -> AssetMaterialization:
    return AssetMaterialization(asset_key=asset_key, partition=key, metadata=metadata)


def _check_evaluations(
    context: OpExecutionContext, key: str, checked: tuple[int, SafetyReport] | None
) -> Iterator[AssetCheckEvaluation]:
    """The `draft_safety_checks` results, as that multi-asset check reports them, each
    naming the draft materialization it checked and the lead's partition."""
    if checked is None:
        raise Failure(description=f"{key}: no draft to check", allow_retries=False)
    target = _latest_materialization(context, DRAFT_KEY, key)
    for outcome in check_outcomes(*checked):
        yield AssetCheckEvaluation(
            asset_key=DRAFT_KEY,
            check_name=outcome.name,
            passed=outcome.passed,
            metadata=outcome.metadata,
            severity=AssetCheckSeverity.ERROR if outcome.hard else AssetCheckSeverity.WARN,
            target_materialization_data=target,
            blocking=False,
            partition=key,
        )


def _latest_materialization(
    context: OpExecutionContext, asset_key: AssetKey, key: str
) -> AssetCheckEvaluationTargetMaterializationData | None:
    records = context.instance.fetch_materializations(
        AssetRecordsFilter(asset_key=asset_key, asset_partitions=[key]), limit=1
    ).records
    if not records:
        return None
    return AssetCheckEvaluationTargetMaterializationData(
        storage_id=records[0].storage_id,
        run_id=records[0].event_log_entry.run_id,
        timestamp=records[0].timestamp,
    )


def _reported_earlier(context: OpExecutionContext) -> set[str]:
    """The assets (and the checks) this step's earlier attempts in this run reported."""
    step_key = context.get_step_execution_context().step.key
    done: set[str] = set()
    for event_type in (
        DagsterEventType.ASSET_MATERIALIZATION,
        DagsterEventType.ASSET_CHECK_EVALUATION,
    ):
        for record in context.instance.get_records_for_run(
            context.run_id, of_type=event_type
        ).records:
            entry = record.event_log_entry
            if entry.step_key != step_key or entry.dagster_event is None:
                continue
            if event_type == DagsterEventType.ASSET_CHECK_EVALUATION:
                done.add(CHECKS)
            elif entry.dagster_event.asset_key is not None:
                done.add(entry.dagster_event.asset_key.to_user_string())
    return done


@contextmanager
def _not_retried() -> Iterator[None]:
    """The stages the single-lead run has no retry policy for (`lead`, `draft`, the checks,
    `send_decision`, composing) fail this lead's step at once, as they fail there."""
    try:
        yield
    except (Failure, RetryRequested):
        raise
    except Exception as exc:
        raise Failure(
            description=f"{type(exc).__name__}: {exc}",
            metadata={"error_class": type(exc).__name__},
            allow_retries=False,
        ) from exc
