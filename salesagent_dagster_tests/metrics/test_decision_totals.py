"""Decision sums and the review queue, read from their watermarks, agree with a full read
while decisions arrive, are reviewed, sent and superseded."""

from __future__ import annotations

from salesagent_dagster.services.metrics.decision_totals import DecisionFigures, DecisionTotals
from salesagent_dagster.store.database import session_scope
from salesagent_dagster.store.models import ReviewDecision, SendDecision, SendLedgerEntry


def decide(url: str, key: str, outcome: str) -> None:
    with session_scope(url) as session:
        session.add(SendDecision(partition_key=key, draft_version=1, outcome=outcome,
                                 confidence=0.5, threshold=0.85, rules_fired=[], rationale="-"))  # fmt: skip


def review(url: str, key: str) -> None:
    with session_scope(url) as session:
        session.add(ReviewDecision(partition_key=key, action="approve", reviewer="dana",
                                   reason="ok", draft_version=1))  # fmt: skip


def send(url: str, key: str) -> None:
    with session_scope(url) as session:
        session.add(SendLedgerEntry(partition_key=key, step=0, message_id=f"<{key}>",
                                    mailbox="m", recipient_hash="h", draft_version=1,
                                    mode="send", state="sent"))  # fmt: skip


def test_watermarked_reads_equal_full_reads(database_url: str):
    kept = DecisionTotals()

    def check() -> DecisionFigures:
        with session_scope(database_url) as session:
            running, full = kept.read(session), DecisionTotals().read(session)
        assert running == full
        return running

    decide(database_url, "a", "needs_review")
    decide(database_url, "b", "auto_approve")
    decide(database_url, "c", "needs_review")
    assert check().queue_depth == 2
    review(database_url, "a")
    send(database_url, "b")
    assert check().queue_depth == 1
    decide(database_url, "c", "auto_approve")  # c's edited draft supersedes its decision
    assert check().queue_depth == 0
    decide(database_url, "d", "blocked")
    decide(database_url, "e", "needs_review")
    for _ in range(2):
        figures = check()
    assert figures.queue_depth == 1
    assert figures.by_outcome == {"needs_review": 3, "auto_approve": 2, "blocked": 1}
    review(database_url, "e")
    assert check().queue_depth == 0 and check().queue_oldest is None
    decide(database_url, "f", "needs_review")
    assert check().queue_depth == 1
