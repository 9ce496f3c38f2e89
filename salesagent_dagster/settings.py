"""The configuration contract: environment variables in, resources out.

These names are a promise to operators (issue #3): any HubSpot or Gmail deployment that
speaks the real REST APIs works by changing only these. Secrets are passed as `EnvVar`
so their values never appear in the Dagster UI; plain settings are read here, once.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from dagster import EnvVar

from salesagent_dagster.resources.app_store import AppStoreResource
from salesagent_dagster.resources.gmail import (
    DEFAULT_GMAIL_API_BASE_URL,
    DEFAULT_GOOGLE_TOKEN_URI,
    GmailResource,
)
from salesagent_dagster.resources.hubspot import DEFAULT_HUBSPOT_API_BASE_URL, HubSpotResource
from salesagent_dagster.resources.outreach_settings import OutreachSettings

SECRET_VARIABLES = (
    "HUBSPOT_ACCESS_TOKEN",
    "GOOGLE_CLIENT_ID",
    "GOOGLE_CLIENT_SECRET",
    "GMAIL_REFRESH_TOKEN",
)
DEV_HASH_SALT = "salesagent-dev-salt-change-me"


class SettingsError(ValueError):
    """A setting is present but wrong; the message names the variable and the fix."""


def env(name: str, default: str = "") -> str:
    return os.environ.get(name, default).strip()


def env_bool(name: str, default: bool = False) -> bool:
    raw = env(name)
    if not raw:
        return default
    if raw.lower() in ("1", "true", "yes", "on"):
        return True
    if raw.lower() in ("0", "false", "no", "off"):
        return False
    raise SettingsError(f"{name} must be true or false, got {raw!r}")


def env_number(name: str, default: float, minimum: float, maximum: float) -> float:
    raw = env(name)
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError as exc:
        raise SettingsError(f"{name} must be a number, got {raw!r}") from exc
    if not minimum <= value <= maximum:
        raise SettingsError(f"{name} must be between {minimum} and {maximum}, got {value}")
    return value


def dagster_home() -> Path:
    return Path(env("DAGSTER_HOME") or Path.cwd() / ".dagster_home")


def database_url() -> str:
    return env("SALESAGENT_DATABASE_URL") or f"sqlite:///{dagster_home() / 'salesagent.db'}"


def app_db_is_embedded() -> bool:
    """True when the app DB is the SQLite file under DAGSTER_HOME (no URL configured)."""
    return not env("SALESAGENT_DATABASE_URL")


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

    def secret(name: str) -> str:
        return env(name) if resolve_secrets else EnvVar(name)

    def hash_salt() -> str:
        # The salt keys every suppression hash and unsubscribe signature: a secret, so an
        # EnvVar like the tokens. Unset, an EnvVar would fail every run, so the development
        # default goes in as a plain value instead: it is printed in this file and the README
        # and `salesagent doctor` flags it, so the UI showing it gives nothing away. Writing
        # the default into os.environ so that the EnvVar resolves would be a side effect of
        # loading the definitions: every process started from this one (run workers, the
        # daemon, dbt) would inherit a salt that looks configured, and it would outlive any
        # test that sets or unsets the variable. Each process decides from its own env, and
        # the salt is stripped where it is used (OutreachSettings.salt) as env() strips it.
        return secret("SALESAGENT_HASH_SALT") if env("SALESAGENT_HASH_SALT") else DEV_HASH_SALT

    sender_email = env("SENDER_EMAIL")
    sender_domain = sender_email.rsplit("@", 1)[-1] if "@" in sender_email else "example.com"
    resources = Resources(
        hubspot=HubSpotResource(
            access_token=secret("HUBSPOT_ACCESS_TOKEN"),
            api_base_url=env("HUBSPOT_API_BASE_URL", DEFAULT_HUBSPOT_API_BASE_URL),
            form_ids=env("HUBSPOT_FORM_IDS"),
            request_timeout_seconds=env_number("SALESAGENT_HTTP_TIMEOUT_SECONDS", 15, 0.1, 300),
        ),
        gmail=GmailResource(
            api_base_url=env("GMAIL_API_BASE_URL", DEFAULT_GMAIL_API_BASE_URL),
            token_uri=env("GOOGLE_TOKEN_URI", DEFAULT_GOOGLE_TOKEN_URI),
            client_id=secret("GOOGLE_CLIENT_ID"),
            client_secret=secret("GOOGLE_CLIENT_SECRET"),
            refresh_token=secret("GMAIL_REFRESH_TOKEN"),
            sender_email=secret("SENDER_EMAIL"),
            sender_name=env("SENDER_NAME"),
            request_timeout_seconds=env_number("SALESAGENT_HTTP_TIMEOUT_SECONDS", 30, 0.1, 300),
        ),
        app_store=AppStoreResource(database_url=database_url()),
        outreach=OutreachSettings(
            allow_real_sends=env_bool("ALLOW_REAL_SENDS"),
            kill_switch_forced=env_bool("SALESAGENT_KILL_SWITCH"),
            rules_file=env("SALESAGENT_RULES_FILE"),
            auto_approve_threshold=(
                env_number("AUTO_APPROVE_THRESHOLD", 0.85, 0.0, 1.0)
                if env("AUTO_APPROVE_THRESHOLD")
                else None
            ),
            shadow_mode=env_bool("SALESAGENT_SHADOW_MODE"),
            per_contact_limit=int(env_number("SALESAGENT_CONTACT_LIMIT", 2, 1, 1000)),
            per_contact_window_days=int(env_number("SALESAGENT_CONTACT_WINDOW_DAYS", 7, 1, 365)),
            per_mailbox_daily_limit=int(env_number("SALESAGENT_MAILBOX_DAILY_LIMIT", 20, 1, 2000)),
            per_mailbox_per_minute=env_number("SALESAGENT_MAILBOX_SENDS_PER_MINUTE", 50, 0.1, 1000),
            postal_address=env(
                "SALESAGENT_POSTAL_ADDRESS", "Example Inc., 1 Example Street, Springfield, USA"
            ),
            unsubscribe_url=env(
                "SALESAGENT_UNSUBSCRIBE_URL", f"https://{sender_domain}/unsubscribe"
            ),
            booking_url=env("SALESAGENT_BOOKING_URL", f"https://{sender_domain}/book-a-demo"),
            hash_salt=hash_salt(),
            allowlist=env("SALESAGENT_ALLOWLIST"),
            denylist=env("SALESAGENT_DENYLIST"),
            competitor_domains=env("SALESAGENT_COMPETITOR_DOMAINS"),
            known_good=env("SALESAGENT_KNOWN_GOOD"),
        ),
    )
    resources.outreach.rule_settings()  # a bad rules file stops the load, with its reason
    return resources
