"""dbt_outreach's staging and mart models as Dagster assets (dagster-dbt), their dbt tests as
asset checks, downstream of the export's raw tables. The report's charts go onto the marts'
materializations as Markdown images, so the Dagster UI shows them with each refresh.

The manifest is prepared at build time (`make dbt-parse`, which `make test`, `make demo` and
the image build run), never when the code location loads: DbtProject.prepare_if_dev would do it
only under `dagster dev`, and parsing on import would cost seconds in every run worker.
"""

import sys
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from dagster import AssetExecutionContext, AssetKey, AssetMaterialization, MetadataValue, Output
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, DbtProject, dbt_assets

from salesagent_dagster.defs.analytics.partial_parse import (
    keep_partial_parse,
    restore_partial_parse,
)
from salesagent_dagster.services.warehouse.charts import CHART_MARTS, as_markdown, render_charts
from salesagent_dagster.services.warehouse.location import WarehouseLocation, configured_warehouse
from salesagent_dagster.services.warehouse.lock import warehouse_writer
from salesagent_dagster.services.warehouse.report import MartsNotBuilt, read_report
from salesagent_dagster.settings import dbt_project_dir, environment_overridden

PREPARE_COMMAND = "make dbt-parse"


class DbtManifestMissing(RuntimeError):
    """dbt_outreach has no manifest: the code location cannot list the warehouse models."""


class WarehouseTranslator(DagsterDbtTranslator):
    """Models under the `warehouse` key prefix and group; sources keep the keys their
    `meta.dagster.asset_key` gives them (the export's raw tables)."""

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> AssetKey:
        key = super().get_asset_key(dbt_resource_props)
        if dbt_resource_props["resource_type"] == "source":
            return key
        return key.with_prefix("warehouse")

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        return "warehouse"


def dbt_project() -> DbtProject:
    """The project, or a clear error naming the command that prepares its manifest."""
    project_dir = dbt_project_dir()
    if not (project_dir / "dbt_project.yml").exists():
        raise DbtManifestMissing(
            f"the dbt project dbt_outreach is not at {project_dir}: the code location needs "
            "the repository's dbt_outreach/ (or SALESAGENT_DBT_PROJECT_DIR naming it), "
            f"prepared with `{PREPARE_COMMAND}`"
        )
    project = DbtProject(project_dir=project_dir, profiles_dir=project_dir)
    if not project.manifest_path.exists():
        raise DbtManifestMissing(
            f"dbt_outreach's manifest is missing ({project.manifest_path}): run "
            f"`{PREPARE_COMMAND}` (dbt parse) before loading the code location"
        )
    return project


def dbt_resource(project: DbtProject, location: WarehouseLocation) -> DbtCliResource:
    """dbt from this venv (PATH may not have it), on the configured warehouse's target."""
    beside_python = Path(sys.executable).with_name("dbt")
    return DbtCliResource(
        project_dir=project,
        target=location.dbt_target,
        dbt_executable=str(beside_python) if beside_python.exists() else "dbt",
    )


@contextmanager
def dbt_environment(location: WarehouseLocation) -> Iterator[None]:
    """The DBT_WAREHOUSE_* variables profiles.yml reads, for the dbt process this step starts
    (dagster-dbt passes it this process's environment), restored afterwards."""
    values = {**location.dbt_env(), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    with environment_overridden(values):
        yield


def warehouse_models_for(project: DbtProject) -> Any:
    @dbt_assets(
        manifest=project.manifest_path,
        project=project,
        dagster_dbt_translator=WarehouseTranslator(),
        name="warehouse_models",
    )
    def warehouse_models(context: AssetExecutionContext, dbt: DbtCliResource) -> Iterator[Any]:
        location = configured_warehouse()
        # Each invocation's artifacts (~3 MB) in a directory of its own that goes with the
        # step: under the project they would pile up with every hourly refresh.
        with (
            warehouse_writer(location),
            dbt_environment(location),
            tempfile.TemporaryDirectory(prefix="dbt_outreach-") as artifacts,
        ):
            restore_partial_parse(location, Path(artifacts))
            invocation = dbt.cli(
                ["build"], context=context, target_path=Path(artifacts), raise_on_error=False
            )
            # The charted marts' materializations wait for the build's end: their charts read
            # every report mart, which only then are all built.
            held: list[Output[Any] | AssetMaterialization] = []
            for event in invocation.stream():
                if (
                    isinstance(event, Output | AssetMaterialization)
                    and _mart_name(context, event) in CHART_MARTS.values()
                ):
                    held.append(event)
                else:
                    yield event
            charts = _chart_metadata(context, location)
            for event in held:
                extra = charts.get(_mart_name(context, event), {})
                yield event.with_metadata({**event.metadata, **extra})
            keep_partial_parse(location, Path(artifacts))
        error = invocation.get_error()
        if error is not None:
            raise error

    return warehouse_models


def _mart_name(context: AssetExecutionContext, event: Output[Any] | AssetMaterialization) -> str:
    """The model name of a dbt event: the last part of its asset key."""
    if isinstance(event, AssetMaterialization):
        return event.asset_key.path[-1]
    return context.asset_key_for_output(event.output_name).path[-1]


def _chart_metadata(
    context: AssetExecutionContext, location: WarehouseLocation
) -> dict[str, dict[str, MetadataValue]]:
    """mart name -> {chart name: the chart as Markdown}; empty when the marts are not all
    built (a failed model): the charts are a view of the marts, never a reason to fail."""
    try:
        report = read_report(location, locked=True)
    except MartsNotBuilt as error:
        context.log.warning(f"no charts on the marts this time: {error}")
        return {}
    by_mart: dict[str, dict[str, MetadataValue]] = {}
    for name, png in render_charts(report).items():
        by_mart.setdefault(CHART_MARTS[name], {})[f"chart_{name}"] = MetadataValue.md(
            as_markdown(name, png)
        )
    return by_mart
