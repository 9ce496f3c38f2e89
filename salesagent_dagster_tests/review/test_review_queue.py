"""The review queue brings a held lead back: `review hold` (or the desk's hold) returns it to
review until the next approve, edit or reject, whatever its decision said, and the metrics'
queue depth, read from its watermarks, counts exactly what the queue lists (SQLite and the
real Postgres)."""

from __future__ import annotations

from salesagent_dagster.services.metrics.decision_totals import DecisionTotals
from salesagent_dagster.services.review_queue import queue_entries
from salesagent_dagster.store import reviews
from salesagent_dagster.store.database import session_scope
from salesagent_dagster.store.models import ReviewDecision, SendDecision, SendLedgerEntry


def decide(url: str, key: str, outcome: str) -> None:
    with session_scope(url) as session:
        session.add(SendDecision(partition_key=key, draft_version=1, outcome=outcome,
                                 confidence=0.5, threshold=0.85, rules_fired=[], rationale="-"))  # fmt: skip


def review(url: str, key: str, action: str, reviewer: str = "dana") -> None:
    with session_scope(url) as session:
        session.add(ReviewDecision(partition_key=key, action=action, reviewer=reviewer,
                                   reason=f"{action} it", draft_version=1))  # fmt: skip


def send(url: str, key: str) -> None:
    with session_scope(url) as session:
        session.add(SendLedgerEntry(partition_key=key, step=0, message_id=f"<{key}>",
                                    mailbox="m", recipient_hash="h", draft_version=1,
                                    mode="send", state="sent"))  # fmt: skip


class Queue:
    """The queue as the CLI and the desk list it, checked against the metrics' depth read
    by one long-lived reader (its watermarks advance) and by a fresh one."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.kept = DecisionTotals()

    def keys(self) -> list[str]:
        with session_scope(self.url) as session:
            listed = [q.partition_key for q in reviews.review_queue(session)]
            running, full = self.kept.read(session), DecisionTotals().read(session)
        assert running == full
        assert running.queue_depth == len(listed)
        return listed


def test_a_held_lead_returns_to_the_queue_until_decided_again(database_url: str):
    queue = Queue(database_url)
    decide(database_url, "asked", "needs_review")
    decide(database_url, "auto", "auto_approve")
    assert queue.keys() == ["asked"]
    review(database_url, "asked", "approve")
    assert queue.keys() == []
    # Newer decisions move the watermarks past "asked" and "auto" before either is held.
    for n in range(3):
        decide(database_url, f"later-{n}", "blocked")
        queue.keys()

    review(database_url, "asked", "hold", reviewer="sam")
    review(database_url, "auto", "hold")  # an auto-approved email stopped in its window
    assert queue.keys() == ["asked", "auto"]  # in the order they were held
    with session_scope(database_url) as session:
        held = {q.partition_key: q for q in reviews.review_queue(session)}
        entries = {e.partition_key: e for e in queue_entries(session, sla_minutes=60)}
    assert held["asked"].returned_by is not None and held["asked"].since == (
        held["asked"].returned_by.created_at
    )
    assert (entries["asked"].held_by, entries["asked"].held_because) == ("sam", "hold it")

    review(database_url, "asked", "approve")
    assert queue.keys() == ["auto"]
    review(database_url, "auto", "reject")
    assert queue.keys() == []
    review(database_url, "asked", "hold")
    send(database_url, "asked")  # something went out meanwhile: nothing left to decide
    assert queue.keys() == []


def test_the_queue_oldest_age_runs_from_the_hold(database_url: str):
    queue = Queue(database_url)
    decide(database_url, "auto", "auto_approve")
    queue.keys()
    review(database_url, "auto", "hold")
    with session_scope(database_url) as session:
        (held,) = reviews.review_queue(session)
        figures = DecisionTotals().read(session)
    assert figures.queue_oldest == held.since > held.decision.created_at
