"""The demo's morning of submissions through the real sensor, assets, checks and ops, against
the emulators through the official clients, on the embedded SQLite instance."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from dagster import DagsterInstance
from dagster._serdes import serialize_value

from salesagent_dagster.local.demo_seed import DEMO_LEADS, seed_demo
from salesagent_dagster.local.sandbox_stack import SANDBOX_SENDER
from salesagent_dagster.settings import resources_from_env
from salesagent_dagster.store import drafts, leads, send_ledger
from salesagent_dagster_tests.conftest import fresh_dagster_home, sandbox_env
from salesagent_dagster_tests.integration.pipeline_harness import (
    gmail_state,
    hubspot_state,
    parse_raw,
    process_once,
)


@pytest.fixture(scope="module")
def seeded(tmp_path_factory):
    """One morning of submissions processed once; the tests below read what it left."""
    with sandbox_env() as sandbox, fresh_dagster_home(tmp_path_factory.mktemp("e2e")):
        seed_demo(sandbox.hubspot.url, sandbox.gmail.url)
        with DagsterInstance.get() as instance:
            yield sandbox, instance, process_once(instance)


def test_every_lead_gets_a_recorded_outcome_and_runs_succeed(seeded):
    _, _, result = seeded
    assert len(result.outcomes) == 12
    assert {o.run_status for o in result.outcomes} == {"SUCCESS"}
    assert len(result.by_status("drafted")) == 3
    reasons = {o.reason for o in result.by_status("disqualified")}
    assert reasons == {
        "role account (not a person)",
        "invalid email: email must contain exactly one @",
        "invalid email: email is missing",
        "competitor domain",
        "duplicate: an earlier submission from this address",
    }
    assert len(result.by_status("needs_review")) == 4


def test_auto_approved_leads_carry_the_rule_that_fired(seeded):
    _, _, result = seeded
    confidences = sorted(o.confidence for o in result.by_status("drafted"))
    assert confidences == [0.85, 0.90, 0.95]


def test_drafts_in_gmail_are_correct_mime_matching_the_ledger(seeded):
    sandbox, _, result = seeded
    mailbox = gmail_state(sandbox.gmail.url)
    assert mailbox["sent"] == []
    assert len(mailbox["drafts"]) == 3
    app_store = resources_from_env().app_store
    ledger_ids = set()
    with app_store.session() as session:
        for outcome in result.by_status("drafted"):
            entry = send_ledger.get_entry(session, outcome.partition_key)
            assert entry.state == "drafted" and entry.gmail_draft_id
            ledger_ids.add(entry.message_id)
    for draft in mailbox["drafts"]:
        message = parse_raw(draft["raw"])
        assert message["Message-ID"] in ledger_ids
        assert message["From"].addresses[0].addr_spec == SANDBOX_SENDER
        assert message.get_content_type() == "multipart/alternative"
        assert [p.get_content_type() for p in message.iter_parts()] == ["text/plain", "text/html"]
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        body = message.get_body(("plain",)).get_content()
        assert "500 Market Street" in body and "Unsubscribe: https://" in body


def test_header_injection_in_a_name_never_reaches_a_header(seeded):
    _sandbox, _, _ = seeded
    app_store = resources_from_env().app_store
    with app_store.session() as session:
        from sqlalchemy import select

        from salesagent_dagster.store.models import Lead

        mallory = session.scalar(select(Lead).where(Lead.email == "mallory@shady-leads.io"))
        # I-11: a field holding a line break and a header is no name; it is not used at all,
        # and the attempt is recorded as a soft finding that keeps the lead for a person.
        assert mallory.first_name == ""
        assert {f.rule for f in leads.input_findings(mallory)} == {"suspicious_input"}
        draft = drafts.latest_draft(session, mallory.partition_key)
        assert "\r" not in draft.subject and "\n" not in draft.subject
        assert draft.body_text.startswith("Hello,\n") and "Bcc" not in draft.body_text
        decision = drafts.latest_decision(session, mallory.partition_key)
        assert decision.outcome == "needs_review" and "suspicious_input" in decision.rationale


def test_hubspot_gets_contacts_engagements_and_tasks_once(seeded):
    sandbox, instance, _ = seeded
    state = hubspot_state(sandbox.hubspot.url)
    assert len(state["objects"]["emails"]) == 3
    assert len(state["objects"]["tasks"]) == 3
    # A second tick finds nothing new and changes nothing.
    again = process_once(instance)
    assert again.tick.run_ids == {}
    assert len(gmail_state(sandbox.gmail.url)["drafts"]) == 3
    assert len(hubspot_state(sandbox.hubspot.url)["objects"]["emails"]) == 3


def test_rerunning_a_lead_never_drafts_twice(seeded):
    sandbox, instance, result = seeded
    from salesagent_dagster.definitions import build_definitions

    key = result.by_status("drafted")[0].partition_key
    job = build_definitions().resolve_job_def("process_lead")
    rerun = job.execute_in_process(instance=instance, partition_key=key)
    assert rerun.success
    assert len(gmail_state(sandbox.gmail.url)["drafts"]) == 3
    assert len(hubspot_state(sandbox.hubspot.url)["objects"]["tasks"]) == 3


def test_disqualified_leads_stop_before_enrichment(seeded):
    _, _instance, result = seeded
    app_store = resources_from_env().app_store
    with app_store.session() as session:
        for outcome in result.by_status("disqualified"):
            assert leads.get_enrichment(session, outcome.partition_key) is None
            assert drafts.latest_draft(session, outcome.partition_key) is None


def test_no_address_or_surname_reaches_dagster_storage(seeded):
    """DESIGN I-6: PII lives in the app DB only. Everything Dagster stored (run tags, run
    config, every event, every file under DAGSTER_HOME but the app DB) is scanned."""
    _, instance, result = seeded
    needles = {v.lower() for lead in DEMO_LEADS for k, v in lead.values.items() if k == "email"}
    needles |= {
        lead.values["lastname"].lower() for lead in DEMO_LEADS if lead.values.get("lastname")
    }
    needles.discard("x")
    haystacks = []
    for run in instance.get_runs():
        haystacks.append(json.dumps([run.tags, run.run_config], ensure_ascii=False))
        haystacks += [serialize_value(entry) for entry in instance.all_logs(run.run_id)]
    home = Path(instance.root_directory)
    for path in home.rglob("*"):
        if path.is_file() and not path.name.startswith("salesagent.db"):
            haystacks.append(path.read_bytes().decode("utf-8", "replace"))
    text = "\n".join(haystacks).lower()
    assert all(o.partition_key in text for o in result.outcomes)  # the scan does see the runs
    assert sorted(needle for needle in needles if needle in text) == []
