"""`salesagent demo` as a user runs it: its own process, a fresh DAGSTER_HOME, the emulators;
it ends with the warehouse report built by dbt from the demo's own leads."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

SALESAGENT = Path(sys.executable).with_name("salesagent")


def test_demo_ends_with_the_funnel_and_the_rates_from_the_marts(tmp_path):
    env = {**os.environ, "DAGSTER_HOME": str(tmp_path / "home")}
    for name in (
        "SALESAGENT_DATABASE_URL",
        "SALESAGENT_WAREHOUSE_PATH",
        "SALESAGENT_WAREHOUSE_URL",
    ):
        env.pop(name, None)

    done = subprocess.run(
        [str(SALESAGENT), "demo"], env=env, capture_output=True, text=True, timeout=240
    )

    assert done.returncode == 0, done.stderr[-3000:]
    report = done.stdout.split("The analytics warehouse, refreshed")[1]
    rows = [line.split() for line in report.splitlines()]
    first = rows.index(["Funnel"]) + 3  # the title, the headers, the rule
    stages = [row[0] for row in rows[first : first + 7]]
    assert stages == [
        "submitted",
        "qualified",
        "drafted",
        "approved",
        "sent",
        "replied",
        "positive",
    ]
    assert rows[first][1:] == ["15", "100%"]  # every form submission the demo seeded
    assert "Reply rates by ICP bucket (per delivered email)" in report
    assert "PASS" not in report  # dbt's own log stays in the event log
    assert (tmp_path / "home" / "warehouse.duckdb").exists()
