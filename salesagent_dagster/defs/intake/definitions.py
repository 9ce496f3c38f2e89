"""The intake folder's definitions: the sensor that turns form submissions into partitions
and runs of `process_lead` (which the leads folder defines; the sensor names it)."""

from dagster import Definitions

from salesagent_dagster.defs.intake.submissions_sensor import hubspot_submissions


def defs() -> Definitions:
    return Definitions(sensors=[hubspot_submissions])
