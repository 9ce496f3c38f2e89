"""Several waiting leads in one run (`process_lead_batch`): each lead is reported, fails,
retries and is re-run on its own, as in its own run; a lone lead still gets its own run."""

from __future__ import annotations

from datetime import timedelta

import pytest
from dagster import (
    AssetCheckKey,
    AssetKey,
    AssetRecordsFilter,
    DagsterInstance,
    DagsterRun,
    DagsterRunStatus,
    ReexecutionOptions,
    build_sensor_context,
    execute_job,
    reconstructable,
)
from dagster._core.storage.partition_status_cache import (
    get_and_update_asset_status_cache_value,
)
from dagster._core.utils import make_new_run_id
from sqlalchemy import update

from salesagent_dagster.definitions import build_definitions
from salesagent_dagster.defs.maintenance.dead_letter_sensor import dead_letter_reports
from salesagent_dagster.defs.partitions import submissions_partitions
from salesagent_dagster.domain.safety.draft_review import CHECK_NAMES
from salesagent_dagster.local.demo_seed import add_submission
from salesagent_dagster.local.one_tick import run_one_tick
from salesagent_dagster.services.dead_letters import dead_letters
from salesagent_dagster.services.lead_batching import split_into_batches, step_of_lead
from salesagent_dagster.services.run_tags import BATCH_JOB, BATCH_TAG, LEAD_JOB
from salesagent_dagster.settings import resources_from_env
from salesagent_dagster.store import lead_batches, send_ledger
from salesagent_dagster.store.models import Submission, utc_now
from salesagent_dagster_tests.integration.pipeline_harness import (
    add_fault,
    gmail_state,
    process_once,
    run_backlog,
    store_waiting,
)

LEAD_ASSETS = ("lead", "enrichment", "draft", "send_decision", "sent_email")
# The sandbox's known-good domain: auto-approved, so each lead goes all the way to Gmail.
PEOPLE = (
    {"email": "ana@brightpath.io", "firstname": "Ana", "company": "BrightPath"},
    {"email": "ben@brightpath.io", "firstname": "Benedikt", "company": "BrightPath"},
    {"email": "cyd@brightpath.io", "firstname": "Cydonia", "company": "BrightPath"},
)


@pytest.fixture
def instance(sandbox, dagster_home):
    with DagsterInstance.get() as instance:
        yield instance


def materializations(instance, asset: str, key: str):
    return instance.fetch_materializations(
        AssetRecordsFilter(asset_key=AssetKey(asset), asset_partitions=[key]), limit=10
    ).records


def check_executions(instance, run_id: str) -> list:
    """The `draft` check executions a run recorded, every check."""
    return [
        record
        for name in CHECK_NAMES
        for record in instance.event_log_storage.get_asset_check_execution_history(
            AssetCheckKey(AssetKey("draft"), name), limit=1000
        )
        if record.run_id == run_id
    ]


def test_waiting_leads_share_a_run_and_each_is_reported_as_its_own_run_reports_it(
    sandbox, instance
):
    keys = store_waiting(sandbox.hubspot.url, list(PEOPLE))
    tick, batch_run = run_backlog(instance)

    assert batch_run.job_name == BATCH_JOB and batch_run.status == DagsterRunStatus.SUCCESS
    assert sorted(tick.run_ids) == sorted(keys)
    assert len(gmail_state(sandbox.gmail.url)["drafts"]) == 3
    with resources_from_env().app_store.session() as session:
        assert lead_batches.batches_of(session, keys) == {batch_run.tags[BATCH_TAG]: set(keys)}

    add_submission(sandbox.hubspot.url, {**PEOPLE[0], "email": "dee@brightpath.io"})
    single = process_once(instance)
    (lone_key,) = single.tick.run_ids
    lone_run = instance.get_run_by_id(single.tick.run_ids[lone_key])
    assert lone_run.job_name == LEAD_JOB  # a lone lead with a free slot: its own run

    for asset in LEAD_ASSETS:
        (expected,) = materializations(instance, asset, lone_key)
        for key in keys:
            (record,) = materializations(instance, asset, key)
            assert record.run_id == batch_run.run_id
            assert record.partition_key == key
            assert set(record.asset_materialization.metadata) == set(
                expected.asset_materialization.metadata
            ), asset
    singles, batched = (
        check_executions(instance, lone_run.run_id),
        check_executions(instance, batch_run.run_id),
    )
    assert len(singles) == 7 and len(batched) == 7 * 3
    drafts = {materializations(instance, "draft", key)[0].storage_id for key in keys}
    assert {r.evaluation.target_materialization_data.storage_id for r in batched} == drafts
    assert {r.status for r in batched} == {r.status for r in singles}
    # Told apart by partition in the shared run (the single run's rows are by run alone).
    assert sorted(r.partition for r in batched) == sorted(keys * 7)
    metadata_keys = {tuple(sorted(r.evaluation.metadata)) for r in singles}
    assert {tuple(sorted(r.evaluation.metadata)) for r in batched} == metadata_keys


