"""Listening to the mailbox (issue 13), end to end against the emulators: the real sensor
reads Gmail history through the official client, records what came back, and the
`handle_reply` run carries out its effects once."""

from __future__ import annotations

from datetime import date

import pytest
from dagster import DagsterInstance, RunsFilter, build_sensor_context
from sqlalchemy import func, select

from salesagent_dagster.definitions import build_definitions
from salesagent_dagster.local.demo_seed import add_submission
from salesagent_dagster.local.one_tick import TickResult, run_one_tick
from salesagent_dagster.local.sandbox_replies import put_reply
from salesagent_dagster.local.sandbox_stack import SANDBOX_SENDER
from salesagent_dagster.sandbox.gmail_inbound import delivery_status_notification, insert_incoming
from salesagent_dagster.settings import resources_from_env
from salesagent_dagster.store import inbound_mail, known_good, suppression
from salesagent_dagster.store.models import InboundMessage, ReplyEffect
from salesagent_dagster_tests.integration.pipeline_harness import hubspot_state, process_once

SENSOR = "mailbox_replies"


@pytest.fixture
def env(sandbox, dagster_home, monkeypatch):
    monkeypatch.setenv("ALLOW_REAL_SENDS", "true")  # people answer mail that was sent
    with DagsterInstance.get() as instance:
        listen(instance)  # first sight: the cursor starts at the mailbox's history now
        yield sandbox, instance, resources_from_env(resolve_secrets=True)


def listen(instance: DagsterInstance) -> TickResult:
    return run_one_tick(instance, build_definitions(), sensor_names=(SENSOR,))


def send_to(sandbox, instance, address: str, first_name: str = "Ana") -> str:
    add_submission(
        sandbox.hubspot.url, {"email": address, "firstname": first_name, "company": "BrightPath"}
    )
    (outcome,) = process_once(instance).outcomes
    assert outcome.status == "sent", outcome
    return outcome.partition_key


def inbound_rows(resources) -> list[InboundMessage]:
    with resources.app_store.session() as session:
        rows = list(session.scalars(select(InboundMessage).order_by(InboundMessage.id)))
        session.expunge_all()
        return rows


def engagements(sandbox) -> tuple[list, list]:
    objects = hubspot_state(sandbox.hubspot.url)["objects"]
    return list(_values(objects.get("emails"))), list(_values(objects.get("tasks")))


def _values(found):
    return (found or {}).values() if isinstance(found, dict) else (found or [])


def props(obj) -> dict:
    return obj.get("properties", obj)


def test_positive_reply_is_recorded_matched_logged_once_and_learned(env):
    sandbox, instance, resources = env
    key = send_to(sandbox, instance, "ana@brightpath.io")
    put_reply(resources.app_store, resources.gmail, key, "positive")

    tick = listen(instance)

    (run,) = [r for r in tick.runs if r.job == "handle_reply"]
    assert run.success and run.partition_key == key
    (row,) = inbound_rows(resources)
    assert (row.partition_key, row.kind) == (key, "positive")
    assert "Tuesday" in row.body_text and row.effects_done_at is not None
    emails, tasks = engagements(sandbox)
    incoming = [e for e in emails if props(e)["hs_email_direction"] == "INCOMING_EMAIL"]
    assert len(incoming) == 1 and props(incoming[0])["hs_email_subject"].startswith("Re: ")
    assert [props(t)["hs_task_subject"] for t in tasks].count("replied: positive") == 1
    with resources.app_store.session() as session:
        lead_hash = resources.outreach.fingerprint("ana@brightpath.io")
        assert known_good.is_known_good_hash(session, lead_hash)
        stop = inbound_mail.stopping_engagement(session, key)
        assert stop is not None and stop.id == row.id

    # Re-running the job for the same reply changes nothing outside.
    job = build_definitions().resolve_job_def("handle_reply")
    config = {"ops": {"engagement": {"config": {"inbound_message_id": row.id}}}}
    again = job.execute_in_process(instance=instance, partition_key=key, run_config=config)
    assert again.success
    assert engagements(sandbox) == (emails, tasks)
    (materialization,) = [e.materialization for e in again.get_asset_materialization_events()]
    assert materialization.metadata["kind"].value == "positive"
    assert materialization.metadata["effects_done"].value == "none"
    # And the next tick neither records it again nor asks for another run.
    assert [r for r in listen(instance).runs if r.job == "handle_reply"] == []
    assert len(inbound_rows(resources)) == 1


