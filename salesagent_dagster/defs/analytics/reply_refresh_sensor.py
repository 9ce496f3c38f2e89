"""A refresh of the warehouse soon after reply tracking records something new, besides the
hourly schedule: reply rates are what the marts are for. At most one refresh per
`minimum_interval_seconds`, however many replies arrive in a burst."""

from dagster import (
    DefaultSensorStatus,
    RunRequest,
    SensorDefinition,
    SensorEvaluationContext,
    SensorResult,
    SkipReason,
    sensor,
)
from dagster._core.definitions.unresolved_asset_job_definition import (
    UnresolvedAssetJobDefinition,
)

from salesagent_dagster.resources.app_store import AppStoreResource
from salesagent_dagster.store.warehouse_facts import newest_reply_recorded_at

REFRESH_AFTER_REPLIES_SECONDS = 300


def warehouse_after_replies_sensor(job: UnresolvedAssetJobDefinition) -> SensorDefinition:
    @sensor(
        name="warehouse_after_replies",
        job=job,
        minimum_interval_seconds=REFRESH_AFTER_REPLIES_SECONDS,
        default_status=DefaultSensorStatus.RUNNING,
        description="Refresh the warehouse when a reply to one of our emails was recorded.",
    )
    def warehouse_after_replies(
        context: SensorEvaluationContext, app_store: AppStoreResource
    ) -> SensorResult | SkipReason:
        with app_store.session() as session:
            newest = newest_reply_recorded_at(session)
        seen = newest.isoformat() if newest else None
        if seen is None or (context.cursor is not None and seen <= context.cursor):
            return SkipReason("no reply recorded since the last refresh")
        return SensorResult(run_requests=[RunRequest(run_key=f"replies-{seen}")], cursor=seen)

    return warehouse_after_replies
