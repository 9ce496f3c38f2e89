"""The analytics folder's definitions: the warehouse export, dbt_outreach's models with their
tests as checks, and their refresh: hourly, and soon after reply tracking records a reply."""

from dagster import (
    AssetSelection,
    DefaultScheduleStatus,
    Definitions,
    ScheduleDefinition,
    define_asset_job,
    in_process_executor,
)

from salesagent_dagster.defs.analytics.reply_refresh_sensor import warehouse_after_replies_sensor
from salesagent_dagster.defs.analytics.warehouse_export import WAREHOUSE_GROUP, warehouse_raw
from salesagent_dagster.defs.analytics.warehouse_models import (
    dbt_project,
    dbt_resource,
    warehouse_models_for,
)
from salesagent_dagster.services.warehouse.location import configured_warehouse

REFRESH_CRON = "0 * * * *"


def defs() -> Definitions:
    project = dbt_project()
    refresh = define_asset_job(
        "refresh_warehouse",
        selection=AssetSelection.groups(WAREHOUSE_GROUP),
        executor_def=in_process_executor,
        description="Export the app DB's facts, then dbt build the staging models and marts.",
    )
    return Definitions(
        assets=[warehouse_raw, warehouse_models_for(project)],
        jobs=[refresh],
        schedules=[
            ScheduleDefinition(
                name="hourly_warehouse_refresh",
                job=refresh,
                cron_schedule=REFRESH_CRON,
                default_status=DefaultScheduleStatus.RUNNING,
            )
        ],
        sensors=[warehouse_after_replies_sensor(refresh)],
        resources={"dbt": dbt_resource(project, configured_warehouse())},
    )
