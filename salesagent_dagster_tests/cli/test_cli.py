"""The `salesagent` command as a user runs it, against the emulators."""

from __future__ import annotations

import json

from click.testing import CliRunner

from salesagent_dagster.cli import main
from salesagent_dagster.local.demo_seed import DEMO_LEADS, seed_demo


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
