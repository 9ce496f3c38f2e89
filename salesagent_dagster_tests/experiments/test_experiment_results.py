"""The experiment_results asset over a scratch warehouse: arms scored from the variant_arms
mart, a harmful arm stopped once (with an audit entry) and given no new leads afterwards."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from dagster import AssetKey, materialize
from sqlalchemy import select

from salesagent_dagster.defs.experiments.experiment_results_asset import (
    VARIANT_ARMS,
    experiment_results,
)
from salesagent_dagster.services.experiments import (
    STOP_ACTION,
    results_markdown,
)
from salesagent_dagster.services.experiments import (
    experiment_results as results_for_report,
)
from salesagent_dagster.services.warehouse.location import WarehouseLocation
from salesagent_dagster.services.warehouse.report import MartsNotBuilt
from salesagent_dagster.settings import resources_from_env
from salesagent_dagster.store import experiments
from salesagent_dagster.store.models import AuditEvent

ROWS = [
    # experiment, arm, sends, positive, negative, unsubscribes, bounces
    ("first_email_ask", "control", 1200, 36, 10, 6, 12),
    ("first_email_ask", "pick_a_time", 1200, 40, 12, 60, 11),  # 5 % unsubscribe: harmful
    ("retired_experiment", "a", 50, 1, 0, 0, 0),
]


def build_mart(path: Path, rows=ROWS) -> None:
    """The mart as dbt_outreach builds it (main_marts.variant_arms), written by hand."""
    connection = duckdb.connect(str(path))
    connection.execute("CREATE SCHEMA IF NOT EXISTS main_marts")
    connection.execute(
        "CREATE OR REPLACE TABLE main_marts.variant_arms (experiment VARCHAR, arm VARCHAR, "
        "sends INTEGER, positive_replies INTEGER, negative_replies INTEGER, "
        "unsubscribes INTEGER, bounces INTEGER)"
    )
    connection.executemany("INSERT INTO main_marts.variant_arms VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
    connection.close()


@pytest.fixture
def warehouse_file(dagster_home, tmp_path, monkeypatch) -> Path:
    path = tmp_path / "warehouse.duckdb"
    monkeypatch.setenv("SALESAGENT_WAREHOUSE_PATH", str(path))
    monkeypatch.delenv("SALESAGENT_WAREHOUSE_URL", raising=False)
    return path


def test_the_asset_scores_stops_the_harmful_arm_once_and_audits_it(warehouse_file):
    build_mart(warehouse_file)
    resources = resources_from_env(resolve_secrets=True)
    result = materialize([experiment_results], resources=resources.as_dict())
    assert result.success
    (event,) = result.get_asset_materialization_events()
    metadata = event.materialization.metadata
    assert metadata["stopped_now"].value == ["first_email_ask/pick_a_time"]
    assert metadata["first_email_ask/pick_a_time/stopped"].value is True
    assert metadata["first_email_ask/control/sends"].value == 1200
    assert metadata["winners"].value == {"first_email_ask": None}
    table = metadata["results"].value
    assert "| control | 1200 | 36 | 3.00% |" in table
    assert "stopped: unsubscribe rate above 2.0%" in table
    assert "retired_experiment" not in table  # not in the policy any more

    with resources.app_store.session() as session:
        assert set(experiments.stopped_arms(session)["first_email_ask"]) == {"pick_a_time"}
        (audited,) = session.scalars(select(AuditEvent).where(AuditEvent.action == STOP_ACTION))
        assert audited.subject == "first_email_ask/pick_a_time"
        assert audited.details["unsubscribes"] == 60
        # New leads go to the arms still running only.
        stopped = experiments.stopped_arms(session)
    policy = resources.outreach.experiments()
    keys = [f"sub_{i:020x}" for i in range(200)]
    assert {policy.assign(k, stopped).arms["first_email_ask"] for k in keys} == {"control"}

    again = materialize([experiment_results], resources=resources.as_dict())
    assert (
        again.get_asset_materialization_events()[0].materialization.metadata["stopped_now"].value
        == []
    )
    with resources.app_store.session() as session:
        audits = session.scalars(select(AuditEvent).where(AuditEvent.action == STOP_ACTION))
        assert len(list(audits)) == 1


def test_the_report_reads_results_without_stopping_anything(warehouse_file):
    build_mart(warehouse_file)
    resources = resources_from_env(resolve_secrets=True)
    policy = resources.outreach.experiments()
    location = WarehouseLocation(path=warehouse_file)
    (score,) = results_for_report(resources.app_store, policy, location)
    assert [arm.arm for arm in score.arms] == ["control", "pick_a_time"]
    assert score.new_stops and not score.winner
    with resources.app_store.session() as session:
        assert experiments.stopped_arms(session) == {}
    assert "### first_email_ask (enabled)" in results_markdown([score], policy)


def test_an_arm_without_sends_scores_as_zeros_and_no_winner_is_named(warehouse_file):
    build_mart(warehouse_file, [("first_email_ask", "control", 40, 2, 0, 0, 0)])
    resources = resources_from_env(resolve_secrets=True)
    (score,) = results_for_report(
        resources.app_store, resources.outreach.experiments(), WarehouseLocation(warehouse_file)
    )
    assert score.arms[1].sends == 0 and score.winner is None
    assert "every arm needs 1000 sends" in score.verdict


def test_a_warehouse_without_the_mart_says_how_to_build_it(warehouse_file):
    resources = resources_from_env(resolve_secrets=True)
    with pytest.raises(MartsNotBuilt, match="refresh_warehouse"):
        results_for_report(
            resources.app_store, resources.outreach.experiments(), WarehouseLocation(warehouse_file)
        )


def test_the_results_asset_sits_downstream_of_the_variant_arms_mart():
    from salesagent_dagster.warehouse_definitions import defs

    graph = defs.resolve_asset_graph()
    assert graph.get(AssetKey("experiment_results")).parent_keys == {VARIANT_ARMS}
    assert defs.resolve_job_def("score_experiments") is not None
    assert "experiments_after_warehouse" in {sensor.name for sensor in defs.sensors}
