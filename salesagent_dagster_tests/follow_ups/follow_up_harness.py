"""Drive the follow_ups sensor and the send_follow_up job against the emulators, and read
back what each step recorded (materializations, observations, the schedule, the ledger)."""

from __future__ import annotations

import time
from typing import Any

from dagster import AssetKey, DagsterInstance

from salesagent_dagster.definitions import build_definitions
from salesagent_dagster.local.demo_seed import add_submission
from salesagent_dagster.local.one_tick import TickResult, run_one_tick
from salesagent_dagster.settings import resources_from_env
from salesagent_dagster.store import follow_ups, send_ledger
from salesagent_dagster.store.models import FollowUpStepRow, SendLedgerEntry, utc_now
from salesagent_dagster_tests.integration.pipeline_harness import process_once

FOLLOW_UP_EMAIL = AssetKey("follow_up_email")
LEAD = {"email": "kim@brightpath.io", "firstname": "Kim", "company": "BrightPath"}


def first_email(sandbox: Any, instance: DagsterInstance, values: dict[str, str] | None = None):
    """One lead through process_lead; returns its outcome."""
    add_submission(sandbox.hubspot.url, values or LEAD)
    (outcome,) = process_once(instance).outcomes
    return outcome


def follow_up_tick(instance: DagsterInstance) -> TickResult:
    """One evaluation of the follow_ups sensor and each run it asked for, as the daemon."""
    return run_one_tick(instance, build_definitions(), sensor_names=("follow_ups",))


def wait_until_due(key: str) -> None:
    """Sleep until the lead's open step is due (0.0001 days is 8.6 s, not no time at all)."""
    due = [row.due_at for row in schedule_of(key) if row.state == "pending"]
    if due:
        time.sleep(max(0.0, (min(due) - utc_now()).total_seconds()) + 0.05)


def run_step_job(instance: DagsterInstance, key: str, step: int):
    """An operator re-running a step from the Launchpad (no run key)."""
    return (
        build_definitions()
        .resolve_job_def("send_follow_up")
        .execute_in_process(
            instance=instance,
            partition_key=key,
            run_config={"ops": {"follow_up_email": {"config": {"step": step}}}},
        )
    )


def _records(instance: DagsterInstance, key: str, kind: str) -> list[dict[str, Any]]:
    fetch = instance.fetch_materializations if kind == "m" else instance.fetch_observations
    records = fetch(FOLLOW_UP_EMAIL, limit=100).records
    found = []
    for record in reversed(records):
        event = record.asset_materialization if kind == "m" else record.asset_observation
        if event is not None and event.partition == key:
            found.append({name: value.value for name, value in event.metadata.items()})
    return found


def step_materializations(instance: DagsterInstance, key: str) -> list[dict[str, Any]]:
    return _records(instance, key, "m")


def step_observations(instance: DagsterInstance, key: str) -> list[dict[str, Any]]:
    return _records(instance, key, "o")


def schedule_of(key: str) -> list[FollowUpStepRow]:
    with resources_from_env().app_store.session() as session:
        rows = list(follow_ups.steps_of(session, key))
        session.expunge_all()
        return rows


def ledger_of(key: str, step: int) -> SendLedgerEntry | None:
    with resources_from_env().app_store.session() as session:
        entry = send_ledger.get_entry(session, key, step)
        session.expunge_all()
        return entry
