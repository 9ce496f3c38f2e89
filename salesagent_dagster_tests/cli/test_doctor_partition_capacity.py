"""`salesagent doctor` warns before a SQLite instance holds more lead partitions than it
takes well, and says which lead window keeps it under at the current rate."""

from __future__ import annotations

from click.testing import CliRunner
from dagster import DagsterInstance

from salesagent_dagster.cli import main
from salesagent_dagster.services.partition_capacity import lead_window_for
from salesagent_dagster.services.run_tags import SUBMISSIONS_PARTITIONS_NAME
from salesagent_dagster.settings import resources_from_env
from salesagent_dagster.store import inbox
from salesagent_dagster.store.models import utc_now

LIMIT = 10


def _leads(first: int, count: int) -> None:
    """`count` submissions in the inbox (received now) and their partitions in Dagster."""
    keys = []
    with resources_from_env().app_store.session() as session:
        for n in range(first, first + count):
            row, _ = inbox.record_submission(
                session, form_id="form", conversion_id=f"conv-{n}", payload={},
                submitted_at=utc_now(), reject_reason=None,
            )  # fmt: skip
            keys.append(row.partition_key)
    DagsterInstance.get().add_dynamic_partitions(SUBMISSIONS_PARTITIONS_NAME, keys)


def test_doctor_is_silent_below_80_percent_then_warns_then_fails(
    sandbox, dagster_home, monkeypatch
):
    monkeypatch.setenv("SALESAGENT_SQLITE_PARTITION_LIMIT", str(LIMIT))
    monkeypatch.setenv("HUBSPOT_CLIENT_SECRET", "sandbox-hubspot-client-secret")  # doctor needs it
    _leads(0, 7)
    quiet = CliRunner().invoke(main, ["doctor"])
    assert quiet.exit_code == 0, quiet.output
    assert "lead partitions" not in quiet.output

    _leads(7, 1)  # 8 of 10: 80%
    warned = CliRunner().invoke(main, ["doctor"])
    assert warned.exit_code == 0, warned.output
    assert "[ok ] lead partitions: WARNING, near the limit: 8 of 10 on SQLite (80%)" in (
        warned.output
    )
    # 8 leads in the last 30 days: 8 of a limit of 10 fit in 30 days.
    assert "fix: set SALESAGENT_RETENTION_LEAD_DAYS to 30 or less" in warned.output

    _leads(8, 2)
    failed = CliRunner().invoke(main, ["doctor"])
    assert failed.exit_code == 1
    assert "[FAIL] lead partitions: OVER THE LIMIT: 10 of 10" in failed.output


def test_the_lead_window_is_the_limit_s_80_percent_over_the_daily_rate():
    assert lead_window_for(100_000, 1_000) == 80
    assert lead_window_for(100_000, 300) == 266
    assert lead_window_for(100_000, 0) is None
