"""What one `/metrics` read costs at scale: bulk-insert N leads' rows into a scratch app DB
(SQLite file, or a scratch database on the Postgres server), then time each aggregate query
of store.metric_counts and the whole read, best of a few runs.

    .venv/bin/python -m salesagent_dagster_tests.metrics.scrape_cost --leads 100000
    .venv/bin/python -m salesagent_dagster_tests.metrics.scrape_cost --leads 100000 --postgres

A measuring tool, not a test: no timing is asserted anywhere.
"""

from __future__ import annotations

import argparse
import random
import secrets
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, insert
from sqlalchemy.orm import Session

from salesagent_dagster.services.metrics.figures import (
    SPEED_BUCKETS,
    RunningSums,
    read_app_figures,
)
from salesagent_dagster.store import metric_counts
from salesagent_dagster.store.database import dispose_engine, get_engine, migrate, session_scope
from salesagent_dagster.store.models import (
    InboundMessage,
    Lead,
    ReviewDecision,
    SendDecision,
    SendLedgerEntry,
    Submission,
    Suppression,
)

POSTGRES_ADMIN = "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres"
BATCH = 5000
MAILBOXES = [f"rep{i}@seller.example" for i in range(5)]


def bulk_insert(database_url: str, leads: int, seed: int = 7) -> None:
    """Rows shaped like a real funnel: 5% rejected, 85% of leads qualified, decisions 60/30/10
    auto/review/blocked, a quarter of reviews approved, sends 90% sent, 30% with a follow-up,
    replies on 10% of sends, 2% suppressed."""
    rng = random.Random(seed)
    start = datetime.now(UTC) - timedelta(days=90)
    rows: dict[type, list[dict[str, Any]]] = {}

    def add(model: type, **values: Any) -> None:
        rows.setdefault(model, []).append(values)

    engine = get_engine(database_url)
    order = (Submission, Lead, SendDecision, ReviewDecision, SendLedgerEntry, InboundMessage,
             Suppression)  # fmt: skip

    def flush() -> None:
        with engine.begin() as connection:
            for model in order:
                if rows.get(model):
                    connection.execute(insert(model), rows[model])
        rows.clear()

    for i in range(leads):
        key = f"p{i:08d}"
        received = start + timedelta(seconds=i * 77)
        rejected = rng.random() < 0.05
        add(Submission, partition_key=key, form_id="form", conversion_id=key, payload={},
            status="rejected" if rejected else "accepted", received_at=received,
            dispatched_at=None if rejected else received + timedelta(seconds=1),
            email_hash=secrets.token_hex(32))  # fmt: skip
        if not rejected:
            qualified = rng.random() < 0.85
            add(Lead, partition_key=key, email=f"lead{i}@example.com", qualified=qualified,
                status_reason="qualified" if qualified else "disqualified", created_at=received)  # fmt: skip
            if qualified:
                roll = rng.random()
                outcome = (
                    "auto_approve" if roll < 0.6 else "needs_review" if roll < 0.9 else "blocked"
                )
                add(SendDecision, partition_key=key, draft_version=1, outcome=outcome,
                    confidence=0.9, threshold=0.85, rules_fired=[], rationale="-",
                    created_at=received + timedelta(seconds=3))  # fmt: skip
                reviewed = outcome == "needs_review" and rng.random() < 0.25
                if reviewed:
                    add(ReviewDecision, partition_key=key, action="approve", reviewer="dana",
                        reason="ok", draft_version=1, overridden_rules=[],
                        created_at=received + timedelta(minutes=40))  # fmt: skip
                if outcome == "auto_approve" or reviewed:
                    delay = rng.uniform(3, 12) if outcome == "auto_approve" else 2400
                    mailbox = rng.choice(MAILBOXES)
                    for step in (0, 1) if rng.random() < 0.3 else (0,):
                        state = "sent" if rng.random() < 0.9 else "drafted"
                        at = received + timedelta(seconds=delay, days=3 * step)
                        add(SendLedgerEntry, partition_key=key, step=step,
                            message_id=f"<{key}.{step}@seller.example>", mailbox=mailbox,
                            recipient_hash=secrets.token_hex(32), draft_version=1,
                            mode="send", state=state, attempts=1, claimed_at=at, updated_at=at)  # fmt: skip
                    if rng.random() < 0.1:
                        add(InboundMessage, mailbox=mailbox, gmail_message_id=f"g{i}",
                            partition_key=key, kind=rng.choice(["positive", "negative",
                            "auto_reply", "bounce_hard", "unsubscribe"]), reason="rule",
                            received_at=received + timedelta(days=1), subject="", body_text="")  # fmt: skip
        if rng.random() < 0.02:
            add(Suppression, email_hash=secrets.token_hex(32), reason="unsubscribed",
                created_at=received)  # fmt: skip
        if (i + 1) % BATCH == 0:
            flush()
    flush()


