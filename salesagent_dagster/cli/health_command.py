"""`salesagent health`: the containers' probes.

`--liveness` answers "is this process able to run at all" and touches nothing else, so an
orchestrator never restarts a healthy container because HubSpot had a bad minute.
`--readiness` answers "can this deployment do its work now": the app DB reachable and at the
code's migration, the Dagster instance's storage, HubSpot, Gmail and the S3 bucket when one
is configured. Checks run in parallel, each with a deadline, so a black-holed host cannot
hang the probe past the orchestrator's own timeout.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import asdict

import click

from salesagent_dagster.cli.dependency_checks import (
    CheckResult,
    check_app_db_migrated,
    check_dagster_instance,
    check_gmail,
    check_hubspot,
    check_s3,
    check_settings,
)
from salesagent_dagster.cli.doctor_command import echo_result

READINESS_CHECKS: dict[str, Callable[[], CheckResult]] = {
    "settings": check_settings,
    "app-db": check_app_db_migrated,
    "dagster": check_dagster_instance,
    "hubspot": check_hubspot,
    "gmail": check_gmail,
    "s3": check_s3,
}


@click.command()
@click.option(
    "--liveness", "probe", flag_value="liveness",
    help="Only say the process can start and import the product; exit 0.",
)  # fmt: skip
@click.option(
    "--readiness", "probe", flag_value="readiness", default=True,
    help="Check every dependency (the default).",
)  # fmt: skip
@click.option("--json", "as_json", is_flag=True, help="One JSON object on stdout.")
@click.option(
    "--skip", multiple=True, type=click.Choice(sorted(READINESS_CHECKS)),
    help="Leave a dependency out of readiness (repeatable).",
)  # fmt: skip
@click.option(
    "--timeout", default=20.0, show_default=True,
    help="Seconds to wait for all readiness checks; one still running then counts as failed.",
)  # fmt: skip
def health(probe: str, as_json: bool, skip: tuple[str, ...], timeout: float) -> None:
    """Liveness and readiness probes; exit 1 and a fix per failed dependency."""
    if probe == "liveness":
        _report({"status": "alive"}, [], as_json)
        return
    checks = {name: check for name, check in READINESS_CHECKS.items() if name not in skip}
    results = run_checks(checks, timeout)
    ready = all(result.ok for _, result, _ in results)
    _report({"status": "ready" if ready else "not_ready"}, results, as_json)
    raise SystemExit(0 if ready else 1)


def run_checks(
    checks: dict[str, Callable[[], CheckResult]], timeout: float
) -> list[tuple[str, CheckResult, float]]:
    """Every check at once, each in a daemon thread: one that never returns cannot keep the
    probe (or the interpreter's exit) waiting beyond `timeout`."""
    outcomes: dict[str, tuple[CheckResult, float]] = {}

    def run(name: str, check: Callable[[], CheckResult]) -> None:
        started = time.monotonic()
        try:
            result = check()
        except Exception as exc:
            result = CheckResult(
                name, False, f"{type(exc).__name__}: {exc}".splitlines()[0],
                "see the error above; `salesagent doctor` gives more context",
            )  # fmt: skip
        outcomes[name] = (result, time.monotonic() - started)

    threads = {
        name: threading.Thread(target=run, args=(name, check), daemon=True, name=f"health-{name}")
        for name, check in checks.items()
    }
    for thread in threads.values():
        thread.start()
    deadline = time.monotonic() + timeout
    for thread in threads.values():
        thread.join(max(0.0, deadline - time.monotonic()))
    results = []
    for name in checks:
        if name in outcomes:
            result, seconds = outcomes[name]
        else:
            result = CheckResult(
                name, False, f"no answer within {timeout:g} s",
                "the dependency is unreachable or very slow: check its host, port and firewall",
            )  # fmt: skip
            seconds = timeout
        results.append((name, result, seconds))
    return results


def _report(
    summary: dict[str, str], results: list[tuple[str, CheckResult, float]], as_json: bool
) -> None:
    if as_json:
        checks = [
            {"check": name, **asdict(result), "seconds": round(seconds, 3)}
            for name, result, seconds in results
        ]
        click.echo(json.dumps({**summary, "checks": checks}))
        return
    for _, result, _ in results:
        echo_result(result)
    click.echo(summary["status"])
