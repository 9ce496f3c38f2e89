"""Send-path soak under faults: N leads against the emulators, batches alternating between
real sends and Gmail drafts, and a fault of a random kind (one that the batch's Gmail call
can meet) injected for a share of them. Prints the faults by kind, duplicates (must be 0),
lost leads (must be 0), dead letters and the send rate against the configured quota.

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

from salesagent_dagster.local.demo_seed import add_submission, default_form_id
from salesagent_dagster.local.instance import prepare_dagster_home
from salesagent_dagster.local.sandbox_stack import SANDBOX_SENDER, apply_env, running_sandbox
from salesagent_dagster.store import submission_keys

KNOWN_GOOD = "fault-bench.example"
BATCH = 20


@dataclass(frozen=True)
class FaultKind:
    """One way a call can go wrong on the wire; `modes` says which batches can meet it."""

    emulator: str
    call: str  # as printed
    path: str
    fault: dict[str, Any]
    modes: tuple[str, ...] = ("send", "draft")

    @property
    def label(self) -> str:
        extra = self.fault.get("status") or ("reset" if self.fault.get("reset") else "")
        return f"{self.emulator} {self.call} {self.fault['mode']} {extra}".strip()


def _gmail_delivery_faults(call: str, path: str, mode: str) -> tuple[FaultKind, ...]:
    post = {"method": "POST"}
    return tuple(
        FaultKind("gmail", call, path, {**post, **fault}, (mode,))
        for fault in (
            {"mode": "status", "status": 500},
            {"mode": "status", "status": 503},
            {"mode": "status", "status": 429, "retry_after": 1},
            {"mode": "accept_then_fail", "status": 500},
            {"mode": "accept_then_hang", "seconds": 2},
            # The connection closes without an answer, after or before Gmail took it.
            {"mode": "accept_then_drop"},
            {"mode": "accept_then_drop", "reset": True},
            {"mode": "drop"},
            {"mode": "drop", "reset": True},
        )
    )


FAULT_KINDS: tuple[FaultKind, ...] = (
    *_gmail_delivery_faults("messages.send", "/messages/send", "send"),
    *_gmail_delivery_faults("drafts.create", "/drafts$", "draft"),
    FaultKind("gmail", "messages.list", "/messages$", {"mode": "status", "status": 500, "method": "GET"}),
    FaultKind("hubspot", "contacts.search", "/crm/v3/objects/contacts/search", {"mode": "status", "status": 502}),
    FaultKind("hubspot", "emails.create", "/crm/v3/objects/emails$", {"mode": "status", "status": 500, "method": "POST"}),
    FaultKind("hubspot", "emails.create", "/crm/v3/objects/emails$", {"mode": "accept_then_drop", "method": "POST"}),
)  # fmt: skip


@dataclass(frozen=True)
class FaultBenchFigures:
    leads: int
    leads_by_mode: Counter[str]
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
    from salesagent_dagster.local.one_tick import run_one_tick
    from salesagent_dagster.services.dead_letters import dead_letters
    from salesagent_dagster.services.lead_outcomes import lead_outcomes
    from salesagent_dagster.settings import resources_from_env

    rng = random.Random(seed)  # noqa: S311 (reproducible fault choice, not a secret)
    home = Path(tempfile.mkdtemp(prefix="salesagent-faultbench-"))
    injected: Counter[str] = Counter()
    leads_by_mode: Counter[str] = Counter()
    with running_sandbox() as stack:
        # A CLI process of its own: the environment is the bench's to set.
        apply_env(stack.env)
        apply_env({
            "DAGSTER_HOME": str(home), "ALLOW_REAL_SENDS": "true",
            "SALESAGENT_KNOWN_GOOD": KNOWN_GOOD, "SALESAGENT_HTTP_TIMEOUT_SECONDS": "1",
            "SALESAGENT_MAILBOX_DAILY_LIMIT": str(max(2000, leads * 2)),
            # The emulator's search shows a stored message at once (Gmail's index lags).
            "SALESAGENT_RECONCILE_SETTLE_SECONDS": "0",
        })  # fmt: skip
        os.environ.pop("SALESAGENT_DATABASE_URL", None)
        prepare_dagster_home()
        form_id = default_form_id(stack.hubspot.url)
        started = time.time()
        with DagsterInstance.get() as instance:
            for number, first in enumerate(range(0, leads, BATCH)):
                mode = "send" if number % 2 == 0 else "draft"
                # Definitions are built per tick, so the flag holds for this batch's runs.
                os.environ["ALLOW_REAL_SENDS"] = "true" if mode == "send" else "false"
                kinds = [kind for kind in FAULT_KINDS if mode in kind.modes]
                batch = range(first, min(first + BATCH, leads))
                for index in batch:
                    add_submission(
                        stack.hubspot.url,
                        {"email": f"lead-{index}@{KNOWN_GOOD}", "firstname": "Soak"},
                        form_id,
                    )
                    leads_by_mode[mode] += 1
                    if rng.random() < fault_share:
                        kind = rng.choice(kinds)
                        base = stack.hubspot.url if kind.emulator == "hubspot" else stack.gmail.url
                        requests.post(
                            f"{base}/_admin/faults",
                            json={"path": kind.path, **kind.fault},
                            timeout=10,
                        ).raise_for_status()
                        injected[kind.label] += 1
                run_one_tick(instance, build_definitions())
            letters = dead_letters(instance, limit=leads)
            resources = resources_from_env()
            quota = resources.outreach.per_mailbox_per_minute
            with resources.app_store.session() as session:
                keys = submission_keys.all_keys(session)
                statuses = Counter(o.status for o in lead_outcomes(session, instance, keys, {}))
        seconds = time.time() - started
        mailbox = requests.get(f"{stack.gmail.url}/_admin/state", timeout=30).json()["mailboxes"][
            SANDBOX_SENDER
        ]
    # A lead delivered twice shows as two messages to one address, sent or drafted.
    per_recipient = Counter(message["to"] for message in mailbox["sent"] + mailbox["drafts"])
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
        leads_by_mode=leads_by_mode,
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
    drops = sum(n for kind, n in figures.faults.items() if "drop" in kind)
    return "\n".join(
        [
            f"leads: {figures.leads} ({figures.leads_by_mode['send']} with real sends, "
            f"{figures.leads_by_mode['draft']} as Gmail drafts), "
            f"faults injected: {sum(figures.faults.values())}, {drops} of them dropped "
            "connections:",
            *(f"  {kind:<44} x{count}" for kind, count in sorted(figures.faults.items())),
            f"delivered: {figures.sent_unique}   duplicates: {figures.duplicates} (must be 0)   "
            f"lost: {figures.lost} (must be 0)   dead letters: {figures.dead_letters}   "
            f"held, not sent: {dict(figures.held) or 0}",
            f"time: {figures.seconds:.0f} s = {figures.sends_per_minute:.1f} deliveries/min "
            f"(sent and drafted) against the pacing of real sends, {figures.quota_per_minute:.0f}/min per mailbox "
            "(SALESAGENT_MAILBOX_SENDS_PER_MINUTE)",
        ]
    )
