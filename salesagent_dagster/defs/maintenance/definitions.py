"""The maintenance folder's definitions: dead letters reported as they appear, and opt-outs
retried until HubSpot has them."""

from dagster import Definitions

from salesagent_dagster.defs.maintenance.dead_letter_sensor import report_dead_letters
from salesagent_dagster.defs.maintenance.hubspot_opt_out_sensor import hubspot_opt_outs


def defs() -> Definitions:
    return Definitions(sensors=[report_dead_letters, hubspot_opt_outs])
