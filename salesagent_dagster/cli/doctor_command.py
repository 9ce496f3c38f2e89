"""`salesagent doctor`: is everything this product needs present and reachable?

Each check says what it found and, when something is wrong, what to do about it.
"""

from __future__ import annotations

from collections.abc import Callable

import click

from salesagent_dagster.cli.dependency_checks import (
    CheckResult,
    check_app_db,
    check_dagster_instance,
    check_gmail,
    check_hubspot,
    check_partition_capacity,
    check_s3,
    check_settings,
)
from salesagent_dagster.settings import load_settings

CHECKS: tuple[Callable[[], CheckResult], ...] = (
    check_settings,
    check_app_db,
    check_dagster_instance,
    check_hubspot,
    check_gmail,
)


@click.command()
def doctor() -> None:
    """Check configuration, databases, the Dagster instance, HubSpot, Gmail and S3, and warn
    when a SQLite instance nears its limit of lead partitions."""
    failures = 0
    # S3 is checked only where compute logs go there (the production instance).
    s3 = (check_s3,) if load_settings().compute_logs_bucket else ()
    for check in (*CHECKS, *s3):
        result = check()
        echo_result(result)
        failures += not result.ok
    # Said only when there is something to do: near (or over) SQLite's partition limit.
    capacity = check_partition_capacity()
    if capacity.fix:
        echo_result(capacity)
        failures += not capacity.ok
    raise SystemExit(1 if failures else 0)


def echo_result(result: CheckResult) -> None:
    """One line per check, and the fix under it when there is one."""
    mark = "ok " if result.ok else "FAIL"
    click.echo(f"[{mark}] {result.name}: {result.detail}")
    if result.fix:
        click.echo(f"       fix: {result.fix}")