@pytest.mark.parametrize("kind", ["unsubscribe", "bounce"])
def test_mailto_unsubscribe_and_hard_bounce_suppress_for_good(env, kind):
    sandbox, instance, resources = env
    key = send_to(sandbox, instance, "ana@brightpath.io")
    put_reply(resources.app_store, resources.gmail, key, kind)
    listen(instance)

    (row,) = inbound_rows(resources)
    assert row.partition_key == key
    assert row.kind == ("unsubscribe" if kind == "unsubscribe" else "bounce_hard")
    with resources.app_store.session() as session:
        assert suppression.is_suppressed(
            session, resources.outreach.fingerprint("ana@brightpath.io")
        )
        assert inbound_mail.stopping_engagement(session, key) is not None
    sent_before = len(sandbox.gmail.sent_messages(SANDBOX_SENDER))
    add_submission(sandbox.hubspot.url, {"email": "ana@brightpath.io", "firstname": "Ana"})
    (later,) = process_once(instance).outcomes
    assert later.status != "sent"
    assert len(sandbox.gmail.sent_messages(SANDBOX_SENDER)) == sent_before


@pytest.mark.parametrize("kind", ["unsubscribe", "bounce"])
def test_the_sensor_itself_suppresses_an_opt_out_before_any_run(env, kind):
    """Within a minute, even when handle_reply waits in the run queue behind a burst."""
    sandbox, instance, resources = env
    key = send_to(sandbox, instance, "ana@brightpath.io")
    put_reply(resources.app_store, resources.gmail, key, kind)
    definitions = build_definitions()
    with build_sensor_context(
        instance=instance,
        definitions=definitions,
        sensor_name=SENSOR,
        resources=dict(definitions.resources or {}),
    ) as context:
        result = definitions.resolve_sensor_def(SENSOR)(context)  # evaluated; no run executed
    assert [r.partition_key for r in result.run_requests] == [key]
    with resources.app_store.session() as session:
        assert suppression.is_suppressed(
            session, resources.outreach.fingerprint("ana@brightpath.io")
        )
    assert instance.get_runs_count(filters=RunsFilter(job_name="handle_reply")) == 0


def test_only_the_lead_opts_the_lead_out_by_mail(env):
    """Anyone who saw a lead's key could email `unsubscribe KEY`, or write a DSN-shaped
    message naming the lead's address: the stranger is suppressed, the lead is not."""
    sandbox, instance, resources = env
    key = send_to(sandbox, instance, "ana@brightpath.io")
    put_reply(
        resources.app_store, resources.gmail, key, "unsubscribe", sender="mallory@evil.example"
    )
    forged = delivery_status_notification(
        b"From: Riley <riley@seller.example>\r\nTo: ana@brightpath.io\r\nSubject: Hi\r\n"
        b"Message-ID: <guessed@seller.example>\r\n\r\nHi\r\n"
    ).replace(b"mailer-daemon@googlemail.com", b"mallory@evil.example")
    assert b"mallory@evil.example" in forged
    insert_incoming(resources.gmail.service, forged)

    tick = listen(instance)

    rows = {row.kind: row for row in inbound_rows(resources)}
    assert rows["unsubscribe"].partition_key == key  # the lead's key, so its follow-ups stop
    assert (rows["bounce_hard"].partition_key, rows["bounce_hard"].reason) == (None, "unmatched")
    with resources.app_store.session() as session:
        assert not suppression.is_suppressed(
            session, resources.outreach.fingerprint("ana@brightpath.io")
        )
        assert suppression.is_suppressed(
            session, resources.outreach.fingerprint("mallory@evil.example")
        )
        assert inbound_mail.stopping_engagement(session, key) is not None
    assert all(run.success for run in tick.runs)


