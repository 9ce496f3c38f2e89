"""`salesagent doctor`: is everything this product needs present and reachable?

Each check says what it found and, when something is wrong, what to do about it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import click

from salesagent_dagster.settings import (
    DEV_HASH_SALT,
    SECRET_VARIABLES,
    SettingsError,
    dagster_home,
    database_url,
    env,
    resources_from_env,
)


@dataclass(frozen=True)
class CheckResult:
    name: str
    ok: bool
    detail: str
    fix: str = ""


def check_settings() -> CheckResult:
    missing = [name for name in (*SECRET_VARIABLES, "SENDER_EMAIL") if not env(name)]
    try:
        resources_from_env()
    except (SettingsError, ValueError) as exc:
        return CheckResult("settings", False, str(exc), "correct the variable named above")
    if missing:
        return CheckResult(
            "settings", False, "missing: " + ", ".join(missing),
            "set them in the environment (see .env.example)",
        )  # fmt: skip
    if env("SALESAGENT_HASH_SALT", DEV_HASH_SALT) == DEV_HASH_SALT:
        return CheckResult(
            "settings", True, "all set, but SALESAGENT_HASH_SALT is the development default",
            "set SALESAGENT_HASH_SALT to a long random secret before production",
        )  # fmt: skip
    return CheckResult("settings", True, "all required variables are set")


def check_app_db() -> CheckResult:
    from salesagent_dagster.cli.db_commands import _redacted
    from salesagent_dagster.store.database import migrate

    url = database_url()
    try:
        migrate(url)
    except Exception as exc:
        return CheckResult(
            "app DB", False, f"{_redacted(url)}: {type(exc).__name__}: {exc}".splitlines()[0],
            "check SALESAGENT_DATABASE_URL and that the server is running",
        )  # fmt: skip
    return CheckResult("app DB", True, f"{_redacted(url)} reachable, migrations at head")


def check_dagster_instance() -> CheckResult:
    from dagster import DagsterInstance

    home = dagster_home()
    if not (home / "dagster.yaml").exists():
        return CheckResult(
            "Dagster instance", False, f"{home}/dagster.yaml is missing",
            "run `salesagent process --once` or copy the repo's dagster.yaml there",
        )  # fmt: skip
    try:
        with DagsterInstance.from_config(str(home)) as instance:
            instance.get_run_ids(limit=1)
    except Exception as exc:
        return CheckResult(
            "Dagster instance", False, f"{type(exc).__name__}: {exc}".splitlines()[0],
            "check DAGSTER_HOME's dagster.yaml (storage settings)",
        )  # fmt: skip
    return CheckResult("Dagster instance", True, f"DAGSTER_HOME={home}")


def check_hubspot() -> CheckResult:
    from salesagent_dagster.resources.errors import ServiceError

    try:
        forms = resources_from_env(resolve_secrets=True).hubspot.form_ids_to_poll()
    except ServiceError as exc:
        return CheckResult(
            "HubSpot", False, str(exc),
            "check HUBSPOT_ACCESS_TOKEN (private app with forms and crm scopes) and "
            "HUBSPOT_API_BASE_URL",
        )  # fmt: skip
    return CheckResult("HubSpot", True, f"reachable; polling {len(forms)} form(s)")


def check_gmail() -> CheckResult:
    from salesagent_dagster.resources.errors import AuthorizationRevoked, ServiceError

    resources = resources_from_env(resolve_secrets=True)
    try:
        address = resources.gmail.profile_address()
    except AuthorizationRevoked as exc:
        return CheckResult("Gmail", False, str(exc), "reconnect Gmail: issue a new refresh token")
    except ServiceError as exc:
        return CheckResult(
            "Gmail", False, str(exc), "check GMAIL_API_BASE_URL, GOOGLE_TOKEN_URI and the client"
        )
    if address.lower() != env("SENDER_EMAIL").lower():
        return CheckResult(
            "Gmail", False, "the refresh token belongs to a different mailbox than SENDER_EMAIL",
            "use the refresh token of SENDER_EMAIL's mailbox",
        )  # fmt: skip
    mode = "real sends ON" if resources.outreach.allow_real_sends else "drafts only"
    return CheckResult("Gmail", True, f"token refreshes, mailbox matches SENDER_EMAIL ({mode})")


CHECKS: tuple[Callable[[], CheckResult], ...] = (
    check_settings,
    check_app_db,
    check_dagster_instance,
    check_hubspot,
    check_gmail,
)


@click.command()
def doctor() -> None:
    """Check configuration, databases, the Dagster instance, HubSpot and Gmail."""
    failures = 0
    for check in CHECKS:
        result = check()
        mark = "ok " if result.ok else "FAIL"
        click.echo(f"[{mark}] {result.name}: {result.detail}")
        if result.fix:
            click.echo(f"       fix: {result.fix}")
        failures += not result.ok
    raise SystemExit(1 if failures else 0)
