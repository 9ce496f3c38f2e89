"""Leads whose run a shutdown cut short are run again (DESIGN I-5: run retries cover crashes).

Dagster's run retries re-execute a crashed run from the daemon, but only when the run's code
location answers at that moment. When the code server is what stopped (a deploy, `docker
compose restart user_code`, a SIGTERM mid-burst), the retry's launch fails and Dagster marks
the run `will_retry=false` for good ("Failed to retry run"); runs whose launch failed while the
server was away end the same way. Those leads would be dead letters with nothing wrong with
them (the code server drill found four of six in one burst). So a sweep finds leads whose
newest run failed without a step failing (interrupted, crashed or never started), that Dagster
will not retry, with attempts left in the budget Dagster's own retries have (1 +
`run_retries.max_retries` runs that started; a run whose launch failed never tried the lead,
and for some seconds after a restart the daemon's launches fail: its own retries spent their
whole budget so in one drill), and asks for one more run of each. The send ledger keeps a second
run harmless (I-1). A step failure is never resumed: a permanent error is a decision, and a
transient one has had its step retries.
"""

from __future__ import annotations

from dataclasses import dataclass

from dagster import DagsterInstance, DagsterRun, DagsterRunStatus, RunsFilter

from salesagent_dagster.services.dead_letters import JOB_NAME, UNFINISHED
from salesagent_dagster.services.run_tags import PARTITION_TAG

WILL_RETRY_TAG = "dagster/will_retry"
FAILURE_REASON_TAG = "dagster/failure_reason"
STEP_FAILURE = "STEP_FAILURE"
RESUMED_AFTER_TAG = "salesagent/resumed_after"  # the failed run a resumed run follows
RECENT_RUNS = 200  # how far back a sweep looks: a shutdown's casualties are the newest runs
LAUNCH_FAILURES_PER_ATTEMPT = 4  # runs in all per attempt in the budget, launched or not


@dataclass(frozen=True)
class InterruptedLead:
    partition_key: str
    run_id: str  # its newest run, the one cut short
    attempts: int


def cut_short(run: DagsterRun) -> bool:
    """Failed without a step failing, and Dagster will not run it again."""
    return (
        run.status == DagsterRunStatus.FAILURE
        and run.tags.get(WILL_RETRY_TAG, "false").lower() != "true"
        and run.tags.get(FAILURE_REASON_TAG) != STEP_FAILURE
    )


def attempt_budget(instance: DagsterInstance) -> int:
    return 1 + (instance.run_retries_max_retries if instance.run_retries_enabled else 0)


def will_be_resumed(instance: DagsterInstance, run: DagsterRun) -> bool:
    """Whether the sweep runs this failed run's lead again (so it is no dead letter yet)."""
    key = run.tags.get(PARTITION_TAG)
    return (
        run.job_name == JOB_NAME
        and key is not None
        and cut_short(run)
        and _attempts(instance, key) < attempt_budget(instance)
    )


def interrupted_leads(instance: DagsterInstance) -> list[InterruptedLead]:
    """Leads to run again now, oldest failure first."""
    records = instance.get_run_records(filters=RunsFilter(job_name=JOB_NAME), limit=RECENT_RUNS)
    newest: dict[str, DagsterRun] = {}
    for record in records:  # newest first
        key = record.dagster_run.tags.get(PARTITION_TAG)
        if key and key not in newest:
            newest[key] = record.dagster_run
    found = []
    budget = attempt_budget(instance)
    for key, run in reversed(newest.items()):
        if not cut_short(run):
            continue
        attempts = _attempts(instance, key)
        if attempts < budget:
            found.append(InterruptedLead(key, run.run_id, attempts))
    return found


def _attempts(instance: DagsterInstance, key: str) -> int:
    """Runs of the lead that started executing (a run whose launch failed never tried the
    lead: for some seconds after a code server restart the daemon's launches fail, and its
    own retries can spend their whole budget so), or the budget when one is unfinished
    (something is running the lead: nothing to resume). Capped: no more than
    LAUNCH_FAILURES_PER_ATTEMPT runs per attempt in all, however their launches went."""
    records = instance.get_run_records(
        filters=RunsFilter(job_name=JOB_NAME, tags={PARTITION_TAG: key})
    )
    budget = attempt_budget(instance)
    if any(record.dagster_run.status in UNFINISHED for record in records):
        return budget
    if len(records) >= budget * LAUNCH_FAILURES_PER_ATTEMPT:
        return budget
    return sum(1 for record in records if record.start_time is not None)
