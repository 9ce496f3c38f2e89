"""What the edge's routes are given: the resources, built once per process."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from salesagent_dagster.resources.app_store import AppStoreResource
from salesagent_dagster.resources.hubspot import HubSpotResource
from salesagent_dagster.resources.outreach_settings import OutreachSettings
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

    @classmethod
    def from_env(cls) -> EdgeContext:
        """From the settings, secrets resolved: the edge runs outside any Dagster run."""
        resources = resources_from_env(resolve_secrets=True)
        return cls(
            resources.app_store,
            resources.hubspot,
            resources.outreach,
            hubspot_client_secret=load_settings().hubspot_client_secret,
        )
