"""Launch the `review_lead` job for one lead in this process, on the instance the daemon
and the UI use, so a CLI review shows in the UI like a Launchpad one."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from dagster import DagsterInstance, Definitions

from salesagent_dagster.local.one_tick import QUIET_CONSOLE


@dataclass(frozen=True)
class ReviewRun:
    run_id: str
    approved: bool
    explanation: str
    metadata: dict[str, Any]


def run_review(
    instance: DagsterInstance, definitions: Definitions, partition_key: str, config: dict[str, Any]
) -> ReviewRun:
    result = definitions.resolve_job_def("review_lead").execute_in_process(
        instance=instance,
        partition_key=partition_key,
        run_config={**QUIET_CONSOLE, "ops": {"operator_review": {"config": config}}},
        tags={"salesagent/review": config.get("action", "")},
        raise_on_error=False,
    )
    evaluations = result.get_asset_check_evaluations()
    if not evaluations:
        return ReviewRun(result.run_id, False, "the review run failed; see its logs", {})
    metadata = {name: value.value for name, value in evaluations[0].metadata.items()}
    return ReviewRun(
        result.run_id, evaluations[0].passed, str(metadata.get("explanation", "")), metadata
    )