def test_one_failing_lead_fails_only_its_own_step_and_a_rerun_sends_it_once(
    sandbox, instance, monkeypatch
):
    monkeypatch.setenv("ALLOW_REAL_SENDS", "true")
    keys = store_waiting(sandbox.hubspot.url, list(PEOPLE))
    # HubSpot refuses the first lead's contact search: a permanent error, no retry.
    add_fault(
        sandbox.hubspot.url, path="/crm/v3/objects/contacts/search", mode="status", status=400
    )
    _, batch_run = run_backlog(instance)

    assert batch_run.status == DagsterRunStatus.FAILURE
    events = [e.dagster_event for e in instance.all_logs(batch_run.run_id) if e.dagster_event]
    failed = {e.step_key for e in events if e.event_type_value == "STEP_FAILURE"}
    succeeded = {e.step_key for e in events if e.event_type_value == "STEP_SUCCESS"}
    retried = [e for e in events if e.event_type_value == "STEP_UP_FOR_RETRY"]
    (failing,) = [key for key in keys if step_of_lead(key) in failed]
    assert {step_of_lead(key) for key in keys if key != failing} <= succeeded
    assert [e for e in retried if e.step_key == step_of_lead(failing)] == []
    assert len(gmail_state(sandbox.gmail.url)["sent"]) == 2
    # A step retried meanwhile (the mailbox's send pacing) resumed after what it had
    # reported: each asset of each sent lead materialized once.
    for key in keys:
        counts = [len(materializations(instance, asset, key)) for asset in LEAD_ASSETS]
        assert counts == ([1, 0, 0, 0, 0] if key == failing else [1] * 5)
    (letter,) = dead_letters(instance)
    assert (letter.partition_key, letter.run_id) == (failing, batch_run.run_id)
    assert letter.step == step_of_lead(failing)
    assert _failed_partitions(instance, "enrichment") == {failing}  # as a single run shows it
    assert _failed_partitions(instance, "lead") == set()  # materialized before the 400
    (report,) = dead_letter_reports(instance, batch_run)  # what the sensor tells Sentry
    assert (report.partition_key, report.step) == (failing, step_of_lead(failing))
    assert report.error_class == "PermanentServiceError"

    rerun = execute_job(
        reconstructable(_definitions_job),
        instance=instance,
        reexecution_options=ReexecutionOptions.from_failure(batch_run.run_id, instance),
    )

    assert rerun.success
    steps = {e.step_key for e in rerun.all_events if e.event_type_value == "STEP_SUCCESS"}
    assert steps == {step_of_lead(failing)}  # the others are not run again
    assert len(gmail_state(sandbox.gmail.url)["sent"]) == 3
    with resources_from_env().app_store.session() as session:
        entries = [send_ledger.get_entry(session, key) for key in keys]
        assert [(e.state, e.attempts) for e in entries] == [("sent", 1)] * 3
    assert dead_letters(instance) == []
    assert _failed_partitions(instance, "enrichment") == set()


def _failed_partitions(instance, asset: str) -> set[str]:
    """The partitions the asset's page shows failed (Dagster's partition status cache)."""
    status = get_and_update_asset_status_cache_value(
        instance, AssetKey(asset), submissions_partitions
    )
    assert status is not None
    failed = status.deserialize_failed_partition_subsets(submissions_partitions)
    return set(failed.get_partition_keys())


def _definitions_job():
    return build_definitions().resolve_job_def(BATCH_JOB)


def test_the_backlog_sensor_leaves_a_lead_with_a_free_slot_to_its_own_run(sandbox, instance):
    store_waiting(sandbox.hubspot.url, list(PEOPLE[:1]))
    result = _evaluate(instance, "lead_backlog")
    assert not result.run_requests
    assert "run slots free" in result.skip_reason.skip_message


def test_a_lead_behind_busy_run_slots_waits_for_a_batch_run_not_a_run_of_its_own(sandbox, instance):
    for _ in range(2):  # max_concurrent_runs (dagster.yaml): both slots taken
        instance.add_run(
            DagsterRun(job_name=LEAD_JOB, run_id=make_new_run_id(), status=DagsterRunStatus.STARTED)
        )
    add_submission(sandbox.hubspot.url, PEOPLE[0])

    intake = run_one_tick(instance, build_definitions())

    assert intake.runs == ()
    assert intake.skip_reason == "1 leads wait for a batch run"
    tick, batch_run = run_backlog(instance)
    assert batch_run.job_name == BATCH_JOB and batch_run.status == DagsterRunStatus.SUCCESS
    (key,) = tick.run_ids
    assert len(materializations(instance, "sent_email", key)) == 1


def test_leads_of_a_batch_whose_run_never_came_get_runs_of_their_own(sandbox, instance):
    keys = store_waiting(sandbox.hubspot.url, list(PEOPLE))
    result = _evaluate(instance, "lead_backlog")  # asked for, never created (a crash)
    assert len(result.run_requests) == 1
    with resources_from_env().app_store.session() as session:
        session.execute(  # claimed two minutes ago, past the intake sensor's grace
            update(Submission)
            .where(Submission.partition_key.in_(keys))
            .values(dispatched_at=utc_now() - timedelta(minutes=2))
        )

    tick = run_one_tick(instance, build_definitions())

    assert sorted(run.partition_key for run in tick.runs) == sorted(keys)
    assert {run.job for run in tick.runs} == {LEAD_JOB}
    assert len(gmail_state(sandbox.gmail.url)["drafts"]) == 3


def _evaluate(instance, sensor_name: str):
    definitions = build_definitions()
    with build_sensor_context(
        instance=instance,
        definitions=definitions,
        sensor_name=sensor_name,
        resources=dict(definitions.resources or {}),
    ) as context:
        return definitions.resolve_sensor_def(sensor_name)(context)


def test_batches_are_even_at_most_twenty_and_fill_the_run_slots():
    keys = [f"sub_{index}" for index in range(45)]
    assert [len(b) for b in split_into_batches(keys)] == [15, 15, 15]
    assert [len(b) for b in split_into_batches(keys[:20])] == [20]
    # Rounded up to the run slots: two rounds of two, not two batches and one alone.
    assert [len(b) for b in split_into_batches(keys + keys[:3], slots=2)] == [12, 12, 12, 12]
    assert [len(b) for b in split_into_batches(keys[:3], slots=2)] == [3]
    assert [key for batch in split_into_batches(keys) for key in batch] == keys