def best_of(runs: int, call: Callable[[], Any]) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    return min(times)


def _speed(session: Session, bounds: tuple[float, ...]) -> Any:
    return metric_counts.speed_to_lead_buckets(session, bounds)


def measure(database_url: str, runs: int) -> list[tuple[str, float]]:
    queries: list[tuple[str, Callable[[Session], Any]]] = [
        ("submissions_by_status", metric_counts.submissions_by_status),
        ("leads_by_qualification", metric_counts.leads_by_qualification),
        ("decisions_by_outcome", metric_counts.decisions_by_outcome),
        ("operator_rejections", metric_counts.operator_rejections),
        ("ledger_by_mailbox", metric_counts.ledger_by_mailbox),
        ("review_queue_depth", metric_counts.review_queue_depth),
        ("deferred_sends", metric_counts.deferred_sends),
        ("breakers", metric_counts.breakers),
        ("inbound_by_kind", metric_counts.inbound_by_kind),
        ("suppressions_by_reason", metric_counts.suppressions_by_reason),
        ("last_submission_times", metric_counts.last_submission_times),
        ("speed_to_lead_buckets", partial(_speed, bounds=SPEED_BUCKETS)),
    ]  # fmt: skip
    results = []
    with session_scope(database_url) as session:
        for name, query in queries:
            results.append((name, best_of(runs, partial(query, session))))
        results.append(
            ("whole read, first (no sums)", best_of(runs, partial(read_app_figures, session, str)))
        )
        kept = RunningSums()
        for _ in range(2):  # the second read folds the final ledger rows into the sums
            read_app_figures(session, str, kept)
        results.append(
            (
                "whole read, steady state",
                best_of(runs, partial(read_app_figures, session, str, kept)),
            )
        )
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--leads", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--postgres", action="store_true")
    args = parser.parse_args()
    admin = create_engine(POSTGRES_ADMIN, isolation_level="AUTOCOMMIT")
    name = f"salesagent_scrape_cost_{secrets.token_hex(3)}"
    with tempfile.TemporaryDirectory() as scratch:
        if args.postgres:
            with admin.connect() as connection:
                connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
            url = POSTGRES_ADMIN.rsplit("/", 1)[0] + f"/{name}"
        else:
            url = f"sqlite:///{Path(scratch) / 'app.db'}"
        try:
            migrate(url)
            started = time.perf_counter()
            bulk_insert(url, args.leads)
            if args.postgres:
                autocommit = get_engine(url).execution_options(isolation_level="AUTOCOMMIT")
                with autocommit.connect() as connection:
                    connection.exec_driver_sql("VACUUM ANALYZE")  # as autovacuum would have
            print(f"{args.leads} leads inserted in {time.perf_counter() - started:.1f} s "
                  f"({'postgres' if args.postgres else 'sqlite'}); best of {args.runs}:")  # fmt: skip
            for query, seconds in measure(url, args.runs):
                print(f"  {query:30s} {seconds * 1000:8.1f} ms")
        finally:
            dispose_engine(url)
            if args.postgres:
                with admin.connect() as connection:
                    connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            admin.dispose()


if __name__ == "__main__":
    main()
