"""The same pipeline with both the app DB and the Dagster instance on PostgreSQL, using the
production instance config shipped in deploy/postgres/dagster.yaml."""

from __future__ import annotations

import shutil

import pytest
from dagster import DagsterInstance

from salesagent_dagster.local.demo_seed import seed_demo
from salesagent_dagster.local.instance import REPO_ROOT
from salesagent_dagster.settings import resources_from_env
from salesagent_dagster.store import send_ledger
from salesagent_dagster.store.database import migrate
from salesagent_dagster_tests.integration.pipeline_harness import gmail_state, process_once

pytestmark = pytest.mark.postgres


def test_pipeline_runs_on_postgres_app_db_and_dagster_postgres(
    sandbox, tmp_path, monkeypatch, postgres_databases
):
    home = tmp_path / "home"
    home.mkdir()
    shutil.copyfile(REPO_ROOT / "deploy" / "postgres" / "dagster.yaml", home / "dagster.yaml")
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    monkeypatch.setenv("DAGSTER_POSTGRES_URL", postgres_databases())
    app_db = postgres_databases()
    monkeypatch.setenv("SALESAGENT_DATABASE_URL", app_db)
    migrate(app_db)  # the deploy's `salesagent db upgrade`: run workers only check the schema
    seed_demo(sandbox.hubspot.url, sandbox.gmail.url)

    with DagsterInstance.get() as instance:
        assert type(instance.run_storage).__name__ == "PostgresRunStorage"
        result = process_once(instance)
        assert {o.run_status for o in result.outcomes} == {"SUCCESS"}
        drafted = result.by_status("drafted")
        assert len(drafted) == 3
        assert process_once(instance).tick.run_ids == {}

    with resources_from_env().app_store.session() as session:
        assert session.get_bind().dialect.name == "postgresql"
        for outcome in drafted:
            assert send_ledger.get_entry(session, outcome.partition_key).state == "drafted"
    assert len(gmail_state(sandbox.gmail.url)["drafts"]) == 3
