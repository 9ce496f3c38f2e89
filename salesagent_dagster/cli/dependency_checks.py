"""Checks of everything the product depends on, shared by `salesagent doctor` (a person at a
terminal) and `salesagent health` (a container orchestrator's probe).

Each check says what it found and, when something is wrong, what to do about it. None of
them prints a secret or an address: details are safe for container logs.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from salesagent_dagster.settings import (
    DEV_HASH_SALT,
    SECRET_VARIABLES,
    SettingsError,
    dagster_home,
    database_url,
    load_settings,
    resources_from_env,
)

# The bucket the production instance's S3ComputeLogManager writes to (deploy/production).
COMPUTE_LOGS_BUCKET_VARIABLE = "DAGSTER_COMPUTE_LOGS_BUCKET"
S3_TIMEOUT_SECONDS = 5


@dataclass(frozen=True)
class CheckResult:
    name: str
    ok: bool
    detail: str
    fix: str = ""


def check_settings() -> CheckResult:
    try:
        settings = load_settings()
        resources_from_env()
    except (SettingsError, ValueError) as exc:
        return CheckResult("settings", False, str(exc), "correct the variable named above")
    missing = [name for name in (*SECRET_VARIABLES, "SENDER_EMAIL") if not settings.variable(name)]
    if missing:
        return CheckResult(
            "settings", False, "missing: " + ", ".join(missing),
            "set them in the environment (see .env.example)",
        )  # fmt: skip
    if settings.hash_salt in ("", DEV_HASH_SALT):
        return CheckResult(
            "settings", True, "all set, but SALESAGENT_HASH_SALT is the development default",
            "set SALESAGENT_HASH_SALT to a long random secret before production",
        )  # fmt: skip
    return CheckResult("settings", True, "all required variables are set")


def check_app_db() -> CheckResult:
    """Reach the app DB and bring it to the head migration (the doctor repairs as it goes)."""
    from salesagent_dagster.cli.db_commands import _redacted
    from salesagent_dagster.store.database import migrate

    url = database_url()
    try:
        migrate(url)
    except Exception as exc:
        return _app_db_unreachable(url, exc)
    return CheckResult("app DB", True, f"{_redacted(url)} reachable, migrations at head")


def check_app_db_migrated() -> CheckResult:
    """Reach the app DB and compare its migration with the code's head, changing nothing:
    a probe must not migrate (the deploy's `salesagent db upgrade` step does)."""
    from salesagent_dagster.cli.db_commands import _redacted
    from salesagent_dagster.store.database import UPGRADE_FIX, code_revisions, database_revision

    url = database_url()
    if url.startswith("sqlite:///") and not Path(url.split("///", 1)[1]).exists():
        return CheckResult(
            "app DB", False, f"{url} does not exist",
            f"{UPGRADE_FIX}, or set SALESAGENT_DATABASE_URL",
        )  # fmt: skip
    try:
        current = database_revision(url)
    except Exception as exc:
        return _app_db_unreachable(url, exc)
    head = code_revisions()[-1]
    if current != head:
        return CheckResult(
            "app DB", False,
            f"{_redacted(url)} at migration {current or 'none'}, the code needs {head}",
            f"{UPGRADE_FIX} (the compose `migrate` service does on start)",
        )  # fmt: skip
    return CheckResult("app DB", True, f"{_redacted(url)} reachable, migrations at head")


def _app_db_unreachable(url: str, exc: Exception) -> CheckResult:
    from salesagent_dagster.cli.db_commands import _redacted

    return CheckResult(
        "app DB", False, f"{_redacted(url)}: {_first_line(exc)}",
        "check SALESAGENT_DATABASE_URL and that the server is running",
    )  # fmt: skip


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
            "Dagster instance", False, _first_line(exc),
            "check DAGSTER_HOME's dagster.yaml (storage settings)",
        )  # fmt: skip
    return CheckResult("Dagster instance", True, f"DAGSTER_HOME={home}")


