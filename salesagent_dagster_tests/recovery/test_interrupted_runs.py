"""A lead whose run a shutdown cut short (failed with no step failing, Dagster not retrying it)
is run once more, within the same budget of started attempts as Dagster's run retries (a run
whose launch failed never tried the lead); a step failure never is, and is reported as a dead
letter instead (DESIGN I-5)."""

from collections.abc import Iterator

from dagster import (
    Config,
    DagsterInstance,
    DynamicOut,
    DynamicOutput,
    build_sensor_context,
    job,
    op,
)
from dagster._core.errors import DagsterExecutionInterruptedError

from salesagent_dagster.defs.maintenance.interrupted_runs_sensor import resume_interrupted_leads
from salesagent_dagster.services.interrupted_runs import (
    LAUNCH_FAILURES_PER_ATTEMPT,
    RESUMED_AFTER_TAG,
    WILL_RETRY_TAG,
    interrupted_leads,
    will_be_resumed,
)
from salesagent_dagster.services.lead_batching import batch_config
from salesagent_dagster.services.run_tags import (
    BATCH_JOB,
    BATCH_TAG,
    BATCHED_LEAD_OP,
    PARTITION_TAG,
)

RETRIES = {"run_retries": {"enabled": True, "max_retries": 2}}  # dagster.yaml's


class Refused(Exception):
    pass


@op
def stopped_mid_step() -> None:
    raise DagsterExecutionInterruptedError()  # what SIGTERM raises in a run worker's step


@job(name="process_lead")
def interrupted_lead() -> None:
    stopped_mid_step()


@op
def refuse() -> None:
    raise Refused("a permanent answer")


@job(name="process_lead")
def refused_lead() -> None:
    refuse()


def retry_given_up(instance: DagsterInstance, run_id: str) -> str:
    """What the daemon records when its retry cannot launch ("Failed to retry run": the code
    location did not answer): until then the run is Dagster's to retry, not ours."""
    assert instance.get_run_by_id(run_id).tags[WILL_RETRY_TAG] == "true"
    assert not will_be_resumed(instance, instance.get_run_by_id(run_id))
    instance.add_run_tags(run_id, {WILL_RETRY_TAG: "false"})
    return run_id


def interrupted(instance: DagsterInstance, key: str) -> str:
    """A run that started and was cut short mid-step by a SIGTERM to the code server."""
    result = interrupted_lead.execute_in_process(
        instance=instance, tags={PARTITION_TAG: key}, raise_on_error=False
    )
    return retry_given_up(instance, result.run_id)


def never_launched(instance: DagsterInstance, key: str) -> str:
    """A run whose launch failed (the server was away): it never tried the lead."""
    run = instance.create_run_for_job(interrupted_lead, tags={PARTITION_TAG: key})
    instance.report_run_failed(run)
    return retry_given_up(instance, run.run_id)


def test_a_cut_short_run_is_resumed_once_per_failure_within_the_budget():
    with DagsterInstance.ephemeral(settings=RETRIES) as instance:
        first = interrupted(instance, "sub_a")
        assert [(lead.partition_key, lead.run_id) for lead in interrupted_leads(instance)] == [
            ("sub_a", first)
        ]
        result = resume_interrupted_leads(build_sensor_context(instance=instance))
        (request,) = result.run_requests
        assert request.partition_key == "sub_a" and request.tags[RESUMED_AFTER_TAG] == first
        assert request.run_key == f"sub_a:after:{first}"  # the same request on every sweep

        interrupted(instance, "sub_a")
        assert [lead.attempts for lead in interrupted_leads(instance)] == [2]
        third = interrupted(instance, "sub_a")  # 1 + max_retries attempts: a dead letter now
        assert interrupted_leads(instance) == []
        assert not will_be_resumed(instance, instance.get_run_by_id(third))


def test_failed_launches_spend_no_attempt_but_are_capped():
    with DagsterInstance.ephemeral(settings=RETRIES) as instance:
        for _ in range(3):  # as many as Dagster's own retries would spend on launch failures
            last = never_launched(instance, "sub_c")
        assert [(lead.run_id, lead.attempts) for lead in interrupted_leads(instance)] == [(last, 0)]
        for _ in range(3 * LAUNCH_FAILURES_PER_ATTEMPT - 3):
            last = never_launched(instance, "sub_c")
        assert interrupted_leads(instance) == []
        assert not will_be_resumed(instance, instance.get_run_by_id(last))


def test_a_step_failure_is_never_resumed():
    with DagsterInstance.ephemeral(settings=RETRIES) as instance:
        failed = refused_lead.execute_in_process(
            instance=instance, tags={PARTITION_TAG: "sub_b"}, raise_on_error=False
        )
        assert not failed.success
        assert interrupted_leads(instance) == []
        assert not will_be_resumed(instance, failed.dagster_run)


class BatchKeys(Config):
    partition_keys: list[str]


@op(out=DynamicOut(str))
def split_lead_batch(config: BatchKeys) -> Iterator[DynamicOutput[str]]:
    for key in config.partition_keys:
        yield DynamicOutput(key, mapping_key=key)


@op(name=BATCHED_LEAD_OP)
def batched_lead(key: str) -> None:
    if key == "sub_late":  # the shutdown came while this lead's step ran
        raise DagsterExecutionInterruptedError()


@job(name=BATCH_JOB)
def cut_short_batch() -> None:
    split_lead_batch().map(batched_lead)


def test_a_batch_run_cut_short_resumes_its_unfinished_leads_in_runs_of_their_own():
    with DagsterInstance.ephemeral(settings=RETRIES) as instance:
        result = cut_short_batch.execute_in_process(
            instance=instance,
            run_config=batch_config(["sub_done", "sub_late"]),
            tags={BATCH_TAG: "batch_1"},
            raise_on_error=False,
        )
        batch = retry_given_up(instance, result.run_id)
        # The lead whose step finished is done; the one cut short is run again, alone.
        assert [(lead.partition_key, lead.run_id) for lead in interrupted_leads(instance)] == [
            ("sub_late", batch)
        ]
        assert will_be_resumed(instance, instance.get_run_by_id(batch))
        (request,) = resume_interrupted_leads(build_sensor_context(instance=instance)).run_requests
        assert request.partition_key == "sub_late" and request.job_name in (None, "process_lead")
        assert request.tags[RESUMED_AFTER_TAG] == batch

        # Its own run then counts as its next attempt, as for any lead.
        interrupted(instance, "sub_late")
        assert [lead.attempts for lead in interrupted_leads(instance)] == [2]
