"""The maintenance folder's definitions: dead letters reported as they appear."""

from dagster import Definitions

from salesagent_dagster.defs.maintenance.dead_letter_sensor import report_dead_letters


def defs() -> Definitions:
    return Definitions(sensors=[report_dead_letters])