def test_auto_reply_stores_the_return_date_and_does_not_stop_follow_ups(env):
    sandbox, instance, resources = env
    key = send_to(sandbox, instance, "ana@brightpath.io")
    put_reply(resources.app_store, resources.gmail, key, "ooo", return_on=date(2031, 3, 14))
    listen(instance)

    (row,) = inbound_rows(resources)
    assert (row.kind, row.return_on) == ("auto_reply", date(2031, 3, 14))
    with resources.app_store.session() as session:
        assert inbound_mail.next_step_not_before(session, key) == date(2031, 3, 14)
        assert inbound_mail.stopping_engagement(session, key) is None
    emails, tasks = engagements(sandbox)
    assert [props(e)["hs_email_direction"] for e in emails].count("INCOMING_EMAIL") == 1
    assert not [t for t in tasks if props(t)["hs_task_subject"].startswith("replied")]


def test_history_too_old_resyncs_and_records_nothing_twice(env):
    sandbox, instance, resources = env
    key = send_to(sandbox, instance, "ana@brightpath.io")
    put_reply(resources.app_store, resources.gmail, key, "positive")
    listen(instance)
    put_reply(resources.app_store, resources.gmail, key, "negative")
    sandbox.gmail.forget_history(SANDBOX_SENDER)  # the cursor is now older than Gmail keeps

    listen(instance)

    rows = inbound_rows(resources)
    assert sorted(r.kind for r in rows) == ["negative", "positive"]
    assert len({r.gmail_message_id for r in rows}) == 2
    with resources.app_store.session() as session:
        from salesagent_dagster.store.mailbox_cursors import get_cursor

        cursor = get_cursor(session, SANDBOX_SENDER)
        assert cursor is not None and cursor.last_resync_at is not None
    # Listening goes on from the fresh historyId.
    put_reply(resources.app_store, resources.gmail, key, "ooo")
    listen(instance)
    assert len(inbound_rows(resources)) == 3


def test_mail_from_our_own_address_is_ignored(env):
    sandbox, instance, resources = env
    key = send_to(sandbox, instance, "ana@brightpath.io")
    put_reply(resources.app_store, resources.gmail, key, "positive", sender=SANDBOX_SENDER)
    tick = listen(instance)
    (row,) = inbound_rows(resources)
    assert (row.kind, row.reason, row.partition_key) == ("ignored", "own address", None)
    assert not tick.runs and engagements(sandbox)[0] and row.body_text == ""


def test_a_bounce_for_an_address_we_never_wrote_to_is_recorded_unmatched(env):
    sandbox, instance, resources = env
    send_to(sandbox, instance, "ana@brightpath.io")
    stranger = (
        b"From: Someone <someone@elsewhere.example>\r\nTo: nobody@nowhere.example\r\n"
        b"Subject: Hello\r\nMessage-ID: <not-ours@elsewhere.example>\r\n\r\nHi\r\n"
    )
    dsn = delivery_status_notification(stranger)
    from salesagent_dagster.sandbox.gmail_inbound import insert_incoming

    insert_incoming(resources.gmail.service, dsn)
    tick = listen(instance)
    (row,) = inbound_rows(resources)
    assert (row.kind, row.reason, row.partition_key) == ("bounce_hard", "unmatched", None)
    assert not tick.runs
    with resources.app_store.session() as session:
        assert session.scalar(select(func.count()).select_from(ReplyEffect)) == 0
        assert not suppression.is_suppressed(
            session, resources.outreach.fingerprint("nobody@nowhere.example")
        )


def test_malformed_and_huge_replies_are_recorded_and_the_next_message_still_is(env):
    sandbox, instance, resources = env
    key = send_to(sandbox, instance, "ana@brightpath.io")
    from salesagent_dagster.sandbox.gmail_inbound import insert_incoming

    with resources.app_store.session() as session:
        from salesagent_dagster.store.send_ledger import get_entry

        entry = get_entry(session, key)
        assert entry is not None
        ours, thread = entry.message_id, entry.gmail_thread_id
    broken = (
        "From: ana@brightpath.io\r\nTo: riley@seller.example\r\nSubject: Re: demo\r\n"
        f"In-Reply-To: {ours}\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/mixed; boundary="never-closed"\r\n\r\n'
        "--wrong-boundary\r\nContent-Type: text/plain; charset=x-unknown\r\n\r\n\xff\xfe\x00\r\n"
    ).encode("latin-1")
    huge = (
        "From: ana@brightpath.io\r\nTo: riley@seller.example\r\nSubject: Re: demo\r\n"
        f"In-Reply-To: {ours}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
        "Yes, let's talk on Tuesday.\r\n" + "x" * (5 * 1024 * 1024) + "\r\n"
    ).encode()
    insert_incoming(resources.gmail.service, broken, thread)
    insert_incoming(resources.gmail.service, huge, thread)
    put_reply(resources.app_store, resources.gmail, key, "negative")

    tick = listen(instance)

    rows = inbound_rows(resources)
    assert [r.reason for r in rows][:2] == ["malformed mime", "large message"]
    assert rows[2].kind == "negative" and all(r.partition_key == key for r in rows)
    assert len(rows[1].body_text) == inbound_mail.TEXT_CAP
    assert all(r.success for r in tick.runs) and len(tick.runs) == 3


