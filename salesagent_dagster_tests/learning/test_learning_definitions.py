"""The learning folder in the code location: the weekly schedule, the asset downstream of
the marts it reads, its proposal as metadata in the UI, and the history on the CLI."""

from __future__ import annotations

from click.testing import CliRunner
from dagster import AssetKey, materialize

from salesagent_dagster.cli import main
from salesagent_dagster.code_locations import build_warehouse_definitions
from salesagent_dagster.defs.learning.threshold_asset import READS, auto_approve_threshold
from salesagent_dagster.resources.app_store import AppStoreResource
from salesagent_dagster.resources.outreach_settings import OutreachSettings
from salesagent_dagster.store.database import migrate

SHADOW_RULES = "[learner]\nenabled = true\nshadow = true\nmin_sample = 50\n"


def test_the_weekly_schedule_and_the_asset_downstream_of_the_real_marts():
    definitions = build_warehouse_definitions()
    schedule = definitions.resolve_schedule_def("weekly_threshold_learning")
    assert schedule.cron_schedule == "0 6 * * 1"
    assert schedule.job_name == "learn_auto_approve_threshold"
    graph = definitions.resolve_asset_graph()
    key = AssetKey(["auto_approve_threshold"])
    assert set(graph.get(key).parent_keys) == set(READS)
    assert all(graph.has(parent) for parent in READS)  # the dbt models' own keys


def test_the_proposal_is_the_assets_metadata_and_the_clis_history(location, tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'app.db'}"
    migrate(url)
    rules = tmp_path / "rules.toml"
    rules.write_text(SHADOW_RULES, encoding="utf-8")
    monkeypatch.setenv("SALESAGENT_WAREHOUSE_PATH", str(location.path))
    monkeypatch.setenv("SALESAGENT_DATABASE_URL", url)
    monkeypatch.setenv("SALESAGENT_RULES_FILE", str(rules))
    outreach = OutreachSettings(
        rules_file=str(rules), app_database_url=url, postal_address="x",
        unsubscribe_url="https://x.example/u", booking_url="https://x.example/b", hash_salt="s",
    )  # fmt: skip

    result = materialize(
        [auto_approve_threshold],
        resources={"app_store": AppStoreResource(database_url=url), "outreach": outreach},
    )

    (materialization,) = result.asset_materializations_for_node("auto_approve_threshold")
    metadata = {name: value.value for name, value in materialization.metadata.items()}
    assert metadata["mode"] == "shadow" and metadata["applied"] is False
    assert metadata["current_threshold"] == metadata["proposed_threshold"] == 0.85
    # This week (now) holds none of the fixture's sends: too few to learn from.
    assert "too few to learn from" in metadata["reason"]
    assert metadata["figures"]["sends"] == 0 and "window_start" in metadata["figures"]

    history = CliRunner().invoke(main, ["learner", "history"])
    assert history.exit_code == 0, history.output
    assert "shadow" in history.output and "too few to learn from" in history.output
    status = CliRunner().invoke(main, ["learner", "status"])
    assert status.exit_code == 0, status.output
    assert "learner: shadow" in status.output and "threshold in use: 0.85" in status.output
