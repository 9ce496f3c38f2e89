"""The ledger and the outbox per lead and step, and the follow-up schedule, on SQLite and on
PostgreSQL: a step scheduled once, released once, cancelled for good."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from salesagent_dagster.domain.follow_up_plan import FollowUpPlan, FollowUpStep, StepDelay
from salesagent_dagster.domain.send_limits import SendLimits
from salesagent_dagster.store import follow_ups, inbox, outbox, send_ledger
from salesagent_dagster.store.database import session_scope
from salesagent_dagster.store.follow_ups import StepState
from salesagent_dagster.store.models import OutboxMessage
from salesagent_dagster.store.send_ledger import ClaimStatus, LedgerState

MAILBOX = "rep@seller.example"
SENT_AT = datetime(2026, 11, 27, 15, 0, tzinfo=UTC)
PLAN = FollowUpPlan(
    steps=tuple(
        FollowUpStep(n, StepDelay(calendar_days=1.0), "$greeting_line", "$greeting_line")
        for n in (1, 2)
    )
)


def _lead(url: str) -> str:
    with session_scope(url) as session:
        row, _ = inbox.record_submission(
            session, form_id="f", conversion_id="c1", payload={}, submitted_at=None,
            reject_reason=None,
        )  # fmt: skip
        return row.partition_key


def _claim(url: str, key: str, step: int):
    with session_scope(url) as session:
        return send_ledger.claim_send(
            session, partition_key=key, mailbox=MAILBOX, recipient_hash="h",
            message_id=f"<{key}.{step}@seller.example>", draft_version=1, mode="send",
            limits=SendLimits(per_contact=10, per_mailbox_per_minute=float("inf")), step=step,
        )  # fmt: skip


def test_each_step_has_its_own_ledger_row_and_the_limits_count_them_all(database_url):
    key = _lead(database_url)
    assert _claim(database_url, key, 0).status == ClaimStatus.CLAIMED
    assert _claim(database_url, key, 1).status == ClaimStatus.CLAIMED
    assert _claim(database_url, key, 1).status == ClaimStatus.NEEDS_RECONCILE
    with session_scope(database_url) as session:
        send_ledger.record_outcome(session, key, LedgerState.SENT, step=1)
        assert send_ledger.get_entry(session, key).state == LedgerState.SENDING  # step 0
        assert send_ledger.get_entry(session, key, 1).state == LedgerState.SENT
        volume = send_ledger.send_volume(
            session, MAILBOX, "h", SendLimits(), datetime.now(UTC) + timedelta(seconds=1)
        )
        assert volume.to_contact_in_window == 2
    assert _claim(database_url, key, 1).status == ClaimStatus.ALREADY_DONE


def test_the_outbox_keeps_the_first_message_composed_for_a_step(database_url):
    key = _lead(database_url)
    with session_scope(database_url) as session:
        outbox.put_outbox(
            session, OutboxMessage(partition_key=key, draft_version=1, message_id="<a>", raw="A")
        )
        for message_id in ("<b>", "<c>"):
            stored = outbox.add_if_absent(
                session,
                OutboxMessage(
                    partition_key=key, step=1, draft_version=1, message_id=message_id, raw="B"
                ),
            )
            assert stored.message_id == "<b>"
    with session_scope(database_url) as session:
        assert outbox.get_outbox(session, key).message_id == "<a>"
        assert outbox.get_outbox(session, key, 1).message_id == "<b>"


def test_delivering_an_email_schedules_the_next_step_once(database_url):
    key = _lead(database_url)
    with session_scope(database_url) as session:
        first = follow_ups.record_delivery(session, key, 0, "sent", PLAN, SENT_AT)
        assert first is not None and first.due_at == SENT_AT + timedelta(days=1)
        assert follow_ups.record_delivery(session, key, 0, "sent", PLAN, SENT_AT) is None
    with session_scope(database_url) as session:
        follow_ups.record_delivery(session, key, 1, "drafted", PLAN, SENT_AT)
        follow_ups.record_delivery(session, key, 2, "drafted", PLAN, SENT_AT)  # the last step
        states = [(r.step, r.state) for r in follow_ups.steps_of(session, key)]
    assert states == [(1, StepState.DRAFTED), (2, StepState.DRAFTED)]


def test_a_due_step_is_released_once_then_only_repeated_within_the_grace(database_url):
    key = _lead(database_url)
    with session_scope(database_url) as session:
        follow_ups.record_delivery(session, key, 0, "sent", PLAN, SENT_AT)
    due = SENT_AT + timedelta(days=2)
    with session_scope(database_url) as session:
        assert follow_ups.release_due(session, 10, SENT_AT) == []  # not due yet
        (released,) = follow_ups.release_due(session, 10, due)
        assert (released.step, released.releases, released.state) == (1, 1, StepState.RELEASED)
    with session_scope(database_url) as session:
        (again,) = follow_ups.release_due(session, 10, due)  # the daemon may have lost it
        assert again.releases == 1
        assert follow_ups.release_due(session, 10, due + follow_ups.RELEASE_GRACE * 2) == []


def test_cancelling_closes_open_steps_and_a_closed_step_stays_closed(database_url):
    key = _lead(database_url)
    with session_scope(database_url) as session:
        follow_ups.record_delivery(session, key, 0, "sent", PLAN, SENT_AT)
        assert follow_ups.cancel_open(session, key, "unsubscribed") == 1
        assert follow_ups.cancel_open(session, key, "unsubscribed") == 0
        follow_ups.park(session, key, 1, SENT_AT, "held")
        follow_ups.finish(session, key, 1, StepState.SENT)
    with session_scope(database_url) as session:
        (row,) = follow_ups.steps_of(session, key)
        assert (row.state, row.reason) == (StepState.CANCELLED, "unsubscribed")
        assert follow_ups.release_due(session, 10, SENT_AT + timedelta(days=9)) == []
