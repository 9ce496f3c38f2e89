"""An app DB, the HubSpot emulator and the edge served for real over them."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from salesagent_dagster.edge.context import EdgeContext
from salesagent_dagster.resources.app_store import AppStoreResource
from salesagent_dagster.resources.hubspot import HubSpotResource
from salesagent_dagster.resources.outreach_settings import OutreachSettings
from salesagent_dagster.sandbox import HubSpotEmulator, start_hubspot_emulator
from salesagent_dagster.store.database import dispose_engine, migrate, session_scope
from salesagent_dagster.store.inbox import new_partition_key
from salesagent_dagster.store.models import Lead, Submission
from salesagent_dagster_tests.edge.edge_server import serving

HUBSPOT_TOKEN = "edge-test-token"
SALT = "edge-test-salt"


@dataclass
class Edge:
    url: str
    context: EdgeContext
    hubspot_emulator: HubSpotEmulator

    @property
    def database_url(self) -> str:
        return self.context.app_store.database_url

    def link(self, key: str) -> str:
        """The opt-out link exactly as the email carries it."""
        return self.context.outreach.unsubscribe_link(key)

    def add_lead(self, email: str | None = "ana@acme.io") -> str:
        key = new_partition_key()
        with session_scope(self.database_url) as session:
            session.add(
                Submission(partition_key=key, form_id="form", conversion_id=key,
                           payload={}, status="accepted")
            )  # fmt: skip
            session.flush()
            session.add(
                Lead(
                    partition_key=key,
                    email=email,
                    email_hash=self.context.outreach.fingerprint(email) if email else None,
                    qualified=True,
                    status_reason="qualified",
                )
            )
        return key


def hubspot_resource(url: str) -> HubSpotResource:
    return HubSpotResource(access_token=HUBSPOT_TOKEN, api_base_url=url, request_timeout_seconds=3)


def edge_context(
    database_url: str, hubspot_url: str, edge_url: str, salt: str = SALT
) -> EdgeContext:
    """What the edge is served with in tests: this app DB, this HubSpot, the seller's settings."""
    return EdgeContext(
        app_store=AppStoreResource(database_url=database_url),
        hubspot=hubspot_resource(hubspot_url),
        outreach=OutreachSettings(
            postal_address="Seller Example Inc., 500 Market Street, San Francisco",
            unsubscribe_url=f"{edge_url}/unsubscribe",
            booking_url="https://seller.example/book",
            hash_salt=salt,
        ),
    )


@pytest.fixture
def database_url(tmp_path: Path) -> Iterator[str]:
    url = f"sqlite:///{tmp_path / 'app.db'}"
    migrate(url)
    yield url
    dispose_engine(url)


@pytest.fixture
def hubspot_emulator():
    with start_hubspot_emulator(access_token=HUBSPOT_TOKEN) as running:
        yield running


@pytest.fixture
def edge(database_url: str, hubspot_emulator) -> Iterator[Edge]:
    with serving(lambda url: edge_context(database_url, hubspot_emulator.url, url)) as served:
        url, context = served
        yield Edge(url=url, context=context, hubspot_emulator=hubspot_emulator)
