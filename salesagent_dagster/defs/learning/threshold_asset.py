"""`auto_approve_threshold`: the weekly learner's proposal, with what it read, in the UI."""

from dagster import (
    AssetExecutionContext,
    AssetKey,
    DefaultScheduleStatus,
    MaterializeResult,
    MetadataValue,
    ScheduleDefinition,
    asset,
    define_asset_job,
    in_process_executor,
)

from salesagent_dagster.resources.app_store import AppStoreResource
from salesagent_dagster.resources.outreach_settings import OutreachSettings
from salesagent_dagster.services.threshold_learning import learn_threshold

GROUP = "learning"
# Monday morning UTC: a full week of sends behind it, and the hourly refresh has run.
WEEKLY_CRON = "0 6 * * 1"
# The marts the learner reads (dbt_outreach), as defs/analytics/warehouse_models.py keys them.
READS = [
    AssetKey(["warehouse", "marts", "send_outcomes"]),
    AssetKey(["warehouse", "marts", "lead_outcomes"]),
]


@asset(
    group_name=GROUP,
    deps=READS,
    kinds={"python"},
    description=(
        "The auto-approve threshold learner's weekly proposal (one bounded step from last "
        "week's outcomes of auto-approved sends), recorded always and applied only when the "
        "rules file's [learner] is enabled and not in shadow."
    ),
)
def auto_approve_threshold(
    context: AssetExecutionContext, app_store: AppStoreResource, outreach: OutreachSettings
) -> MaterializeResult:
    run = learn_threshold(app_store, outreach, actor=f"threshold_learner:{context.run.run_id}")
    context.log.info(
        f"threshold learner ({run.mode}): {run.current_threshold:.2f} -> "
        f"{run.proposed_threshold:.2f}, applied={run.applied}: {run.reason}"
    )
    metadata = run.as_metadata()
    metadata["figures"] = MetadataValue.json(run.figures)
    if run.change_id is not None:
        metadata["change_id"] = run.change_id
    return MaterializeResult(metadata=metadata)


learn_auto_approve_threshold = define_asset_job(
    "learn_auto_approve_threshold",
    selection=[auto_approve_threshold],
    executor_def=in_process_executor,
    description="Propose (and, when the learner is live, apply) this week's threshold step.",
)


def weekly_threshold_schedule() -> ScheduleDefinition:
    """Running by default: with the learner off (the default) a run records nothing."""
    return ScheduleDefinition(
        name="weekly_threshold_learning",
        job=learn_auto_approve_threshold,
        cron_schedule=WEEKLY_CRON,
        default_status=DefaultScheduleStatus.RUNNING,
    )
