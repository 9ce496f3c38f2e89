"""A seeded app DB and Dagster instance, and the edge's internal surface served over them."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from dagster import DagsterInstance

from salesagent_dagster.edge.app import Surface
from salesagent_dagster.edge.context import EdgeContext
from salesagent_dagster.local.edge_thread import serving_edge
from salesagent_dagster.store.database import dispose_engine, migrate
from salesagent_dagster_tests.edge.conftest import edge_context
from salesagent_dagster_tests.metrics.seeding import Seeded, seed_app_db, seed_instance

SALT = "metrics-test-salt"


@dataclass(frozen=True)
class ServedEdge:
    url: str
    context: EdgeContext
    seeded: Seeded


def metrics_edge_context(database_url: str, edge_url: str) -> EdgeContext:
    # HubSpot is never called by /metrics: a closed port, so a stray call would fail loudly.
    return edge_context(database_url, "http://127.0.0.1:9", edge_url, salt=SALT)


@pytest.fixture
def app_db_url(tmp_path: Path) -> Iterator[str]:
    url = f"sqlite:///{tmp_path / 'metrics-app.db'}"
    migrate(url)
    yield url
    dispose_engine(url)


@pytest.fixture
def seeded_state(app_db_url: str, dagster_home: Path) -> Seeded:
    seeded = seed_app_db(app_db_url)
    with DagsterInstance.get() as instance:
        seed_instance(instance, seeded.now)
    return seeded


def serve(app_db_url: str, seeded: Seeded, surface: Surface) -> Iterator[ServedEdge]:
    with serving_edge(lambda url: metrics_edge_context(app_db_url, url), surface) as (url, context):
        yield ServedEdge(url, context, seeded)


@pytest.fixture
def internal_edge(app_db_url: str, seeded_state: Seeded) -> Iterator[ServedEdge]:
    yield from serve(app_db_url, seeded_state, "internal")


@pytest.fixture
def public_edge(app_db_url: str, seeded_state: Seeded) -> Iterator[ServedEdge]:
    yield from serve(app_db_url, seeded_state, "public")
