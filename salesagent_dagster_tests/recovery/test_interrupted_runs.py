"""A lead whose run a shutdown cut short (failed with no step failing, Dagster not retrying it)
is run once more, within the same budget as Dagster's run retries; a step failure never is, and
is reported as a dead letter instead (DESIGN I-5)."""

from __future__ import annotations

from dagster import DagsterInstance, build_sensor_context, job, op

from salesagent_dagster.defs.maintenance.interrupted_runs_sensor import resume_interrupted_leads
from salesagent_dagster.services.interrupted_runs import (
    RESUMED_AFTER_TAG,
    WILL_RETRY_TAG,
    interrupted_leads,
    will_be_resumed,
)
from salesagent_dagster.services.run_tags import PARTITION_TAG


class Refused(Exception):
    pass


@op
def step(fail: bool = False) -> None:
    pass


@job(name="process_lead")
def process_lead() -> None:
    step()


@op
def refuse() -> None:
    raise Refused("a permanent answer")


@job(name="process_lead")
def process_lead_that_fails() -> None:
    refuse()


def cut_short(instance: DagsterInstance, key: str) -> str:
    """A run that never got past its start, as a SIGTERM to the code server leaves it: failed
    with no step failing, and the daemon's retry given up ("Failed to retry run": the code
    location did not answer), which it records as will_retry=false."""
    run = instance.create_run_for_job(process_lead, tags={PARTITION_TAG: key})
    instance.report_run_failed(run)
    assert instance.get_run_by_id(run.run_id).tags[WILL_RETRY_TAG] == "true"  # at first
    assert not will_be_resumed(instance, instance.get_run_by_id(run.run_id))
    instance.add_run_tags(run.run_id, {WILL_RETRY_TAG: "false"})
    return run.run_id


def test_a_cut_short_run_is_resumed_once_per_failure_within_the_budget():
    with DagsterInstance.ephemeral(settings={"run_retries": {"enabled": True, "max_retries": 2}}) as instance:  # fmt: skip
        first = cut_short(instance, "sub_a")
        process_lead.execute_in_process(instance=instance, tags={PARTITION_TAG: "sub_done"})
        assert [(lead.partition_key, lead.run_id) for lead in interrupted_leads(instance)] == [
            ("sub_a", first)
        ]
        result = resume_interrupted_leads(build_sensor_context(instance=instance))
        (request,) = result.run_requests
        assert request.partition_key == "sub_a" and request.tags[RESUMED_AFTER_TAG] == first
        assert request.run_key == f"sub_a:after:{first}"  # the same request on every sweep

        cut_short(instance, "sub_a")
        assert [lead.attempts for lead in interrupted_leads(instance)] == [2]
        third = cut_short(instance, "sub_a")  # 1 + max_retries attempts: a dead letter now
        assert interrupted_leads(instance) == []
        assert not will_be_resumed(instance, instance.get_run_by_id(third))


def test_a_step_failure_is_never_resumed():
    with DagsterInstance.ephemeral(settings={"run_retries": {"enabled": True, "max_retries": 2}}) as instance:  # fmt: skip
        failed = process_lead_that_fails.execute_in_process(
            instance=instance, tags={PARTITION_TAG: "sub_b"}, raise_on_error=False
        )
        assert not failed.success
        assert interrupted_leads(instance) == []
        assert not will_be_resumed(instance, failed.dagster_run)
