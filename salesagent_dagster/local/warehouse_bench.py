"""What the analytics warehouse costs at scale: the first full export, `dbt build`, and an
incremental export after 1% of leads changed, over N leads of generated history.

The history is written straight into a fresh SQLite app DB with bulk inserts (no runs, no
emulators): submissions, leads, enrichments, drafts (with experiment arms and voice
versions), rules and operator decisions, send-ledger rows for first emails and follow-ups,
follow-up steps, inbound mail of mixed kinds (some unmatched) and suppressions, in shares
roughly like an inbound funnel's. It ends two hours ago, so the incremental export's overlap
window (EXPORT_OVERLAP) holds only the touched leads.

The export is the product's (`export_to_warehouse`); dbt runs as the `warehouse_models`
asset does, by materialising that asset with the product's DbtCliResource, so its figure
includes Dagster's share of the step (about a second).
"""

from __future__ import annotations

import io
import os
import random
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, redirect_stdout
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

from dagster import materialize
from sqlalchemy import insert
from sqlalchemy.orm import Session

from salesagent_dagster.domain.email_address import email_fingerprint
from salesagent_dagster.services.warehouse.export import export_to_warehouse
from salesagent_dagster.services.warehouse.location import WarehouseLocation
from salesagent_dagster.services.warehouse.lock import warehouse_writer
from salesagent_dagster.settings import environment_overridden
from salesagent_dagster.store.database import dispose_engine, migrate, session_scope
from salesagent_dagster.store.models import (
    Draft,
    Enrichment,
    FollowUpStepRow,
    InboundMessage,
    Lead,
    ReviewDecision,
    SendDecision,
    SendLedgerEntry,
    Submission,
    Suppression,
)

SALT = "bench-salt"
MAILBOXES = ("rep1@bench.example", "rep2@bench.example", "rep3@bench.example")
HISTORY = timedelta(days=180)
HISTORY_ENDS = timedelta(hours=2)  # before the export's overlap window
TOUCHED_SHARE = 0.01
CHUNK = 5_000
HEADERS = (
    "leads", "generate s", "rows exported", "export s", "dbt build s", "incremental s",
    "warehouse MB",
)  # fmt: skip

# Shares along the funnel (each of the stage before): what an inbound form tends to see.
REJECTED, QUALIFIED = 0.03, 0.80
BUCKETS = (("A", 0.15), ("B", 0.30), ("C", 0.35), ("D", 0.20))
RULES = (("auto_approve", 0.55), ("needs_review", 0.35), ("blocked", 0.10))
REVIEWS = (("approve", 0.70), ("edit", 0.15), ("reject", 0.15))
SENDS = (("sent", 0.93), ("drafted", 0.04), ("failed_permanent", 0.02), ("unknown", 0.01))
REPLIED = 0.14
REPLY_KINDS = (
    ("positive", 0.22), ("question", 0.12), ("not_now", 0.12), ("negative", 0.14),
    ("unsubscribe", 0.06), ("auto_reply", 0.20), ("bounce_hard", 0.08), ("bounce_soft", 0.06),
)  # fmt: skip
FOLLOW_UP_DAYS = (3, 7)
# Experiments a first draft is written in (each arm equally likely), and the share in each.
EXPERIMENTS = (("subject_line", ("short", "question"), 0.5), ("opener", ("pain", "peer"), 0.3))
VOICE_VERSIONS = 3  # versions learned per mailbox so far (0: the default voice)
UNMATCHED_PER_LEAD = 0.01  # mail to our mailboxes that answers no send of ours


@dataclass(frozen=True)
class WarehouseFigures:
    leads: int
    generate_seconds: float
    rows_exported: int
    export_seconds: float
    dbt_seconds: float
    incremental_seconds: float
    incremental_leads: int
    warehouse_bytes: int

    def row(self) -> tuple[str, ...]:
        return (
            f"{self.leads:,}", f"{self.generate_seconds:.1f}", f"{self.rows_exported:,}",
            f"{self.export_seconds:.1f}", f"{self.dbt_seconds:.1f}",
            f"{self.incremental_seconds:.2f} ({self.incremental_leads:,} leads)",
            f"{self.warehouse_bytes / 1e6:.1f}",
        )  # fmt: skip


def machine_line() -> str:
    return (
        f"settings: SQLite app DB, DuckDB warehouse, dbt build via the warehouse_models asset "
        f"(dagster-dbt), {os.cpu_count()} CPUs"
    )


