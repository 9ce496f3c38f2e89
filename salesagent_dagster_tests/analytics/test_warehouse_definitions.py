"""The analytics folder's definitions: raw -> staging -> marts is one asset graph with the dbt
tests as checks, refreshed hourly; a missing dbt manifest is a clear error, never a parse."""

from __future__ import annotations

import shutil

import pytest
from dagster import AssetKey, Definitions

from salesagent_dagster.defs.analytics.definitions import defs
from salesagent_dagster.defs.analytics.warehouse_models import DbtManifestMissing, dbt_project
from salesagent_dagster.settings import REPOSITORY_DBT_PROJECT, resources_from_env


def test_raw_staging_and_marts_form_one_graph_with_checks():
    definitions = Definitions.merge(defs(), Definitions(resources=resources_from_env().as_dict()))
    graph = definitions.resolve_asset_graph()
    funnel = AssetKey(["warehouse", "marts", "funnel"])
    stg_leads = AssetKey(["warehouse", "staging", "stg_leads"])
    assert AssetKey(["warehouse", "marts", "lead_outcomes"]) in graph.get(funnel).parent_keys
    assert graph.get(stg_leads).parent_keys == {AssetKey(["warehouse", "raw_leads"])}
    assert graph.get(AssetKey(["warehouse", "raw_leads"])).is_materializable
    checked = {key.asset_key for key in graph.asset_check_keys}
    assert {stg_leads, funnel} <= checked
    (schedule,) = definitions.schedules or []
    assert schedule.cron_schedule == "0 * * * *"


def test_a_missing_manifest_names_the_command_that_prepares_it(tmp_path, monkeypatch):
    project = tmp_path / "dbt_outreach"
    shutil.copytree(REPOSITORY_DBT_PROJECT, project, ignore=shutil.ignore_patterns("target"))
    monkeypatch.setenv("SALESAGENT_DBT_PROJECT_DIR", str(project))

    with pytest.raises(DbtManifestMissing, match="make dbt-parse"):
        dbt_project()
    assert not (project / "target").exists()  # nothing was parsed on the way


def test_a_missing_project_says_the_code_location_needs_it(tmp_path, monkeypatch):
    monkeypatch.setenv("SALESAGENT_DBT_PROJECT_DIR", str(tmp_path / "site-packages"))

    with pytest.raises(DbtManifestMissing, match="SALESAGENT_DBT_PROJECT_DIR"):
        dbt_project()