def test_a_message_gmail_refuses_to_hand_over_is_recorded_and_the_mailbox_moves_on(env):
    """A 400 on one messages.get (no retry mends it) must not stop the mailbox for good."""
    sandbox, instance, resources = env
    key = send_to(sandbox, instance, "ana@brightpath.io")
    refused = put_reply(resources.app_store, resources.gmail, key, "positive")
    put_reply(resources.app_store, resources.gmail, key, "unsubscribe")
    sandbox.gmail.add_fault(
        f"/messages/{refused.gmail_message_id}$", "status", method="GET", status=400, count=100
    )

    listen(instance)

    by_id = {row.gmail_message_id: row for row in inbound_rows(resources)}
    assert (by_id[refused.gmail_message_id].kind, by_id[refused.gmail_message_id].reason) == (
        "unreadable",
        "unreadable answer",
    )
    assert by_id[refused.gmail_message_id].partition_key is None
    assert sorted(row.kind for row in by_id.values()) == ["unreadable", "unsubscribe"]
    with resources.app_store.session() as session:
        assert suppression.is_suppressed(
            session, resources.outreach.fingerprint("ana@brightpath.io")
        )
    listen(instance)  # the cursor moved on: nothing is read or recorded again
    assert len(inbound_rows(resources)) == 2


def test_one_history_call_per_mailbox_per_tick_whatever_the_number_of_leads(env):
    sandbox, instance, resources = env
    keys = [send_to(sandbox, instance, f"lead{n}@brightpath.io", f"Lead{n}") for n in range(4)]
    for key in keys:
        put_reply(resources.app_store, resources.gmail, key, "positive")
    sandbox.gmail.reset_api_calls()

    listen(instance)

    calls = sandbox.gmail.api_calls(SANDBOX_SENDER)
    assert calls["list_history"] == 1
    assert calls["get_message"] == len(keys)  # each new reply fetched once, our sends never
    assert len(inbound_rows(resources)) == len(keys)


def test_erasure_reaches_replies_their_effects_and_known_good(env):
    sandbox, instance, resources = env
    key = send_to(sandbox, instance, "ana@brightpath.io")
    put_reply(resources.app_store, resources.gmail, key, "positive")
    # A stranger's mail naming her, matched to no lead: recorded without its text.
    from salesagent_dagster.sandbox.gmail_inbound import insert_incoming

    insert_incoming(
        resources.gmail.service,
        b"From: Bob <bob@elsewhere.example>\r\nTo: riley@seller.example\r\nSubject: intro\r\n"
        b"\r\nPlease write to ana@brightpath.io about it.\r\n",
    )
    listen(instance)
    assert len(inbound_rows(resources)) == 2
    from salesagent_dagster.services.privacy.erasure_wiring import erase_with

    report, verification = erase_with(
        "ana@brightpath.io", instance, app_store=resources.app_store, gmail=resources.gmail,
        hubspot=None, hash_salt=resources.outreach.salt, actor="dpo",
    )  # fmt: skip

    assert report.counts["rows_inbound_messages"] == 1
    assert report.counts["rows_reply_effects"] >= 2
    assert report.counts["rows_known_good_recipients"] == 1
    (left,) = inbound_rows(resources)
    assert (left.partition_key, left.reason, left.body_text) == (None, "unmatched", "")
    assert verification.clean, verification.format()


