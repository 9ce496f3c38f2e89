"""What the edge's routes are given: the resources, built once per process."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from salesagent_dagster.resources.app_store import AppStoreResource
from salesagent_dagster.resources.dagster_webserver import DagsterWebserverClient
from salesagent_dagster.resources.gmail import GmailResource
from salesagent_dagster.resources.hubspot import HubSpotResource
from salesagent_dagster.resources.outreach_settings import OutreachSettings
from salesagent_dagster.services.oidc_client import OidcClient, OidcConfig
from salesagent_dagster.services.pushed_runs import start_pushed_runs
from salesagent_dagster.services.review import ReviewRun
from salesagent_dagster.settings import load_settings, resources_from_env


@dataclass(frozen=True)
class EdgeContext:
    app_store: AppStoreResource
    hubspot: HubSpotResource
    outreach: OutreachSettings
    # Signs HubSpot's webhooks (HUBSPOT_CLIENT_SECRET); empty: the webhook is not configured.
    hubspot_client_secret: str = ""
    # Starts the runs of leads the webhook stored, after its answer (None: the sensor does).
    start_runs: Callable[[Sequence[str]], None] | None = None
    # The review desk: the rep's Gmail resource (an edit's footer names the lead's mailbox),
    # and what runs one lead's `review_lead` job with the given op config until it ends
    # (services.review.run_review, as the CLI does). None: the desk is read-only.
    gmail: GmailResource | None = None
    run_review: Callable[[str, dict[str, Any]], ReviewRun] | None = None
    review_sla_minutes: float = 60.0
    # The desk's sign-in through an OpenID provider; None: desk passwords only.
    oidc: OidcClient | None = None
    # Whether the desk takes passwords (settings.desk_passwords_on: off beside a provider).
    passwords: bool = True

    @classmethod
    def from_env(cls) -> EdgeContext:
        """From the settings, secrets resolved: the edge runs outside any Dagster run."""
        settings = load_settings()
        resources = resources_from_env(resolve_secrets=True)
        start_runs = None
        if settings.dagster_webserver_url:
            webserver = DagsterWebserverClient(
                settings.dagster_webserver_url, settings.dagster_location_name
            )
            app_store = resources.app_store

            def start_runs(keys: Sequence[str]) -> None:
                start_pushed_runs(app_store, webserver, keys)

        return cls(
            resources.app_store,
            resources.hubspot,
            resources.outreach,
            hubspot_client_secret=settings.hubspot_client_secret,
            start_runs=start_runs,
            gmail=resources.gmail,
            review_sla_minutes=settings.review_sla_minutes,
            oidc=OidcClient(
                OidcConfig(
                    issuer=settings.oidc_issuer,
                    client_id=settings.oidc_client_id,
                    client_secret=settings.oidc_client_secret,
                    allowed_domain=settings.oidc_allowed_domain,
                    redirect_uri=settings.oidc_redirect_uri,
                    timeout_seconds=settings.http_timeout_seconds or 10.0,
                )
            )
            if settings.oidc_issuer
            else None,
            passwords=settings.desk_passwords_on,
        )
