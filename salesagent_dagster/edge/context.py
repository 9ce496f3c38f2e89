"""What the edge's routes are given: the resources, built once per process."""

from __future__ import annotations

from dataclasses import dataclass

from salesagent_dagster.resources.app_store import AppStoreResource
from salesagent_dagster.resources.hubspot import HubSpotResource
from salesagent_dagster.resources.outreach_settings import OutreachSettings
from salesagent_dagster.settings import resources_from_env


@dataclass(frozen=True)
class EdgeContext:
    app_store: AppStoreResource
    hubspot: HubSpotResource
    outreach: OutreachSettings

    @classmethod
    def from_env(cls) -> EdgeContext:
        """From the settings, secrets resolved: the edge runs outside any Dagster run."""
        resources = resources_from_env(resolve_secrets=True)
        return cls(resources.app_store, resources.hubspot, resources.outreach)
