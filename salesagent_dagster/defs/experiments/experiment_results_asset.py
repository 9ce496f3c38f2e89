"""`experiment_results`: each A/B arm scored on positive replies, with harmful arms stopped."""

from dagster import AssetExecutionContext, AssetKey, MaterializeResult, MetadataValue, asset

from salesagent_dagster.resources.app_store import AppStoreResource
from salesagent_dagster.resources.outreach_settings import OutreachSettings
from salesagent_dagster.services.experiments import (
    read_variant_arms,
    results_markdown,
    score_experiments,
)

GROUP = "experiments"
# dbt_outreach's mart (the analytics folder's dbt assets key a mart as warehouse/marts/<name>).
VARIANT_ARMS = AssetKey(["warehouse", "marts", "variant_arms"])


@asset(
    group_name=GROUP,
    deps=[VARIANT_ARMS],
    kinds={"python"},
    description=(
        "A/B arms scored on positive-reply rate: Beta posterior, 95% interval, P(best), the "
        "winner once every arm has its minimum sample; arms over a harm bound are stopped."
    ),
)
def experiment_results(
    context: AssetExecutionContext, app_store: AppStoreResource, outreach: OutreachSettings
) -> MaterializeResult:
    policy = outreach.experiments()
    scores = score_experiments(app_store, policy, read_variant_arms())
    for score in scores:
        for stop in score.new_stops:
            context.log.warning(f"stopped arm {score.experiment}/{stop.arm}: {stop.reason}")
    metadata: dict[str, object] = {
        "results": MetadataValue.md(results_markdown(scores, policy)),
        "winners": {score.experiment: score.winner for score in scores},
        "stopped_now": [f"{s.experiment}/{stop.arm}" for s in scores for stop in s.new_stops],
    }
    for score in scores:
        for arm in score.arms:
            prefix = f"{score.experiment}/{arm.arm}"
            metadata[f"{prefix}/sends"] = arm.sends
            metadata[f"{prefix}/positive_rate"] = arm.positive_rate or 0.0
            metadata[f"{prefix}/posterior_mean"] = arm.posterior_mean
            metadata[f"{prefix}/p_best"] = -1.0 if arm.p_best is None else arm.p_best
            metadata[f"{prefix}/stopped"] = arm.stopped
    return MaterializeResult(metadata=metadata)  # type: ignore[arg-type]
