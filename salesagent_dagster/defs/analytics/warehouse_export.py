"""The export of the app DB's facts into the warehouse's raw schema: one asset per raw table
(what dbt_outreach's sources name), all written by one step."""

from collections.abc import Iterator

from dagster import AssetExecutionContext, AssetKey, AssetSpec, MaterializeResult, multi_asset

from salesagent_dagster.resources.app_store import AppStoreResource
from salesagent_dagster.resources.outreach_settings import OutreachSettings
from salesagent_dagster.services.warehouse.location import configured_warehouse
from salesagent_dagster.services.warehouse.lock import warehouse_writer
from salesagent_dagster.store.warehouse import RAW_TABLES

WAREHOUSE_GROUP = "warehouse"


def raw_asset_key(table: str) -> AssetKey:
    """The key dbt_outreach/models/staging/sources.yml gives the table (meta.dagster)."""
    return AssetKey([WAREHOUSE_GROUP, f"raw_{table}"])


@multi_asset(
    specs=[
        AssetSpec(
            raw_asset_key(table),
            group_name=WAREHOUSE_GROUP,
            kinds={"pandas"},
            description=f"Raw {table} facts from the app DB: hashed ids, no PII columns.",
        )
        for table in RAW_TABLES
    ],
    name="warehouse_raw",
)
def warehouse_raw(
    context: AssetExecutionContext, app_store: AppStoreResource, outreach: OutreachSettings
) -> Iterator[MaterializeResult]:
    # Imported here: it needs pandas, which every process loading the code location (a lead's
    # run worker first) would otherwise import for nothing.
    from salesagent_dagster.services.warehouse.export import export_to_warehouse

    location = configured_warehouse()
    with warehouse_writer(location):
        report = export_to_warehouse(app_store.session, location, outreach.salt)
    context.log.info(f"warehouse export: {report.leads} changed leads")
    for table in RAW_TABLES:
        yield MaterializeResult(
            asset_key=raw_asset_key(table),
            metadata={
                "rows_written": report.rows.get(table, 0),
                "leads_exported": report.leads,
                "since": report.as_metadata()["since"],
                "target": location.dbt_target,
            },
        )
