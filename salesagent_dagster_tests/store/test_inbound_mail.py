"""Inbound mail records on SQLite and PostgreSQL: one row per (mailbox, Gmail id), the two
answers follow-ups read, cursors that only go forward, known-good hashes."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from salesagent_dagster.store import inbound_mail, known_good, mailbox_cursors
from salesagent_dagster.store.database import session_scope
from salesagent_dagster.store.inbound_mail import InboundRecord

MAILBOX = "rep@seller.example"
T0 = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)


def _record(gmail_id: str, kind: str, *, key: str | None = "lead-1", minutes: int = 0,
            return_on: date | None = None, body: str = "hi") -> InboundRecord:  # fmt: skip
    return InboundRecord(
        mailbox=MAILBOX, gmail_message_id=gmail_id, gmail_thread_id="t1", partition_key=key,
        rfc822_message_id=f"<{gmail_id}@mail.example>", kind=kind, reason="rule",
        return_on=return_on, from_hash="h" * 64, bounced_hash=None, subject="Re: hello",
        body_text=body, received_at=T0 + timedelta(minutes=minutes),
    )  # fmt: skip


def test_a_message_is_recorded_once_per_mailbox_and_gmail_id(database_url):
    with session_scope(database_url) as session:
        first, created = inbound_mail.record_inbound(session, _record("m1", "positive"))
        again, created_again = inbound_mail.record_inbound(session, _record("m1", "negative"))
        assert (created, created_again) == (True, False)
        assert again.id == first.id and again.kind == "positive"
        assert inbound_mail.recorded_ids(session, MAILBOX, ["m1", "m2"]) == {"m1"}


def test_text_is_capped(database_url):
    with session_scope(database_url) as session:
        row, _ = inbound_mail.record_inbound(session, _record("big", "positive", body="x" * 10**6))
        assert len(row.body_text) == inbound_mail.TEXT_CAP


def test_auto_replies_move_the_next_step_but_do_not_stop_follow_ups(database_url):
    with session_scope(database_url) as session:
        inbound_mail.record_inbound(
            session, _record("a1", "auto_reply", return_on=date(2026, 12, 1))
        )
        inbound_mail.record_inbound(
            session, _record("a2", "auto_reply", minutes=5, return_on=date(2026, 12, 8))
        )
        assert inbound_mail.stopping_engagement(session, "lead-1") is None
        assert inbound_mail.next_step_not_before(session, "lead-1") == date(2026, 12, 8)
        assert inbound_mail.next_step_not_before(session, "lead-2") is None


def test_the_first_human_reply_or_bounce_is_the_stopping_engagement(database_url):
    with session_scope(database_url) as session:
        inbound_mail.record_inbound(session, _record("x", "positive", key=None))
        inbound_mail.record_inbound(session, _record("b", "bounce_hard", minutes=9))
        inbound_mail.record_inbound(session, _record("q", "question", minutes=3))
        inbound_mail.record_inbound(session, _record("o", "auto_reply", minutes=1))
        stop = inbound_mail.stopping_engagement(session, "lead-1")
        assert stop is not None and stop.gmail_message_id == "q"


def test_cursors_only_go_forward_except_after_a_resync(database_url):
    with session_scope(database_url) as session:
        mailbox_cursors.save_cursor(session, MAILBOX, "200")
        mailbox_cursors.save_cursor(session, MAILBOX, "150")
        cursor = mailbox_cursors.get_cursor(session, MAILBOX)
        assert cursor is not None and cursor.history_id == "200"
        mailbox_cursors.save_cursor(session, MAILBOX, "900", resynced_at=T0)
        assert (cursor.history_id, cursor.last_resync_at) == ("900", T0)


def test_known_good_hashes_are_added_once_and_forgotten(database_url):
    with session_scope(database_url) as session:
        assert known_good.add_known_good(session, "k" * 64, "positive_reply")
        assert not known_good.add_known_good(session, "k" * 64, "positive_reply")
        assert known_good.is_known_good_hash(session, "k" * 64)
        assert known_good.forget_known_good(session, ["k" * 64]) == 1
        assert not known_good.is_known_good_hash(session, "k" * 64)


def test_a_failed_statement_never_carries_the_values_it_bound(database_url):
    """Dagster keeps a run's error text; an address or a reply's body must not be in it."""
    from sqlalchemy.exc import IntegrityError

    from salesagent_dagster.store.models import Suppression

    with session_scope(database_url) as session:
        session.add(Suppression(email_hash="h" * 64, reason="unsubscribed"))
    with pytest.raises(IntegrityError) as caught, session_scope(database_url) as session:
        session.add(Suppression(email_hash="h" * 64, reason="secret-body ana@acme.io"))
    assert "ana@acme.io" not in str(caught.value) and "secret-body" not in str(caught.value)
