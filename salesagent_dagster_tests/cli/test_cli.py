"""The `salesagent` command as a user runs it, against the emulators."""

from __future__ import annotations

import json
from datetime import timedelta

from click.testing import CliRunner
from sqlalchemy import update

from salesagent_dagster.cli import main
from salesagent_dagster.local.demo_seed import DEMO_LEADS, add_submission, seed_demo
from salesagent_dagster.local.sandbox_replies import put_reply
from salesagent_dagster.local.sandbox_stack import SANDBOX_REFRESH_TOKEN
from salesagent_dagster.settings import resources_from_env
from salesagent_dagster.store.models import FollowUpStepRow, utc_now


def test_process_once_json_lists_every_lead_without_pii(sandbox, dagster_home):
    seed_demo(sandbox.hubspot.url, sandbox.gmail.url)
    result = CliRunner().invoke(main, ["process", "--once", "--json"])
    assert result.exit_code == 0, result.output
    leads = json.loads(result.stdout)["leads"]  # logs go to stderr, JSON alone to stdout
    assert len(leads) == len(DEMO_LEADS)
    assert {lead["status"] for lead in leads} == {"drafted", "needs_review", "disqualified"}
    assert all(lead["partition_key"].startswith("sub_") for lead in leads)
    addresses = [lead.values["email"].lower() for lead in DEMO_LEADS if "email" in lead.values]
    assert [a for a in addresses if a in result.output.lower()] == []
    again = CliRunner().invoke(main, ["process", "--once"])
    assert "no new submissions" in again.output


def test_doctor_passes_against_the_sandbox_and_names_the_fix_when_not(
    sandbox, dagster_home, monkeypatch
):
    healthy = CliRunner().invoke(main, ["doctor"])
    assert "[FAIL]" not in healthy.output
    assert healthy.output.count("[ok ]") == 5
    monkeypatch.setenv("HUBSPOT_ACCESS_TOKEN", "wrong")
    monkeypatch.setenv("GMAIL_REFRESH_TOKEN", "revoked")
    broken = CliRunner().invoke(main, ["doctor"])
    assert broken.exit_code == 1
    assert "[FAIL] HubSpot: HubSpot: GET /marketing/v3/forms/: HTTP 401" in broken.output
    assert "fix: check HUBSPOT_ACCESS_TOKEN" in broken.output
    assert "[FAIL] Gmail" in broken.output and "reconnect Gmail" in broken.output


def test_dead_letters_are_listed_and_requeued_after_the_fix(sandbox, dagster_home):
    add_submission(sandbox.hubspot.url, {"email": "ana@brightpath.io", "firstname": "Ana"})
    sandbox.gmail.revoke_refresh_token(SANDBOX_REFRESH_TOKEN)
    CliRunner().invoke(main, ["process", "--once"])
    listed = CliRunner().invoke(main, ["dead-letters"])
    assert listed.exit_code == 0, listed.output
    header, row = listed.stdout.strip().splitlines()
    assert header.split()[:4] == ["partition", "step", "error", "attempts"]
    key, step, error, attempts = row.split()[:4]
    assert (step, error, attempts) == ("enrichment", "AuthorizationRevoked", "1")
    sandbox.gmail.reinstate_refresh_token(SANDBOX_REFRESH_TOKEN)  # the rep reconnected Gmail
    requeued = CliRunner().invoke(main, ["dead-letters", "--requeue-all"])
    assert f"{key}: succeeded" in requeued.stdout
    assert CliRunner().invoke(main, ["dead-letters"]).stdout.strip() == "no dead letters"


def test_process_once_reads_the_mailbox_and_sends_due_follow_ups_in_the_same_tick(
    sandbox, dagster_home, monkeypatch
):
    monkeypatch.setenv("SALESAGENT_FOLLOW_UP_DAYS", "30")
    for name in ("ana", "ben"):
        add_submission(
            sandbox.hubspot.url,
            {"email": f"{name}@brightpath.io", "firstname": name.title(), "company": "BrightPath"},
        )
    # Intake and first emails; the mailbox sensor's first sight sets its cursor.
    first = json.loads(CliRunner().invoke(main, ["process", "--once", "--json"]).stdout)["leads"]
    drafted = [lead["partition_key"] for lead in first if lead["status"] == "drafted"]
    assert len(drafted) == 2, first
    replying, silent = drafted
    resources = resources_from_env(resolve_secrets=True)
    put_reply(resources.app_store, resources.gmail, replying, "positive")
    with resources.app_store.session() as session:  # thirty days later
        session.execute(update(FollowUpStepRow).values(due_at=utc_now() - timedelta(seconds=1)))
    result = CliRunner().invoke(main, ["process", "--once", "--json"])
    assert result.exit_code == 0, result.output
    leads = {lead["partition_key"]: lead for lead in json.loads(result.stdout)["leads"]}
    assert leads[replying]["engagement"] == "replied_positive"
    assert leads[replying]["follow_ups_sent"] == 0
    assert leads[silent]["engagement"] == "none"
    assert leads[silent]["follow_ups_sent"] == 1
