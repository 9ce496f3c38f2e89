"""Two reps who write differently get drafts that differ the way they write, through the
real pipeline: sent mail in each rep's Gmail, the weekly voice refresh, then a lead for each
rep from the HubSpot form, drafted into that rep's mailbox."""

from __future__ import annotations

import requests

from salesagent_dagster.local.demo_seed import add_submission, learn_demo_voices, seed_sent_mail
from salesagent_dagster.local.sandbox_stack import SANDBOX_SENDER, SECOND_REP
from salesagent_dagster.store import drafts
from salesagent_dagster_tests.integration.pipeline_harness import parse_raw, process_once
from salesagent_dagster_tests.voice.conftest import connect_second_rep


def draft_text(gmail_url: str, mailbox: str) -> str:
    state = requests.get(f"{gmail_url}/_admin/state", timeout=10).json()["mailboxes"]
    (draft,) = state[mailbox]["drafts"]
    plain = parse_raw(draft["raw"]).get_body(preferencelist=("plain",))
    return plain.get_content().replace("\r\n", "\n")


def test_two_reps_get_drafts_in_their_own_voice(sandbox, instance, resources):
    connect_second_rep()
    owner = sandbox.hubspot.add_owner(SECOND_REP, "Sam", "Seller")
    sandbox.hubspot.add_contact(
        {"email": "ana@brightpath.io", "firstname": "Ana", "hubspot_owner_id": owner["id"]}
    )
    seed_sent_mail(sandbox.gmail.url)  # Riley: formal and long; Sam: casual and brief
    learn_demo_voices(instance)
    for email, first_name in (("ana@brightpath.io", "Ana"), ("kai@brightpath.io", "Kai")):
        add_submission(
            sandbox.hubspot.url,
            {"email": email, "firstname": first_name, "company": "BrightPath",
             "jobtitle": "Operations Manager", "message": "We want to see the routing module."},
        )  # fmt: skip

    outcomes = process_once(instance).outcomes

    assert sorted(o.status for o in outcomes) == ["drafted", "drafted"]
    riley, sam = (
        draft_text(sandbox.gmail.url, SANDBOX_SENDER),
        draft_text(sandbox.gmail.url, SECOND_REP),
    )
    assert riley.startswith("Dear Kai,\n") and sam.startswith("Hey Ana,\n")
    assert "\nKind regards,\nRiley Rep\n" in riley and "\nCheers,\nSam Seller\n" in sam
    assert "we are glad" in riley and "I have read" in riley and "'" not in riley.split("--")[0]
    assert "we're glad" in sam and "I've read" in sam
    # Riley writes long sentences: the standard template; Sam's are short: the brief one.
    assert "I would like to show you" in riley and "like to show you" not in sam
    with resources.app_store.session() as session:
        rows = {o.partition_key: drafts.latest_draft(session, o.partition_key) for o in outcomes}
    assert sorted(row.template for row in rows.values()) == ["brief", "standard"]
    assert {row.voice_profile["version"] for row in rows.values()} == {1}
