"""Score the A/B experiments from the variant_arms mart, and stop the arms that harm.

One use case for the `experiment_results` asset and the report: read each arm's sends and
replies from the warehouse, score them (domain/experiment_scoring.py), and, when asked to,
record newly stopped arms with an audit entry, so the draft asset assigns no new lead to
them. Experiment and arm names, counts and rates only: nothing about a person.
"""

from __future__ import annotations

from collections.abc import Sequence

from salesagent_dagster.domain.experiment_scoring import ArmCounts, ExperimentScore, score_arms
from salesagent_dagster.domain.experiments import ExperimentPolicy
from salesagent_dagster.resources.app_store import AppStoreResource
from salesagent_dagster.services.warehouse.location import WarehouseLocation, configured_warehouse
from salesagent_dagster.services.warehouse.lock import warehouse_writer
from salesagent_dagster.services.warehouse.report import HOW_TO_BUILD, MartsNotBuilt
from salesagent_dagster.store import audit, experiments, warehouse

STOP_ACTOR = "system:experiment_results"
STOP_ACTION = "experiment_arm_stopped"


def read_variant_arms(location: WarehouseLocation | None = None) -> dict[str, list[ArmCounts]]:
    """experiment -> its arms' counts, from the variant_arms mart; MartsNotBuilt (saying
    how to build it) when the warehouse or the mart does not exist yet."""
    location = location or configured_warehouse()
    where = str(location.path) if location.is_duckdb else "the PostgreSQL warehouse"
    missing = MartsNotBuilt(f"the variant_arms mart is not built yet ({where}): {HOW_TO_BUILD}")
    if location.is_duckdb and not location.path.exists():
        raise missing
    with (
        warehouse_writer(location),
        warehouse.open_warehouse(location.path, location.url, read_only=True) as wh,
    ):
        if not experiments.variant_arms_built(wh):
            raise missing
        rows = experiments.variant_arm_rows(wh)
    by_experiment: dict[str, list[ArmCounts]] = {}
    for experiment, arm, *figures in rows:
        by_experiment.setdefault(experiment, []).append(ArmCounts(arm, *figures))
    return by_experiment


def score_experiments(
    app_store: AppStoreResource,
    policy: ExperimentPolicy,
    counts: dict[str, list[ArmCounts]],
    *,
    record_stops: bool = True,
) -> list[ExperimentScore]:
    """Each experiment of the policy scored over `counts` (an arm with no sends yet scores
    as zeros; mart rows of arms the policy no longer has are left out). With
    `record_stops`, arms newly over a harm bound are stopped and audited, in one commit."""
    scores = []
    with app_store.session() as session:
        stopped = experiments.stopped_arms(session)
        for experiment in policy.experiments:
            seen = {arm.arm: arm for arm in counts.get(experiment.name, [])}
            arms = [seen.get(arm.name) or ArmCounts(arm.name, 0, 0) for arm in experiment.arms]
            score = score_arms(
                experiment.name, experiment.scoring, arms, stopped.get(experiment.name, {})
            )
            scores.append(score)
            if not record_stops:
                continue
            for stop in score.new_stops:
                if experiments.stop_arm(
                    session, experiment.name, stop.arm, stop.reason, stop.figures
                ):
                    audit.record(
                        session,
                        actor=STOP_ACTOR,
                        action=STOP_ACTION,
                        subject=f"{experiment.name}/{stop.arm}",
                        details={"reason": stop.reason, **stop.figures},
                    )
    return scores


def experiment_results(
    app_store: AppStoreResource,
    policy: ExperimentPolicy,
    location: WarehouseLocation | None = None,
    *,
    record_stops: bool = False,
) -> list[ExperimentScore]:
    """The experiments' scores from the warehouse as it is: what the report shows (it
    records no stops: that is the experiment_results asset's job)."""
    return score_experiments(
        app_store, policy, read_variant_arms(location), record_stops=record_stops
    )


def results_markdown(scores: Sequence[ExperimentScore], policy: ExperimentPolicy) -> str:
    """One Markdown table per experiment, with its verdict: the UI's and the report's view."""
    sections = []
    for score in scores:
        experiment = policy.experiment(score.experiment)
        state = "enabled" if experiment is None or experiment.enabled else "disabled"
        lines = [
            f"### {score.experiment} ({state})",
            "",
            "| arm | sends | positive | positive rate | posterior mean | 95% interval "
            "| P(best) | unsubscribe rate | negative rate | status |",
            "|---|---:|---:|---:|---:|---|---:|---:|---:|---|",
        ]
        for arm in score.arms:
            status = f"stopped: {arm.stop_reason}" if arm.stopped else "running"
            if arm.arm == score.winner:
                status = "**winner**"
            lines.append(
                f"| {arm.arm} | {arm.sends} | {arm.positive_replies} | "
                f"{_percent(arm.positive_rate)} | {arm.posterior_mean:.2%} | "
                f"{arm.interval[0]:.2%} to {arm.interval[1]:.2%} | "
                f"{'-' if arm.p_best is None else f'{arm.p_best:.3f}'} | "
                f"{_percent(arm.unsubscribe_rate)} | {_percent(arm.negative_rate)} | {status} |"
            )
        lines += ["", f"Winner: {score.winner or 'none'}. {score.verdict}."]
        sections.append("\n".join(lines))
    return "\n\n".join(sections) if sections else "No experiments in the policy file."


def _percent(rate: float | None) -> str:
    return "-" if rate is None else f"{rate:.2%}"