def test_every_connected_mailbox_is_read_once_per_tick_and_our_own_mail_is_ignored(
    env, monkeypatch
):
    from salesagent_dagster.local.sandbox_stack import SECOND_REP
    from salesagent_dagster.store.token_vault import TokenVault
    from salesagent_dagster_tests.integration.test_rep_mailboxes import (
        connect_second_rep,
        owned_by_second_rep,
    )

    sandbox, instance, resources = env
    monkeypatch.setenv("SALESAGENT_TOKEN_KEY", TokenVault.new_key())
    connect_second_rep()
    listen(instance)  # first sight of Sam's mailbox
    owned_by_second_rep(sandbox, "ana@brightpath.io")
    sams = send_to(sandbox, instance, "ana@brightpath.io")
    rileys = send_to(sandbox, instance, "bo@brightpath.io", "Bo")
    put_reply(resources.app_store, resources.gmail, sams, "positive")
    put_reply(resources.app_store, resources.gmail, rileys, "negative")
    # Riley writing to Sam is mail between our own mailboxes, not a reply.
    sandbox.gmail.deliver_inbound(SECOND_REP, SANDBOX_SENDER, "Lunch?", "Noon?")
    sandbox.gmail.reset_api_calls()

    listen(instance)

    for mailbox in (SANDBOX_SENDER, SECOND_REP):
        assert sandbox.gmail.api_calls(mailbox)["list_history"] == 1
    rows = {(r.mailbox, r.partition_key, r.kind) for r in inbound_rows(resources)}
    assert rows == {
        (SECOND_REP, sams, "positive"),
        (SANDBOX_SENDER, rileys, "negative"),
        (SECOND_REP, None, "ignored"),
    }


def test_one_pass_reads_at_most_its_budget_across_every_mailbox(env, monkeypatch):
    """However many mailboxes have a backlog, a pass ends inside the sensor's deadline; what
    it leaves is read by the next pass, nothing lost, nothing twice."""
    from salesagent_dagster.local.sandbox_stack import SECOND_REP
    from salesagent_dagster.services.replies.listener import listen_to_mailboxes
    from salesagent_dagster.store.token_vault import TokenVault
    from salesagent_dagster_tests.integration.test_rep_mailboxes import (
        connect_second_rep,
        owned_by_second_rep,
    )

    sandbox, instance, resources = env
    monkeypatch.setenv("SALESAGENT_TOKEN_KEY", TokenVault.new_key())
    connect_second_rep()
    listen(instance)  # first sight of Sam's mailbox
    owned_by_second_rep(sandbox, "ana@brightpath.io")
    keys = [send_to(sandbox, instance, "ana@brightpath.io")]
    keys.append(send_to(sandbox, instance, "bo@brightpath.io", "Bo"))
    for key in keys:
        for kind in ("positive", "negative"):
            put_reply(resources.app_store, resources.gmail, key, kind)

    def one_pass():
        return listen_to_mailboxes(
            resources.gmail, resources.app_store, hash_salt=resources.outreach.salt,
            auto_reply_delay_days=3, max_messages=3,
        )  # fmt: skip

    first = one_pass()
    assert sum(poll.recorded for poll in first.polls) == 3
    second = one_pass()
    assert sum(poll.recorded for poll in second.polls) == 1
    rows = inbound_rows(resources)
    assert len(rows) == 4 and {r.mailbox for r in rows} == {SANDBOX_SENDER, SECOND_REP}


def test_sandbox_reply_command_puts_a_reply_the_sensor_reads(env):
    from click.testing import CliRunner

    from salesagent_dagster.cli import main

    sandbox, instance, resources = env
    key = send_to(sandbox, instance, "ana@brightpath.io")
    outcome = CliRunner().invoke(main, ["sandbox", "reply", key, "--kind", "ooo"])
    assert outcome.exit_code == 0, outcome.output
    assert "ana@brightpath.io" not in outcome.output
    listen(instance)
    (row,) = inbound_rows(resources)
    assert (row.partition_key, row.kind) == (key, "auto_reply") and row.return_on is not None
    missing = CliRunner().invoke(main, ["sandbox", "reply", "no-such-lead", "--kind", "positive"])
    assert missing.exit_code != 0 and "no email of ours" in missing.output
