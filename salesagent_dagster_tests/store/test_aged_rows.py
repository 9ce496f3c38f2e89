"""Retention of built messages: a body is blanked only once its own step's send is settled."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from salesagent_dagster.store import aged_rows, outbox
from salesagent_dagster.store.database import session_scope
from salesagent_dagster.store.models import OutboxMessage, SendLedgerEntry

BUILT = datetime(2026, 9, 1, 9, 0, tzinfo=UTC)
KEY = "sub_retention"


def _email(session, step: int, state: str) -> None:
    message_id = f"<step{step}@seller.example>"
    session.add(
        SendLedgerEntry(
            partition_key=KEY, step=step, message_id=message_id, mailbox="rep@seller.example",
            recipient_hash="h", draft_version=1, mode="send", state=state,
        )
    )  # fmt: skip
    session.add(
        OutboxMessage(
            partition_key=KEY, step=step, draft_version=1, message_id=message_id,
            raw="cmF3", built_at=BUILT,
        )
    )  # fmt: skip


def test_a_follow_up_with_an_open_outcome_keeps_its_body_when_the_first_email_is_settled(
    database_url,
):
    with session_scope(database_url) as session:
        _email(session, 0, "sent")
        _email(session, 1, "unknown")  # reconciliation still needs the very bytes
    with session_scope(database_url) as session:
        counts = aged_rows.age_out_drafts(
            session,
            draft_cutoff=BUILT - timedelta(days=1),
            body_cutoff=BUILT + timedelta(days=30),
            dry_run=False,
        )
    assert counts["outbox_bodies_blanked"] == 1
    with session_scope(database_url) as session:
        first, follow_up = outbox.get_outbox(session, KEY, 0), outbox.get_outbox(session, KEY, 1)
        assert first is not None and first.raw == ""
        assert follow_up is not None and follow_up.raw == "cmF3"
