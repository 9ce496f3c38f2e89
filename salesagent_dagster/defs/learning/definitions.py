"""The learning folder's definitions: the weekly auto-approve threshold learner."""

from dagster import Definitions

from salesagent_dagster.defs.learning.threshold_asset import (
    auto_approve_threshold,
    learn_auto_approve_threshold,
    weekly_threshold_schedule,
)


def defs() -> Definitions:
    return Definitions(
        assets=[auto_approve_threshold],
        jobs=[learn_auto_approve_threshold],
        schedules=[weekly_threshold_schedule()],
    )
