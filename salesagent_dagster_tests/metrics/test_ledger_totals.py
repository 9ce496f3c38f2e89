"""The send ledger's running sums agree with a full count while rows arrive and settle."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import update

from salesagent_dagster.services.metrics.figures import SPEED_BUCKETS
from salesagent_dagster.services.metrics.ledger_totals import LedgerFigures, LedgerTotals
from salesagent_dagster.store.database import session_scope
from salesagent_dagster.store.models import SendLedgerEntry, Submission


def add_send(url: str, key: str, state: str, seconds: float) -> None:
    received = datetime.now(UTC) - timedelta(hours=1)
    with session_scope(url) as session:
        session.add(Submission(partition_key=key, form_id="f", conversion_id=key, payload={},
                               status="accepted", received_at=received))  # fmt: skip
        session.flush()
        session.add(
            SendLedgerEntry(partition_key=key, step=0, message_id=f"<{key}>", mailbox="m",
                            recipient_hash="h", draft_version=1, mode="send", state=state,
                            claimed_at=received,
                            updated_at=received + timedelta(seconds=seconds))
        )  # fmt: skip


def settle(url: str, key: str, state: str) -> None:
    with session_scope(url) as session:
        session.execute(
            update(SendLedgerEntry).where(SendLedgerEntry.partition_key == key).values(state=state)
        )


def test_running_sums_equal_a_full_count_as_rows_arrive_and_settle(database_url: str):
    kept = LedgerTotals(SPEED_BUCKETS)

    def both() -> tuple[LedgerFigures, LedgerFigures]:
        with session_scope(database_url) as session:
            return kept.read(session), LedgerTotals(SPEED_BUCKETS).read(session)

    add_send(database_url, "a", "sent", 4)
    add_send(database_url, "b", "sending", 20)  # its outcome still open
    add_send(database_url, "c", "sent", 40)
    running, full = both()
    assert running == full
    running, full = both()  # folds "a" only: "b" is open, so nothing above it is final yet
    assert running == full
    assert running.count == 2 and running.by_mailbox[("m", 0, "sending")] == 1
    settle(database_url, "b", "sent")
    add_send(database_url, "d", "unknown", 8)
    running, full = both()
    assert running == full and running.count == 3
    settle(database_url, "d", "drafted")
    for _ in range(2):  # everything final now: the second read folds the whole ledger
        running, full = both()
        assert running == full
    assert running.count == 4
    # "b" and "d" reached their final state when settled, an hour after their submission.
    at = {bound: running.cumulative[SPEED_BUCKETS.index(bound)] for bound in (10, 60, 4 * 3600)}
    assert at == {10: 1, 60: 2, 4 * 3600: 4}
