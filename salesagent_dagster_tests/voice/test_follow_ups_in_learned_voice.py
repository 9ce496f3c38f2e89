"""A follow-up is written in the mailbox's voice as learned now: a rep whose voice was
learned after the first email went gets a follow-up in that voice."""

from __future__ import annotations

from salesagent_dagster.local.demo_seed import REP_SENT_MAIL, learn_demo_voices, seed_sent_mail
from salesagent_dagster_tests.follow_ups.follow_up_harness import (
    first_email,
    follow_up_tick,
    wait_until_due,
)
from salesagent_dagster_tests.integration.pipeline_harness import gmail_state, parse_raw


def plain_text(raw: str) -> str:
    body = parse_raw(raw).get_body(preferencelist=("plain",))
    return body.get_content().replace("\r\n", "\n")


def test_the_follow_up_uses_the_voice_learned_since_the_first_email(sandbox, instance, monkeypatch):
    monkeypatch.setenv("SALESAGENT_FOLLOW_UP_DAYS", "0.000001")
    outcome = first_email(sandbox, instance)
    assert outcome.status == "drafted"
    seed_sent_mail(sandbox.gmail.url, REP_SENT_MAIL[:1])  # Riley: "Dear", "Kind regards"
    learn_demo_voices(instance)

    wait_until_due(outcome.partition_key)
    assert [run.success for run in follow_up_tick(instance).runs] == [True]

    first, follow_up = (plain_text(d["raw"]) for d in gmail_state(sandbox.gmail.url)["drafts"])
    assert first.startswith("Hi Kim,") and "\nBest,\n" in first
    assert follow_up.startswith("Dear Kim,") and "\nKind regards,\n" in follow_up
