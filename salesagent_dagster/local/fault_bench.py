"""Send-path soak under faults: N leads with real sends on (against the emulators) and a
fault of a random kind injected for a share of them. Prints duplicates (must be 0), lost
leads (must be 0), dead letters and the send rate against the configured quota.

In-process runs (as `process --once` makes them), so it measures the send path and its
retries, not the daemon's run start-up (`salesagent bench` does that).
"""

from __future__ import annotations

import os
import random
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests
from dagster import DagsterInstance
from sqlalchemy import select

from salesagent_dagster.local.demo_seed import add_submission, default_form_id
from salesagent_dagster.local.instance import prepare_dagster_home
from salesagent_dagster.local.sandbox_stack import SANDBOX_SENDER, apply_env, running_sandbox
from salesagent_dagster.store.models import Submission

KNOWN_GOOD = "fault-bench.example"
BATCH = 20
# (emulator, path, fault) — every way a call can go wrong on the wire.
FAULT_KINDS: tuple[tuple[str, str, dict[str, Any]], ...] = (
    ("gmail", "/messages/send", {"mode": "status", "status": 500}),
    ("gmail", "/messages/send", {"mode": "status", "status": 503}),
    ("gmail", "/messages/send", {"mode": "status", "status": 429, "retry_after": 1}),
    ("gmail", "/messages/send", {"mode": "accept_then_fail", "status": 500}),
    ("gmail", "/messages/send", {"mode": "accept_then_hang", "seconds": 2}),
    ("gmail", "/messages$", {"mode": "status", "status": 500, "method": "GET"}),
    ("hubspot", "/crm/v3/objects/contacts/search", {"mode": "status", "status": 502}),
    ("hubspot", "/crm/v3/objects/emails", {"mode": "status", "status": 500, "method": "POST"}),
)


@dataclass(frozen=True)
class FaultBenchFigures:
    leads: int
    faults: Counter[str]
    sent_unique: int
    duplicates: int
    held: Counter[str]  # decided not to send yet: needs_review, blocked, deferred
    lost: int
    dead_letters: int
    seconds: float
    quota_per_minute: float

    @property
    def sends_per_minute(self) -> float:
        return self.sent_unique / self.seconds * 60 if self.seconds else 0.0


def run_fault_bench(leads: int, fault_share: float, seed: int = 7) -> FaultBenchFigures:
    from salesagent_dagster.definitions import build_definitions
    from salesagent_dagster.local.dead_letters import dead_letters
    from salesagent_dagster.local.lead_outcomes import lead_outcomes
    from salesagent_dagster.local.one_tick import run_one_tick
    from salesagent_dagster.settings import resources_from_env

    rng = random.Random(seed)  # noqa: S311 (reproducible fault choice, not a secret)
    home = Path(tempfile.mkdtemp(prefix="salesagent-faultbench-"))
    injected: Counter[str] = Counter()
    with running_sandbox() as stack:
        # A CLI process of its own: the environment is the bench's to set.
        apply_env(stack.env)
        apply_env({
            "DAGSTER_HOME": str(home), "ALLOW_REAL_SENDS": "true",
            "SALESAGENT_KNOWN_GOOD": KNOWN_GOOD, "SALESAGENT_HTTP_TIMEOUT_SECONDS": "1",
            "SALESAGENT_MAILBOX_DAILY_LIMIT": str(max(2000, leads * 2)),
        })  # fmt: skip
        os.environ.pop("SALESAGENT_DATABASE_URL", None)
        prepare_dagster_home()
        form_id = default_form_id(stack.hubspot.url)
        started = time.time()
        with DagsterInstance.get() as instance:
            for first in range(0, leads, BATCH):
                batch = range(first, min(first + BATCH, leads))
                for index in batch:
                    add_submission(
                        stack.hubspot.url,
                        {"email": f"lead-{index}@{KNOWN_GOOD}", "firstname": "Soak"},
                        form_id,
                    )
                    if rng.random() < fault_share:
                        target, path, fault = rng.choice(FAULT_KINDS)
                        base = stack.hubspot.url if target == "hubspot" else stack.gmail.url
                        requests.post(
                            f"{base}/_admin/faults", json={"path": path, **fault}, timeout=10
                        )
                        injected[f"{target} {fault['mode']} {fault.get('status', '')}".strip()] += 1
                run_one_tick(instance, build_definitions())
            letters = dead_letters(instance, limit=leads)
            resources = resources_from_env()
            quota = resources.outreach.per_mailbox_per_minute
            with resources.app_store.session() as session:
                keys = list(session.scalars(select(Submission.partition_key)))
                statuses = Counter(o.status for o in lead_outcomes(session, instance, keys, {}))
        seconds = time.time() - started
        mailbox = requests.get(f"{stack.gmail.url}/_admin/state", timeout=30).json()["mailboxes"][
            SANDBOX_SENDER
        ]
    per_recipient = Counter(message["to"] for message in mailbox["sent"])
    held = Counter(
        {
            s: n
            for s, n in statuses.items()
            if s in ("needs_review", "blocked", "deferred", "held", "operator_rejected")
        }
    )
    accounted = len(per_recipient) + sum(held.values()) + len(letters)
    return FaultBenchFigures(
        leads=leads,
        faults=injected,
        sent_unique=len(per_recipient),
        duplicates=sum(count - 1 for count in per_recipient.values()),
        held=held,
        lost=leads - accounted,
        dead_letters=len(letters),
        seconds=seconds,
        quota_per_minute=quota,
    )


def format_fault_figures(figures: FaultBenchFigures) -> str:
    faults = ", ".join(f"{kind} x{count}" for kind, count in sorted(figures.faults.items()))
    return "\n".join(
        [
            f"leads: {figures.leads}, faults injected: {sum(figures.faults.values())} ({faults})",
            f"sent: {figures.sent_unique}   duplicates: {figures.duplicates} (must be 0)   "
            f"lost: {figures.lost} (must be 0)   dead letters: {figures.dead_letters}   "
            f"held, not sent: {dict(figures.held) or 0}",
            f"time: {figures.seconds:.0f} s = {figures.sends_per_minute:.1f} sends/min "
            f"against the configured pacing of {figures.quota_per_minute:.0f}/min per mailbox "
            "(SALESAGENT_MAILBOX_SENDS_PER_MINUTE)",
        ]
    )
