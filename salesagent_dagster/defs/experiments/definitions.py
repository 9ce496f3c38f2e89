"""The experiments folder's definitions: the A/B results, scored each time the warehouse
rebuilds the variant_arms mart (an asset sensor), or on demand from the UI."""

from dagster import (
    AssetSelection,
    DefaultSensorStatus,
    Definitions,
    EventLogEntry,
    RunRequest,
    SensorEvaluationContext,
    asset_sensor,
    define_asset_job,
    in_process_executor,
)

from salesagent_dagster.defs.experiments.experiment_results_asset import (
    VARIANT_ARMS,
    experiment_results,
)


def defs() -> Definitions:
    score = define_asset_job(
        "score_experiments",
        selection=AssetSelection.assets(experiment_results),
        executor_def=in_process_executor,
        description="Score the A/B arms on positive replies; stop arms over a harm bound.",
    )

    # Harm stops come only as quickly as the scoring: on every rebuild of the mart (the
    # hourly refresh and the one after replies), not on a schedule of its own.
    @asset_sensor(
        asset_key=VARIANT_ARMS,
        job=score,
        name="experiments_after_warehouse",
        minimum_interval_seconds=60,
        default_status=DefaultSensorStatus.RUNNING,
    )
    def experiments_after_warehouse(
        context: SensorEvaluationContext, asset_event: EventLogEntry
    ) -> RunRequest:
        return RunRequest()

    return Definitions(
        assets=[experiment_results], jobs=[score], sensors=[experiments_after_warehouse]
    )
