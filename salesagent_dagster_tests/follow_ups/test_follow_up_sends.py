"""Follow-ups end to end against the emulators: the official Gmail client, the real sensor and
job. A silent lead gets its step once, in the first email's thread; every gate of the first
email holds for the step; a reply, an opt-out, a rejection or an erasure stops the sequence;
an auto-reply moves it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from click.testing import CliRunner
from dagster import DagsterInstance
from sqlalchemy import select

from salesagent_dagster.cli.privacy_commands import erase
from salesagent_dagster.services.opt_out import record_opt_out
from salesagent_dagster.services.review import ReviewAction, ReviewRequest, Sender, apply_review
from salesagent_dagster.settings import resources_from_env
from salesagent_dagster.store import controls, inbound_mail, leads, reviews, suppression
from salesagent_dagster.store.inbound_mail import InboundRecord
from salesagent_dagster.store.models import AuditEvent, ReviewDecision, utc_now
from salesagent_dagster_tests.follow_ups.follow_up_harness import (
    LEAD,
    first_email,
    follow_up_tick,
    ledger_of,
    run_step_job,
    schedule_of,
    step_materializations,
    step_observations,
    wait_until_due,
)
from salesagent_dagster_tests.integration.pipeline_harness import (
    add_fault,
    gmail_state,
    parse_raw,
)

# real sends, Gmail box, ledger state
MODES = {"send": ("true", "sent", "sent"), "draft": ("false", "drafts", "drafted")}


@pytest.fixture
def due_at_once(monkeypatch):
    """One step, due 0.09 s after the first email."""
    monkeypatch.setenv("SALESAGENT_FOLLOW_UP_DAYS", "0.000001")


def _inbound(key: str, kind: str, **extra) -> None:
    record = InboundRecord(
        mailbox="rep@seller.test", gmail_message_id=f"in-{kind}", gmail_thread_id=None,
        partition_key=key, rfc822_message_id=None, kind=kind, reason=f"test_{kind}",
        return_on=extra.get("return_on"), from_hash=None, bounced_hash=None, subject="",
        body_text="", received_at=utc_now(),
    )  # fmt: skip
    with resources_from_env().app_store.session() as session:
        inbound_mail.record_inbound(session, record)


@pytest.mark.parametrize("mode", sorted(MODES))
def test_a_silent_lead_gets_the_follow_up_once_in_the_first_emails_thread(
    sandbox, dagster_home, monkeypatch, mode
):
    real_sends, box, state = MODES[mode]
    monkeypatch.setenv("ALLOW_REAL_SENDS", real_sends)
    monkeypatch.setenv("SALESAGENT_FOLLOW_UP_DAYS", "0.0001")
    with DagsterInstance.get() as instance:
        outcome = first_email(sandbox, instance)
        assert outcome.status == state
        key = outcome.partition_key
        (step,) = schedule_of(key)
        assert (step.step, step.state) == (1, "pending")
        assert follow_up_tick(instance).runs == ()  # 0.0001 days: 8.6 s

        wait_until_due(key)
        tick = follow_up_tick(instance)
        assert [run.success for run in tick.runs] == [True]
        # The sensor ticking again and an operator re-running the step change nothing.
        assert follow_up_tick(instance).runs == ()
        assert run_step_job(instance, key, 1).success

        first, follow_up = gmail_state(sandbox.gmail.url)[box]
        first_message, message = parse_raw(first["raw"]), parse_raw(follow_up["raw"])
        assert follow_up["threadId"] == first["threadId"] == ledger_of(key, 0).gmail_thread_id
        assert message["In-Reply-To"] == first_message["Message-ID"]
        assert message["References"].split()[-1] == first_message["Message-ID"]
        assert message["Message-ID"] != first_message["Message-ID"]
        assert message["Subject"] == f"Re: {first_message['Subject']}"
        assert "Kim" in message.get_body(("plain",)).get_content()
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        entry = ledger_of(key, 1)
        assert (entry.state, entry.attempts, entry.mode) == (
            state,
            1,
            "send" if mode == "send" else "draft",
        )
        assert [(m["step"], m["status"]) for m in step_materializations(instance, key)] == [
            (1, state),
            (1, state),  # the re-run: a materialization saying it was done earlier
        ]
        assert [row.state for row in schedule_of(key)] == [state]  # one step in the env's plan


@pytest.mark.parametrize("drop", ["accept_then_drop", "drop"])
def test_a_dropped_connection_around_the_follow_up_send_is_reconciled_not_resent(
    sandbox, dagster_home, monkeypatch, due_at_once, drop
):
    monkeypatch.setenv("ALLOW_REAL_SENDS", "true")
    with DagsterInstance.get() as instance:
        key = first_email(sandbox, instance).partition_key
        add_fault(sandbox.gmail.url, path="/messages/send", method="POST", mode=drop)
        assert [run.success for run in follow_up_tick(instance).runs] == [True]
        assert run_step_job(instance, key, 1).success
    assert len(gmail_state(sandbox.gmail.url)["sent"]) == 2
    entry = ledger_of(key, 1)
    # Accepted then dropped: found by its Message-ID. Dropped before: sent on the retry.
    assert (entry.state, entry.attempts) == ("sent", 1 if drop == "accept_then_drop" else 2)


def test_a_suppressed_person_gets_no_follow_up_and_the_step_says_why(
    sandbox, dagster_home, due_at_once
):
    with DagsterInstance.get() as instance:
        key = first_email(sandbox, instance).partition_key
        with resources_from_env().app_store.session() as session:
            lead = leads.get_lead(session, key)
            suppression.suppress(session, lead.email_hash, "unsubscribed")
        assert [run.success for run in follow_up_tick(instance).runs] == [True]
        (recorded,) = step_materializations(instance, key)
    assert len(gmail_state(sandbox.gmail.url)["drafts"]) == 1
    assert recorded["status"] == "skipped" and "suppression" in recorded["reason"]
    assert ledger_of(key, 1) is None


def test_the_kill_switch_holds_the_step_until_it_is_off(sandbox, dagster_home, due_at_once):
    app_store = resources_from_env().app_store
    with DagsterInstance.get() as instance:
        key = first_email(sandbox, instance).partition_key
        with app_store.session() as session:
            controls.set_control(session, controls.KILL_SWITCH, True, actor="ops", reason="t")
        assert follow_up_tick(instance).runs == ()  # nothing released while it is on
        assert run_step_job(instance, key, 1).success  # a run already on its way: held
        assert step_observations(instance, key)[-1]["status"] == "held"
        assert len(gmail_state(sandbox.gmail.url)["drafts"]) == 1
        assert schedule_of(key)[0].state == "pending"

        with app_store.session() as session:
            controls.set_control(session, controls.KILL_SWITCH, False, actor="ops", reason="t")
        (run,) = follow_up_tick(instance).runs
        assert run.success
    assert len(gmail_state(sandbox.gmail.url)["drafts"]) == 2
    assert schedule_of(key)[0].state == "drafted"


def test_a_lead_whose_first_email_never_went_gets_no_follow_up(sandbox, dagster_home, due_at_once):
    with DagsterInstance.get() as instance:
        outcome = first_email(
            sandbox, instance, {"email": "lee@quietfirm.test", "firstname": "Lee"}
        )
        assert outcome.status == "needs_review"
        assert schedule_of(outcome.partition_key) == []
        assert follow_up_tick(instance).runs == ()
        # Launched by hand, the step finds nothing scheduled and sends nothing.
        assert run_step_job(instance, outcome.partition_key, 1).success
        (recorded,) = step_materializations(instance, outcome.partition_key)
    assert (recorded["status"], recorded["reason"]) == ("skipped", "not scheduled")
    assert gmail_state(sandbox.gmail.url)["drafts"] == []


@pytest.mark.parametrize("kind", ["question", "unsubscribe", "bounce_hard"])
def test_an_answer_from_the_lead_cancels_the_sequence(sandbox, dagster_home, due_at_once, kind):
    with DagsterInstance.get() as instance:
        key = first_email(sandbox, instance).partition_key
        _inbound(key, kind)
        follow_up_tick(instance)
        (recorded,) = step_materializations(instance, key)
    assert recorded["status"] == "cancelled" and kind in recorded["reason"]
    assert len(gmail_state(sandbox.gmail.url)["drafts"]) == 1


def test_a_rejection_in_review_cancels_the_sequence(sandbox, dagster_home, due_at_once):
    with DagsterInstance.get() as instance:
        key = first_email(sandbox, instance).partition_key
        with resources_from_env().app_store.session() as session:
            reviews.record_review(
                session,
                ReviewDecision(
                    partition_key=key, action="reject", reviewer="dana", reason="wrong person",
                    draft_version=1, overridden_rules=[],
                ),
            )  # fmt: skip
        follow_up_tick(instance)
        (recorded,) = step_materializations(instance, key)
    assert (recorded["status"], recorded["reason"]) == ("cancelled", "rejected in review")
    assert len(gmail_state(sandbox.gmail.url)["drafts"]) == 1


def test_an_operator_rejecting_after_the_first_email_cancels_what_would_follow(
    sandbox, dagster_home, monkeypatch
):
    monkeypatch.setenv("SALESAGENT_FOLLOW_UP_DAYS", "30")
    resources = resources_from_env()
    with DagsterInstance.get() as instance:
        key = first_email(sandbox, instance).partition_key
        with resources.app_store.session() as session:
            result = apply_review(
                session,
                key,
                ReviewRequest(ReviewAction.reject, reviewer="dana", reason="wrong person"),
                resources.outreach,
                Sender(resources.gmail.sender_email, resources.gmail.sender_name),
            )
        assert result.accepted, result.explanation
        (step,) = schedule_of(key)
        assert (step.state, step.reason) == ("cancelled", "rejected in review")
        assert follow_up_tick(instance).runs == ()
    assert len(gmail_state(sandbox.gmail.url)["drafts"]) == 1


def test_an_auto_reply_moves_the_step_to_its_return_date(sandbox, dagster_home, due_at_once):
    back_on = (utc_now() + timedelta(days=5)).date()
    with DagsterInstance.get() as instance:
        key = first_email(sandbox, instance).partition_key
        _inbound(key, "auto_reply", return_on=back_on)
        assert [run.success for run in follow_up_tick(instance).runs] == [True]
        assert step_materializations(instance, key) == []
        assert step_observations(instance, key)[-1]["status"] == "waiting"
        (step,) = schedule_of(key)
        assert (step.state, step.due_at.date()) == ("pending", back_on)
        assert follow_up_tick(instance).runs == ()  # not due before that date
        assert run_step_job(instance, key, 1).success  # by hand: the schedule still stands
        assert step_observations(instance, key)[-1]["reason"].startswith("not due before")
    assert len(gmail_state(sandbox.gmail.url)["drafts"]) == 1


def test_an_empty_follow_up_days_setting_schedules_nothing(sandbox, dagster_home, monkeypatch):
    monkeypatch.setenv("SALESAGENT_FOLLOW_UP_DAYS", "")
    with DagsterInstance.get() as instance:
        outcome = first_email(sandbox, instance)
        assert outcome.status == "drafted"
        assert schedule_of(outcome.partition_key) == []
        assert follow_up_tick(instance).runs == ()


def test_erasure_cancels_pending_steps_and_deletes_the_follow_up_drafts(
    sandbox, dagster_home, monkeypatch
):
    monkeypatch.setenv("SALESAGENT_FOLLOW_UP_DAYS", "0.000001,30")
    with DagsterInstance.get() as instance:
        key = first_email(sandbox, instance).partition_key
        follow_up_tick(instance)
        assert [row.state for row in schedule_of(key)] == ["drafted", "pending"]
        assert len(gmail_state(sandbox.gmail.url)["drafts"]) == 2

        erased = CliRunner().invoke(erase, [LEAD["email"], "--yes", "--actor", "dpo"])
        assert erased.exit_code == 0, erased.output
        assert schedule_of(key) == []
        assert follow_up_tick(instance).runs == ()
    assert gmail_state(sandbox.gmail.url)["drafts"] == []
    with resources_from_env().app_store.session() as session:
        actions = session.scalars(select(AuditEvent.action).where(AuditEvent.subject == key))
        assert "follow_ups_cancelled" in set(actions)


def test_an_opt_out_cancels_the_pending_steps_at_once(sandbox, dagster_home, monkeypatch):
    monkeypatch.setenv("SALESAGENT_FOLLOW_UP_DAYS", "30")
    app_store = resources_from_env().app_store
    with DagsterInstance.get() as instance:
        key = first_email(sandbox, instance).partition_key
        assert [row.state for row in schedule_of(key)] == ["pending"]
        record_opt_out(app_store, key, source="one_click", actor="recipient")
        (step,) = schedule_of(key)
        assert (step.state, step.reason) == ("cancelled", "unsubscribed")
        # Even launched by hand, the cancelled step sends nothing.
        assert run_step_job(instance, key, 1).success
    assert len(gmail_state(sandbox.gmail.url)["drafts"]) == 1
