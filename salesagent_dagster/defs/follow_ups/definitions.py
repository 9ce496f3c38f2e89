"""The follow-ups folder's definitions: the follow_up_email asset, its job and the sensor
that releases due steps."""

from dagster import Definitions

from salesagent_dagster.defs.follow_ups.follow_up_asset import follow_up_email
from salesagent_dagster.defs.follow_ups.follow_ups_sensor import follow_ups_sensor
from salesagent_dagster.defs.follow_ups.jobs import send_follow_up_job


def defs() -> Definitions:
    return Definitions(
        assets=[follow_up_email], jobs=[send_follow_up_job], sensors=[follow_ups_sensor]
    )
