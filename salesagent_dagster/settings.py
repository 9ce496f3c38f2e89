"""The configuration contract: environment variables in, resources out.

These names are a promise to operators (issue #3): any HubSpot or Gmail deployment that
speaks the real REST APIs works by changing only these. Secrets are passed as `EnvVar`
so their values never appear in the Dagster UI; plain settings are read here, once.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit

from dagster import EnvVar
from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from salesagent_dagster.domain.follow_up_plan import parse_day_list
from salesagent_dagster.resources.app_store import AppStoreResource
from salesagent_dagster.resources.gmail import (
    DEFAULT_GMAIL_API_BASE_URL,
    DEFAULT_GOOGLE_TOKEN_URI,
    GmailResource,
)
from salesagent_dagster.resources.hubspot import DEFAULT_HUBSPOT_API_BASE_URL, HubSpotResource
from salesagent_dagster.resources.outreach_settings import OutreachSettings
from salesagent_dagster.store.token_vault import TokenVault

FOLLOW_UP_DAYS_VARIABLE = "SALESAGENT_FOLLOW_UP_DAYS"
SECRET_VARIABLES = (
    "HUBSPOT_ACCESS_TOKEN",
    "GOOGLE_CLIENT_ID",
    "GOOGLE_CLIENT_SECRET",
    "GMAIL_REFRESH_TOKEN",
)
DEV_HASH_SALT = "salesagent-dev-salt-change-me"
# dbt_outreach in a checkout of the repository: the top level, beside this package.
REPOSITORY_DBT_PROJECT = Path(__file__).resolve().parents[1] / "dbt_outreach"


class SettingsError(ValueError):
    """A setting is present but wrong; the message names the variable and the fix."""


def _var(name: str, default: Any, **bounds: Any) -> Any:
    """A field read from the environment variable `name` (the contract's spelling)."""
    return Field(default, validation_alias=name, **bounds)


class _EmptyKept(BaseSettings):
    """The variables whose empty value means something (not "the default"), read raw."""

    model_config = SettingsConfigDict(env_ignore_empty=False, extra="ignore")

    follow_up_days: str | None = _var(FOLLOW_UP_DAYS_VARIABLE, None)


class Settings(BaseSettings):
    """Every environment variable the product reads, typed and bounded, read in one place.

    Empty values count as unset (`KEY=` in an env file means "the default"), text is
    stripped, and a wrong value stops the start with the variable named (`load_settings`).
    Secrets are read here too, but the Definitions pass them on as `EnvVar` (see
    `resources_from_env`) so the UI never shows them.
    """

    model_config = SettingsConfigDict(
        env_ignore_empty=True, str_strip_whitespace=True, extra="ignore", populate_by_name=False
    )

    # HubSpot
    hubspot_access_token: str = _var("HUBSPOT_ACCESS_TOKEN", "")
    hubspot_api_base_url: str = _var("HUBSPOT_API_BASE_URL", DEFAULT_HUBSPOT_API_BASE_URL)
    hubspot_form_ids: str = _var("HUBSPOT_FORM_IDS", "")
    # The HubSpot app's client secret: it signs the workflow webhooks that push submissions
    # (`POST /webhooks/hubspot`, X-HubSpot-Signature-v3). Unset, the webhook answers 503.
    hubspot_client_secret: str = _var("HUBSPOT_CLIENT_SECRET", "")
    # Where the edge starts pushed leads' runs at once (the webserver's GraphQL API); empty:
    # the submissions sensor starts them on its next pass.
    dagster_webserver_url: str = _var("SALESAGENT_DAGSTER_WEBSERVER_URL", "")
    dagster_location_name: str = _var("SALESAGENT_DAGSTER_LOCATION", "salesagent_dagster")
    # Gmail and Google OAuth
    gmail_api_base_url: str = _var("GMAIL_API_BASE_URL", DEFAULT_GMAIL_API_BASE_URL)
    google_token_uri: str = _var("GOOGLE_TOKEN_URI", DEFAULT_GOOGLE_TOKEN_URI)
    google_client_id: str = _var("GOOGLE_CLIENT_ID", "")
    google_client_secret: str = _var("GOOGLE_CLIENT_SECRET", "")
    gmail_refresh_token: str = _var("GMAIL_REFRESH_TOKEN", "")
    sender_email: str = _var("SENDER_EMAIL", "")
    sender_name: str = _var("SENDER_NAME", "")
    # Per-request timeout; unset, each service keeps its own default (HubSpot 15 s, Gmail 30 s).
    http_timeout_seconds: float | None = _var(
        "SALESAGENT_HTTP_TIMEOUT_SECONDS", None, ge=0.1, le=300
    )
    # Storage
    dagster_home: str = _var("DAGSTER_HOME", "")
    database_url: str = _var("SALESAGENT_DATABASE_URL", "")
    # The analytics warehouse (dbt_outreach): a DuckDB file (default under DAGSTER_HOME), or,
    # when the URL is set, the `warehouse` schemas of that PostgreSQL database.
    warehouse_path: str = _var("SALESAGENT_WAREHOUSE_PATH", "")
    warehouse_url: str = _var("SALESAGENT_WAREHOUSE_URL", "")
    # Where dbt_outreach is: empty, beside the package in the repository (an installed
    # package, as in the image, needs the path: the Dockerfile sets it).
    dbt_project_dir: str = _var("SALESAGENT_DBT_PROJECT_DIR", "")
    # Sending and its gates
    allow_real_sends: bool = _var("ALLOW_REAL_SENDS", False)
    kill_switch: bool = _var("SALESAGENT_KILL_SWITCH", False)
    rules_file: str = _var("SALESAGENT_RULES_FILE", "")
    experiments_file: str = _var("SALESAGENT_EXPERIMENTS_FILE", "")
    auto_approve_threshold: float | None = _var("AUTO_APPROVE_THRESHOLD", None, ge=0.0, le=1.0)
    shadow_mode: bool = _var("SALESAGENT_SHADOW_MODE", False)
    contact_limit: int = _var("SALESAGENT_CONTACT_LIMIT", 2, ge=1, le=1000)
    contact_window_days: int = _var("SALESAGENT_CONTACT_WINDOW_DAYS", 7, ge=1, le=365)
    mailbox_daily_limit: int = _var("SALESAGENT_MAILBOX_DAILY_LIMIT", 20, ge=1, le=2000)
    mailbox_sends_per_minute: float = _var(
        "SALESAGENT_MAILBOX_SENDS_PER_MINUTE", 50.0, ge=0.1, le=1000
    )
    postal_address: str = _var(
        "SALESAGENT_POSTAL_ADDRESS", "Example Inc., 1 Example Street, Springfield, USA"
    )
    unsubscribe_url: str = _var("SALESAGENT_UNSUBSCRIBE_URL", "")
    booking_url: str = _var("SALESAGENT_BOOKING_URL", "")
    hash_salt: str = _var("SALESAGENT_HASH_SALT", "")
    allowlist: str = _var("SALESAGENT_ALLOWLIST", "")
    denylist: str = _var("SALESAGENT_DENYLIST", "")
    competitor_domains: str = _var("SALESAGENT_COMPETITOR_DOMAINS", "")
    known_good: str = _var("SALESAGENT_KNOWN_GOOD", "")
    token_key: str = _var("SALESAGENT_TOKEN_KEY", "")
    # Follow-ups: delays in calendar days replacing the policy file's (None = unset: the file's;
    # empty = no follow-ups, so the empty value is read apart from `env_ignore_empty`).
    follow_up_days: Annotated[tuple[float, ...] | None, NoDecode] = Field(
        default_factory=lambda: _EmptyKept().follow_up_days,
        validation_alias=FOLLOW_UP_DAYS_VARIABLE,
        validate_default=True,
    )
    # The review desk's sign-in through an OpenID provider (Google Workspace or any other):
    # unset, operators sign in with their desk passwords only. The client secret is a secret:
    # only the edge reads it, it never reaches a resource the Dagster UI shows, nor a repr.
    oidc_issuer: str = _var("SALESAGENT_OIDC_ISSUER", "")
    oidc_client_id: str = _var("SALESAGENT_OIDC_CLIENT_ID", "")
    oidc_client_secret: str = _var("SALESAGENT_OIDC_CLIENT_SECRET", "", repr=False)
    oidc_allowed_domain: str = _var("SALESAGENT_OIDC_ALLOWED_DOMAIN", "")
    # The callback URL registered at the provider (https://<desk>/signin/oidc/callback);
    # empty: the callback's URL as the edge sees it.
    oidc_redirect_uri: str = _var("SALESAGENT_OIDC_REDIRECT_URI", "")
    # Desk passwords beside the provider: unset, on without a provider and off with one (a
    # password would be a way in around the provider's MFA and offboarding); `true` keeps them
    # on as well, e.g. a break-glass admin for when the provider is down.
    desk_passwords: bool | None = _var("SALESAGENT_DESK_PASSWORDS", None)
    # Review
    review_sla_minutes: float = _var("SALESAGENT_REVIEW_SLA_MINUTES", 60.0, ge=1, le=10080)
    # Replies: how long an auto-reply that names no return date moves the next step
    auto_reply_delay_days: int = _var("SALESAGENT_AUTO_REPLY_DELAY_DAYS", 3, ge=0, le=90)
    # Failures (DESIGN I-5)
    breaker_failures: int = _var("SALESAGENT_BREAKER_FAILURES", 5, ge=1, le=100)
    breaker_open_seconds: float = _var("SALESAGENT_BREAKER_OPEN_SECONDS", 60.0, ge=1, le=3600)
    # How long after an unclear send a "not found" from Gmail's search is not yet believed
    # (its index lags a fresh message): the attempt waits and looks again (DESIGN I-1).
    reconcile_settle_seconds: float = _var(
        "SALESAGENT_RECONCILE_SETTLE_SECONDS", 120.0, ge=0, le=3600
    )
    # The undo window: an approved first email waits this long before it goes to Gmail, so
    # the kill switch, a reviewer or `review hold` can still stop it (0: no window).
    send_delay_seconds: float = _var("SALESAGENT_SEND_DELAY_SECONDS", 0.0, ge=0, le=86400)
    # Retention
    retention_draft_body_days: int = _var("SALESAGENT_RETENTION_DRAFT_BODY_DAYS", 30, ge=1, le=3650)
    retention_draft_days: int = _var("SALESAGENT_RETENTION_DRAFT_DAYS", 90, ge=1, le=3650)
    retention_lead_days: int = _var("SALESAGENT_RETENTION_LEAD_DAYS", 90, ge=1, le=3650)
    retention_audit_days: int = _var("SALESAGENT_RETENTION_AUDIT_DAYS", 365, ge=1, le=36500)
    retention_cron: str = _var("SALESAGENT_RETENTION_CRON", "30 3 * * *")
    retention_timezone: str = _var("SALESAGENT_RETENTION_TIMEZONE", "UTC")
    # Leads' dynamic partitions a SQLite instance should hold at most (Dagster recommends
    # 100,000 partitions per asset or fewer); `doctor` warns at 80%. Postgres: not checked.
    sqlite_partition_limit: int = _var(
        "SALESAGENT_SQLITE_PARTITION_LIMIT", 100_000, ge=10, le=10_000_000
    )
    # The production instance's S3 compute logs (deploy/production/dagster.yaml reads it too)
    compute_logs_bucket: str = _var("DAGSTER_COMPUTE_LOGS_BUCKET", "")
    # App DB backups (defs/backups): to this bucket (empty: the compute logs' bucket) under
    # the prefix, or, with no bucket at all, to the directory (empty: DAGSTER_HOME/backups)
    backup_bucket: str = _var("SALESAGENT_BACKUP_BUCKET", "")
    backup_prefix: str = _var("SALESAGENT_BACKUP_PREFIX", "app-db-backups")
    backup_dir: str = _var("SALESAGENT_BACKUP_DIR", "")
    backup_keep_days: int = _var("SALESAGENT_BACKUP_KEEP_DAYS", 7, ge=1, le=3650)
    backup_cron: str = _var("SALESAGENT_BACKUP_CRON", "0 2 * * *")
    # Sentry
    sentry_dsn: str = _var("SENTRY_DSN", "")
    sentry_environment: str = _var("SENTRY_ENVIRONMENT", "production")
    sentry_release: str = _var("SENTRY_RELEASE", "")
    sentry_traces_sample_rate: float = _var("SENTRY_TRACES_SAMPLE_RATE", 0.0, ge=0.0, le=1.0)

    @field_validator("*", mode="before")
    @classmethod
    def _stripped(cls, value: Any) -> Any:
        """' true ' and ' 5 ' as an env file may hold them: strip before parsing any type."""
        return value.strip() if isinstance(value, str) else value

    @field_validator("follow_up_days", mode="before")
    @classmethod
    def _day_list(cls, value: Any) -> Any:
        return parse_day_list(value) if isinstance(value, str) else value

    @model_validator(mode="after")
    def _oidc_complete(self) -> Settings:
        if bool(self.oidc_issuer) != bool(self.oidc_client_id):
            raise ValueError(
                "SALESAGENT_OIDC_ISSUER and SALESAGENT_OIDC_CLIENT_ID go together: set both "
                "for sign-in through the provider, or neither"
            )
        if self.desk_passwords is False and not self.oidc_issuer:
            raise ValueError(
                "SALESAGENT_DESK_PASSWORDS=false needs SALESAGENT_OIDC_ISSUER: without desk "
                "passwords and without a provider nobody could sign in to the desk"
            )
        if self.oidc_issuer:
            parts = urlsplit(self.oidc_issuer)
            loopback = parts.scheme == "http" and parts.hostname in ("127.0.0.1", "localhost")
            if not (parts.scheme == "https" or loopback) or not parts.hostname:
                raise ValueError(
                    "SALESAGENT_OIDC_ISSUER must be the provider's https URL (e.g. "
                    "https://accounts.google.com); plain http only for a loopback test provider"
                )
        return self

    def variable(self, name: str) -> Any:
        """The value of the setting read from environment variable `name`."""
        for field_name, info in type(self).model_fields.items():
            if info.validation_alias == name:
                return getattr(self, field_name)
        raise KeyError(f"{name} is not a setting")

    @property
    def desk_passwords_on(self) -> bool:
        """Whether the desk takes passwords (`desk_passwords`' comment)."""
        return self.desk_passwords if self.desk_passwords is not None else not self.oidc_issuer

    @property
    def sender_domain(self) -> str:
        return self.sender_email.rsplit("@", 1)[-1] if "@" in self.sender_email else "example.com"


def load_settings() -> Settings:
    """The settings as the environment is now; a wrong value raises `SettingsError` naming
    each variable at fault, what it must be and what it was."""
    try:
        return Settings()
    except ValidationError as exc:
        problems = [
            f"{'.'.join(str(part) for part in error['loc'])} {error['msg'].lower()}"
            f" (got {error.get('input')!r})"
            for error in exc.errors()
        ]
        raise SettingsError("; ".join(problems)) from None


def token_vault() -> TokenVault:
    """The vault of connected mailboxes' refresh tokens, keyed by SALESAGENT_TOKEN_KEY."""
    return TokenVault.from_key(load_settings().token_key)


def dagster_home() -> Path:
    return Path(load_settings().dagster_home or Path.cwd() / ".dagster_home")


def database_url() -> str:
    return load_settings().database_url or f"sqlite:///{dagster_home() / 'salesagent.db'}"


def warehouse_path() -> Path:
    """The DuckDB warehouse file (used when SALESAGENT_WAREHOUSE_URL is empty)."""
    return Path(load_settings().warehouse_path or dagster_home() / "warehouse.duckdb")


def dbt_project_dir() -> Path:
    """dbt_outreach's directory: SALESAGENT_DBT_PROJECT_DIR, else the repository's."""
    configured = load_settings().dbt_project_dir
    return Path(configured) if configured else REPOSITORY_DBT_PROJECT


def warehouse_url() -> str:
    """The PostgreSQL warehouse's SQLAlchemy URL; empty means the DuckDB file."""
    return load_settings().warehouse_url


def app_db_is_embedded() -> bool:
    """True when the app DB is the SQLite file under DAGSTER_HOME (no URL configured)."""
    return not load_settings().database_url


@dataclass(frozen=True)
class Resources:
    hubspot: HubSpotResource
    gmail: GmailResource
    app_store: AppStoreResource
    outreach: OutreachSettings

    def as_dict(self) -> dict[str, object]:
        return {
            "hubspot": self.hubspot,
            "gmail": self.gmail,
            "app_store": self.app_store,
            "outreach": self.outreach,
        }


def resources_from_env(resolve_secrets: bool = False) -> Resources:
    """Resources for Definitions (secrets as EnvVar, resolved by Dagster at run time), or
    with `resolve_secrets` for direct use outside a run (the doctor, the CLI)."""
    settings = load_settings()

    def secret(name: str, value: str) -> str:
        return value if resolve_secrets else EnvVar(name)

    def hash_salt() -> str:
        # The salt keys every suppression hash and unsubscribe signature: a secret, so an
        # EnvVar like the tokens. Unset, an EnvVar would fail every run, so the development
        # default goes in as a plain value instead: it is printed in this file and the README
        # and `salesagent doctor` flags it, so the UI showing it gives nothing away. Writing
        # the default into os.environ so that the EnvVar resolves would be a side effect of
        # loading the definitions: every process started from this one (run workers, the
        # daemon, dbt) would inherit a salt that looks configured, and it would outlive any
        # test that sets or unsets the variable. Each process decides from its own env, and
        # the salt is stripped where it is used (OutreachSettings.salt) as settings strip it.
        if not settings.hash_salt:
            return DEV_HASH_SALT
        return secret("SALESAGENT_HASH_SALT", settings.hash_salt)

    timeout = settings.http_timeout_seconds
    resources = Resources(
        hubspot=HubSpotResource(
            access_token=secret("HUBSPOT_ACCESS_TOKEN", settings.hubspot_access_token),
            api_base_url=settings.hubspot_api_base_url,
            form_ids=settings.hubspot_form_ids,
            request_timeout_seconds=timeout or 15,
        ),
        gmail=GmailResource(
            api_base_url=settings.gmail_api_base_url,
            token_uri=settings.google_token_uri,
            client_id=secret("GOOGLE_CLIENT_ID", settings.google_client_id),
            client_secret=secret("GOOGLE_CLIENT_SECRET", settings.google_client_secret),
            refresh_token=secret("GMAIL_REFRESH_TOKEN", settings.gmail_refresh_token),
            sender_email=secret("SENDER_EMAIL", settings.sender_email),
            sender_name=settings.sender_name,
            request_timeout_seconds=timeout or 30,
        ),
        app_store=AppStoreResource(database_url=database_url()),
        outreach=OutreachSettings(
            allow_real_sends=settings.allow_real_sends,
            kill_switch_forced=settings.kill_switch,
            reconcile_settle_seconds=settings.reconcile_settle_seconds,
            send_delay_seconds=settings.send_delay_seconds,
            rules_file=settings.rules_file,
            experiments_file=settings.experiments_file,
            auto_approve_threshold=settings.auto_approve_threshold,
            shadow_mode=settings.shadow_mode,
            app_database_url=database_url(),
            per_contact_limit=settings.contact_limit,
            per_contact_window_days=settings.contact_window_days,
            per_mailbox_daily_limit=settings.mailbox_daily_limit,
            per_mailbox_per_minute=settings.mailbox_sends_per_minute,
            postal_address=settings.postal_address,
            unsubscribe_url=(
                settings.unsubscribe_url or f"https://{settings.sender_domain}/unsubscribe"
            ),
            booking_url=settings.booking_url or f"https://{settings.sender_domain}/book-a-demo",
            hash_salt=hash_salt(),
            allowlist=settings.allowlist,
            denylist=settings.denylist,
            competitor_domains=settings.competitor_domains,
            known_good=settings.known_good,
            follow_up_days=(
                None if settings.follow_up_days is None else list(settings.follow_up_days)
            ),
            auto_reply_delay_days=settings.auto_reply_delay_days,
        ),
    )
    # A bad rules file stops the load, with its reason (the files only: no app DB at load).
    resources.outreach.rule_settings(learned=False)
    resources.outreach.follow_up_plan()  # and so does a bad follow-up policy
    resources.outreach.experiments()  # and a bad experiments file
    return resources


@contextmanager
def environment_overridden(values: Mapping[str, str]) -> Iterator[None]:
    """`values` in this process's environment for the block (for what reads it, e.g. a dbt
    process started inside), each variable as it was afterwards, unset ones unset again."""
    before = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in before.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