def run_warehouse_bench(leads: int) -> WarehouseFigures:
    """Generate `leads` leads of history, then time the full export, dbt build, and the
    incremental export after touching 1% of them."""
    with tempfile.TemporaryDirectory(prefix="warehouse-bench-") as tmp, _home(Path(tmp)):
        url = f"sqlite:///{Path(tmp) / 'salesagent.db'}"
        location = WarehouseLocation(path=Path(tmp) / "warehouse.duckdb")
        migrate(url)
        try:
            started = time.perf_counter()
            with session_scope(url) as session:
                sent = generate_history(session, leads, random.Random(leads))  # noqa: S311
            generated = time.perf_counter() - started
            sessions = partial(session_scope, url)
            started = time.perf_counter()
            with warehouse_writer(location):
                full = export_to_warehouse(sessions, location, SALT)
            exported = time.perf_counter() - started
            started = time.perf_counter()
            _dbt_build(location)
            built = time.perf_counter() - started
            with session_scope(url) as session:
                touch_leads(session, leads, sent, random.Random(1))  # noqa: S311
            started = time.perf_counter()
            with warehouse_writer(location):
                incremental = export_to_warehouse(sessions, location, SALT)
            incremental_seconds = time.perf_counter() - started
        finally:
            dispose_engine(url)
        size = location.path.stat().st_size
    return WarehouseFigures(
        leads=leads, generate_seconds=generated, rows_exported=sum(full.rows.values()),
        export_seconds=exported, dbt_seconds=built, incremental_seconds=incremental_seconds,
        incremental_leads=incremental.leads, warehouse_bytes=size,
    )  # fmt: skip


@contextmanager
def _home(home: Path) -> Iterator[None]:
    """DAGSTER_HOME and the warehouse path the dbt asset reads (configured_warehouse)."""
    values = {
        "DAGSTER_HOME": str(home),
        "SALESAGENT_WAREHOUSE_PATH": str(home / "warehouse.duckdb"),
        "SALESAGENT_WAREHOUSE_URL": "",
    }
    with environment_overridden(values):
        yield


def _dbt_build(location: WarehouseLocation) -> None:
    """`dbt build` as the warehouse_models asset runs it; dbt's own log (which dagster-dbt
    echoes to stdout) and Dagster's debug events are kept off the bench's output."""
    # Imported here: dagster-dbt costs ~2 s to import, which every `salesagent` command
    # would pay, since the CLI imports this module to offer `bench --warehouse`.
    from salesagent_dagster.defs.analytics.warehouse_models import (
        dbt_project,
        dbt_resource,
        warehouse_models_for,
    )

    project = dbt_project()
    quiet = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}
    with redirect_stdout(io.StringIO()):
        materialize(
            [warehouse_models_for(project)],
            resources={"dbt": dbt_resource(project, location)},
            run_config=quiet,
        )


def generate_history(session: Session, leads: int, rng: random.Random) -> list[str]:
    """Write `leads` submissions and everything that followed them; the keys of the leads
    that were sent an email."""
    end = datetime.now(UTC) - HISTORY_ENDS
    rows: dict[type, list[dict[str, Any]]] = {model: [] for model in _MODELS}
    sent: list[str] = []
    for n in range(leads):
        key = f"bench-{n:07d}"
        address = f"lead{n}@customer{n % 997}.example"
        person = email_fingerprint(address, SALT)
        at = end - HISTORY * rng.random()
        accepted = rng.random() >= REJECTED
        rows[Submission].append({
            "partition_key": key, "form_id": rng.choice(("demo", "pricing", "contact")),
            "conversion_id": f"c{n}", "submitted_at": at - timedelta(seconds=2),
            "received_at": at, "payload": {"email": address}, "email_hash": person,
            "status": "accepted" if accepted else "rejected",
            "reject_reason": None if accepted else "invalid email",
        })  # fmt: skip
        if accepted and _funnel(rows, rng, key, person, at, n, end):
            sent.append(key)
    for n in range(int(leads * UNMATCHED_PER_LEAD)):
        rows[InboundMessage].append(
            _inbound(None, "ignored", end - HISTORY * rng.random(), 50_000_000 + n)
        )
    for model in _MODELS:
        for start in range(0, len(rows[model]), CHUNK):
            session.execute(insert(model), rows[model][start : start + CHUNK])
    return sent