def check_partition_capacity() -> CheckResult:
    """On a SQLite instance: lead partitions against SALESAGENT_SQLITE_PARTITION_LIMIT, a
    warning from 80% of it (with the lead window that keeps it under at the current rate)."""
    from dagster import DagsterInstance

    from salesagent_dagster.services.partition_capacity import WARN_SHARE, partition_capacity

    name, home = "lead partitions", dagster_home()
    if not (home / "dagster.yaml").exists():
        return CheckResult(name, True, "no instance yet")
    limit = load_settings().sqlite_partition_limit
    try:
        with (
            DagsterInstance.from_config(str(home)) as instance,
            resources_from_env().app_store.session() as session,
        ):
            capacity = partition_capacity(instance, session, limit)
    except Exception as exc:
        return CheckResult(name, False, _first_line(exc), "see the Dagster instance and app DB")
    if not capacity.sqlite:
        return CheckResult(name, True, f"{capacity.partitions:,} (not SQLite: no limit checked)")
    detail = (
        f"{capacity.partitions:,} of {limit:,} on SQLite ({capacity.share:.0%}), "
        f"{capacity.leads_per_day:,.1f} leads/day lately"
    )
    if not capacity.near_limit:
        return CheckResult(name, True, detail)
    days = capacity.lead_days_allowed
    window = (
        f"set SALESAGENT_RETENTION_LEAD_DAYS to {days} or less (keeps it under "
        f"{WARN_SHARE:.0%} at this rate)"
        if days
        else "shorten SALESAGENT_RETENTION_LEAD_DAYS"
    )
    return CheckResult(
        name,
        not capacity.over_limit,
        ("OVER THE LIMIT: " if capacity.over_limit else "WARNING, near the limit: ") + detail,
        f"{window} and run `salesagent retention`, or move the instance to Postgres "
        "(deploy/postgres/dagster.yaml)",
    )


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
    if address.lower() != load_settings().sender_email.lower():
        return CheckResult(
            "Gmail", False, "the refresh token belongs to a different mailbox than SENDER_EMAIL",
            "use the refresh token of SENDER_EMAIL's mailbox",
        )  # fmt: skip
    mode = "real sends ON" if resources.outreach.allow_real_sends else "drafts only"
    return CheckResult("Gmail", True, f"token refreshes, mailbox matches SENDER_EMAIL ({mode})")


def check_s3() -> CheckResult:
    """The compute-log bucket answers, when one is configured. boto3 reads the endpoint
    (AWS_ENDPOINT_URL_S3, for MinIO and other S3-compatible servers) and the credentials
    from the environment, exactly as the instance's S3ComputeLogManager does."""
    bucket = load_settings().compute_logs_bucket
    if not bucket:
        return CheckResult("S3", True, "not configured; compute logs stay on local disk")
    import boto3
    from botocore.config import Config
    from botocore.exceptions import BotoCoreError, ClientError

    config = Config(
        connect_timeout=S3_TIMEOUT_SECONDS,
        read_timeout=S3_TIMEOUT_SECONDS,
        retries={"max_attempts": 1},
    )
    try:
        boto3.client("s3", config=config).head_bucket(Bucket=bucket)
    except ClientError as exc:
        code = str(exc.response.get("Error", {}).get("Code", ""))
        if code in ("404", "NoSuchBucket"):
            return CheckResult(
                "S3", False, f"bucket {bucket!r} does not exist",
                f"create it, or correct {COMPUTE_LOGS_BUCKET_VARIABLE}",
            )  # fmt: skip
        return CheckResult(
            "S3", False, f"bucket {bucket!r}: {_first_line(exc)}",
            "check AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY and the bucket's policy",
        )  # fmt: skip
    except BotoCoreError as exc:
        return CheckResult(
            "S3", False, _first_line(exc),
            "check AWS_ENDPOINT_URL_S3 (unset for AWS itself), AWS_REGION and the credentials",
        )  # fmt: skip
    return CheckResult("S3", True, f"bucket {bucket!r} reachable")


def _first_line(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}".splitlines()[0]
