"""What the shutdown drills count after a stop and a start: Gmail's messages per recipient and
the app DB's submissions and leads per address, read from the real parts."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import requests
from sqlalchemy import create_engine, select

from salesagent_dagster.local.bench_daemon import app_db_url
from salesagent_dagster.local.sandbox_stack import SANDBOX_SENDER
from salesagent_dagster.store.models import Lead, Submission


def messages_per_recipient(gmail_url: str) -> Counter[str]:
    """Drafts and sends the Gmail emulator holds, per recipient address."""
    mailbox = requests.get(f"{gmail_url}/_admin/state", timeout=10).json()["mailboxes"][
        SANDBOX_SENDER
    ]
    return Counter(str(m.get("to", "")).lower() for m in [*mailbox["drafts"], *mailbox["sent"]])


def delivered_among(gmail_url: str, addresses: Iterable[str]) -> int:
    return len(set(messages_per_recipient(gmail_url)) & set(addresses))


def wait_until(done: Callable[[], bool], timeout_s: float, log: Path) -> None:
    """Until `done()`, or fail with the tail of `log` (what the process said)."""
    deadline = time.monotonic() + timeout_s
    while not done():
        assert time.monotonic() < deadline, log.read_text()[-3000:]
        time.sleep(0.2)


def app_db_counts(home: Path) -> tuple[Counter[str], Counter[str]]:
    """(submissions per HubSpot conversion id, leads per address) in the drill's app DB."""
    engine = create_engine(app_db_url(home))
    try:
        with engine.connect() as connection:
            submissions = Counter(connection.scalars(select(Submission.conversion_id)))
            leads = Counter(str(e).lower() for e in connection.scalars(select(Lead.email)))
    finally:
        engine.dispose()
    return submissions, leads


def lead_runs(home: Path) -> Counter[str]:
    """The drill's process_lead runs: failed, resumed (by resume_interrupted_leads), retried
    (by Dagster's run retries), and the dead letters left (leads whose newest run failed),
    each also counted under "dead letter at STEP: ERROR" (what an operator would see)."""
    from dagster import DagsterInstance, DagsterRunStatus, RunsFilter

    from salesagent_dagster.services.dead_letters import UNFINISHED, dead_letters
    from salesagent_dagster.services.interrupted_runs import RESUMED_AFTER_TAG

    counted: Counter[str] = Counter()
    with DagsterInstance.from_config(str(home)) as instance:
        for run in instance.get_runs(filters=RunsFilter(job_name="process_lead")):
            counted["runs"] += 1
            counted["failed"] += run.status == DagsterRunStatus.FAILURE
            if run.status == DagsterRunStatus.FAILURE:
                counted[f"failed because: {_why(instance, run.run_id)}"] += 1
            counted["resumed"] += RESUMED_AFTER_TAG in run.tags
            counted["retried"] += "dagster/retry_number" in run.tags
            counted["unfinished"] += run.status in UNFINISHED
        letters = dead_letters(instance)
        counted["dead letters"] = len(letters)
        for letter in letters:
            counted[f"dead letter at {letter.step}: {letter.error_class}"] += 1
    return counted


def wait_for_settled_runs(home: Path, timeout_s: float) -> Counter[str]:
    """The drill's run counts once every run has ended and no lead is left a dead letter (or
    the deadline passed): a lead cut short is resumed within resume_interrupted_leads'
    interval, and a run still finishing its last steps (the HubSpot log after the email went)
    is not cut short by the drill's own teardown."""
    deadline = time.monotonic() + timeout_s
    while True:
        runs = lead_runs(home)
        settled = not runs["unfinished"] and not runs["dead letters"]
        if settled or time.monotonic() > deadline:
            return runs
        time.sleep(1.0)


def _why(instance: Any, run_id: str) -> str:
    """The last error the run's engine events or failure carry (the drill's print)."""
    why = "?"
    for entry in instance.all_logs(run_id):
        event = entry.dagster_event
        data = getattr(event, "event_specific_data", None) if event else None
        error = getattr(data, "error", None)
        if error is not None:
            why = f"{error.cls_name}: {error.message.strip()[:160]}"
        elif event is not None and event.event_type_value == "PIPELINE_FAILURE" and why == "?":
            why = (event.message or "")[:160]
    return why