def _funnel(
    rows: dict[type, list[dict[str, Any]]], rng: random.Random, key: str, person: str,
    at: datetime, n: int, end: datetime,
) -> bool:  # fmt: skip
    """One accepted submission's lead, enrichment, draft, decisions, sends and replies;
    True when an email went out."""
    qualified = rng.random() < QUALIFIED
    rows[Lead].append({
        "partition_key": key, "email": f"lead{n}@customer{n % 997}.example",
        "email_hash": person, "qualified": qualified,
        "status_reason": "qualified" if qualified else "not a business domain",
        "created_at": at + timedelta(seconds=1),
    })  # fmt: skip
    if not qualified:
        return False
    mailbox = MAILBOXES[n % len(MAILBOXES)]
    rows[Enrichment].append({
        "partition_key": key, "icp_score": rng.random(), "icp_bucket": _pick(rng, BUCKETS),
        "icp_factors": {}, "domain_verified": rng.random() < 0.8, "mailbox": mailbox,
        "created_at": at + timedelta(seconds=3),
    })  # fmt: skip
    variant = {name: rng.choice(arms) for name, arms, share in EXPERIMENTS if rng.random() < share}
    voice = rng.randrange(VOICE_VERSIONS)
    rows[Draft].append(_draft(key, 1, "agent", at + timedelta(seconds=8), variant, voice))
    outcome = _pick(rng, RULES)
    rows[SendDecision].append({
        "partition_key": key, "draft_version": 1, "outcome": outcome,
        "confidence": rng.uniform(0.5, 1.0), "threshold": 0.8,
        "rules_fired": [] if outcome == "auto_approve" else [{"rule": "low_confidence"}],
        "rationale": "", "created_at": at + timedelta(seconds=9),
    })  # fmt: skip
    decided, version = at + timedelta(seconds=9), 1
    if outcome == "blocked":
        return False
    if outcome == "needs_review":
        action = _pick(rng, REVIEWS)
        decided += timedelta(minutes=rng.expovariate(1 / 90))
        if decided > end:
            return False  # still in the review queue
        if action == "edit":
            version = 2
            rows[Draft].append(_draft(key, 2, "operator", decided, variant, voice))
        rows[ReviewDecision].append({
            "partition_key": key, "action": action, "reviewer": "riley", "reason": "",
            "draft_version": version, "overridden_rules": [], "created_at": decided,
        })  # fmt: skip
        if action == "reject":
            return False
    state = _pick(rng, SENDS)
    sent_at = decided + timedelta(seconds=rng.uniform(2, 30))
    if sent_at > end:
        return False
    rows[SendLedgerEntry].append(_ledger(key, 0, mailbox, person, version, state, sent_at))
    if state not in ("sent", "drafted"):
        return False
    reply_at = sent_at + timedelta(hours=rng.expovariate(1 / 30))
    replied = rng.random() < REPLIED and reply_at < end
    for step, days in enumerate(FOLLOW_UP_DAYS, start=1):
        due = sent_at + timedelta(days=days)
        if replied and reply_at < due:
            rows[FollowUpStepRow].append(_step(key, step, "cancelled", due, reply_at, "reply"))
            break
        if due > end:
            rows[FollowUpStepRow].append(_step(key, step, "pending", due, sent_at, ""))
            break
        rows[FollowUpStepRow].append(_step(key, step, state, due, due, ""))
        rows[SendLedgerEntry].append(_ledger(key, step, mailbox, person, version, state, due))
    if replied:
        rows[InboundMessage].append(_inbound(key, _pick(rng, REPLY_KINDS), reply_at, n))
        kind = rows[InboundMessage][-1]["kind"]
        if kind in ("unsubscribe", "bounce_hard"):
            reason = "unsubscribed" if kind == "unsubscribe" else "bounced"
            rows[Suppression].append(
                {"email_hash": person, "reason": reason, "created_at": reply_at}
            )
    return True


def touch_leads(session: Session, leads: int, sent: Sequence[str], rng: random.Random) -> None:
    """A reply recorded now for 1% of the `leads` (picked among those sent to): what the
    next export must pick up."""
    now = datetime.now(UTC)
    touched = rng.sample(list(sent), min(len(sent), max(1, int(leads * TOUCHED_SHARE))))
    rows = [_inbound(key, "positive", now, 10_000_000 + i) for i, key in enumerate(touched)]
    for row in rows:
        row["recorded_at"] = now
    session.execute(insert(InboundMessage), rows)


_MODELS = (
    Submission, Lead, Enrichment, Draft, SendDecision, ReviewDecision, SendLedgerEntry,
    FollowUpStepRow, InboundMessage, Suppression,
)  # fmt: skip


def _pick(rng: random.Random, shares: Sequence[tuple[str, float]]) -> str:
    return rng.choices([name for name, _ in shares], weights=[w for _, w in shares])[0]


def _draft(
    key: str, version: int, author: str, at: datetime, variant: dict[str, str], voice: int
) -> dict[str, Any]:
    return {
        "partition_key": key, "version": version, "subject": "Your demo request",
        "body_text": "Hi, thanks for asking for a demo.", "template": "demo",
        "voice_profile": {}, "variant": variant or None, "voice_version": voice,
        "author": author, "created_at": at,
    }  # fmt: skip


def _ledger(
    key: str, step: int, mailbox: str, person: str, version: int, state: str, at: datetime
) -> dict[str, Any]:
    return {
        "partition_key": key, "step": step, "message_id": f"<{key}.{step}@bench.example>",
        "mailbox": mailbox, "recipient_hash": person, "draft_version": version,
        "mode": "draft" if state == "drafted" else "send", "state": state, "attempts": 1,
        "claimed_at": at, "updated_at": at + timedelta(seconds=1),
    }  # fmt: skip


def _step(
    key: str, step: int, state: str, due: datetime, updated: datetime, reason: str
) -> dict[str, Any]:
    return {
        "partition_key": key, "step": step, "state": state, "due_at": due, "reason": reason,
        "releases": 0 if state == "cancelled" else 1, "scheduled_at": due - timedelta(days=3),
        "updated_at": updated,
    }  # fmt: skip


def _inbound(key: str | None, kind: str, at: datetime, n: int) -> dict[str, Any]:
    return {
        "mailbox": MAILBOXES[n % len(MAILBOXES)], "gmail_message_id": f"in{n:012x}",
        "partition_key": key, "kind": kind, "reason": f"{kind}_rule", "received_at": at,
        "recorded_at": at + timedelta(seconds=20), "effects_done_at": at + timedelta(seconds=30),
    }  # fmt: skip
