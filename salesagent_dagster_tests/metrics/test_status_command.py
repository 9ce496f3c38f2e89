"""`salesagent status` prints the dashboard's figures from the same snapshot, no address."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner
from dagster import DagsterInstance

from salesagent_dagster.cli import main
from salesagent_dagster.settings import database_url
from salesagent_dagster_tests.metrics.seeding import (
    LEAD_EMAIL,
    MAILBOXES,
    seed_app_db,
    seed_instance,
)


def test_status_prints_the_figures_of_the_app_db_and_the_instance(dagster_home: Path):
    seeded = seed_app_db(database_url())
    with DagsterInstance.get() as instance:
        seed_instance(instance, seeded.now)

    result = CliRunner().invoke(main, ["status"], catch_exceptions=False)

    assert result.exit_code == 0, result.output
    out = result.output
    assert "app DB ok, Dagster instance ok" in out
    assert "auto-approval rate: 40%" in out
    assert "speed to lead (first email sent or drafted): 2 leads, p50 <= 10s, p95 <= 60s" in out
    assert "review queue: 1 waiting, oldest 90m" in out and "(SLA 60m00s) LATE" in out
    assert "sends held (kill switch): 1, deferred (limits): 1" in out
    assert "dead letters: 1" in out
    assert any(line.split()[:3] == ["gmail", "open", "5"] for line in out.splitlines())
    assert any(
        line.split()[:3] == ["sensor", "hubspot_submissions", "on"] for line in out.splitlines()
    )
    for address in (LEAD_EMAIL, *MAILBOXES):
        assert address not in out
