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
whole budget so in one drill), and asks for one more run of each. A lead of a batch run
that was cut short before its own step finished is resumed the same way, in a run of its own. The send ledger keeps a second
run harmless (I-1). A step failure is never resumed: a permanent error is a decision, and a
transient one has had its step retries.
"""

from __future__ import annotations

from dataclasses import dataclass

from dagster import DagsterInstance, DagsterRun, DagsterRunStatus

from salesagent_dagster.services.dead_letters import LeadAttempt, failed_lead_attempts

WILL_RETRY_TAG = "dagster/will_retry"
FAILURE_REASON_TAG = "dagster/failure_reason"
STEP_FAILURE = "STEP_FAILURE"
# What a run worker's step raises when a shutdown stops it: the step did not fail.
INTERRUPTED = "DagsterExecutionInterruptedError"
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
    """Whether the sweep runs this failed run's lead, or a lead of this batch run, again (so
    it is no dead letter yet)."""
    return cut_short(run) and any(lead.run_id == run.run_id for lead in interrupted_leads(instance))


def interrupted_leads(instance: DagsterInstance) -> list[InterruptedLead]:
    """Leads to run again now, oldest failure first: those whose latest attempt, their own
    run or their step of a batch run, was cut short (a batch lead resumes in a run of its
    own), with started attempts left in the budget."""
    budget = attempt_budget(instance)
    found = []
    for key, tries in failed_lead_attempts(instance, RECENT_RUNS).items():
        latest = max(tries, key=lambda attempt: attempt.at)
        if latest.step is not None and latest.error_class != INTERRUPTED:
            continue  # its own step of a batch run failed: a decision, not a shutdown
        run = instance.get_run_by_id(latest.run_id)
        if run is None or not cut_short(run):
            continue
        attempts = _started(tries, budget)
        if attempts < budget:
            found.append((latest.at, InterruptedLead(key, run.run_id, attempts)))
    return [lead for _, lead in sorted(found, key=lambda pair: pair[0])]


def _started(tries: list[LeadAttempt], budget: int) -> int:
    """Attempts that started executing (a run whose launch failed never tried the lead: for
    some seconds after a code server restart the daemon's launches fail, and its own retries
    can spend their whole budget so). Capped: no more than LAUNCH_FAILURES_PER_ATTEMPT
    attempts per attempt of the budget in all, however their launches went."""
    if len(tries) >= budget * LAUNCH_FAILURES_PER_ATTEMPT:
        return budget
    return sum(1 for attempt in tries if attempt.started)
