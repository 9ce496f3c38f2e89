"""The maintenance folder's definitions: dead letters reported as they appear, leads a
shutdown cut short run again, and opt-outs retried until HubSpot has them."""

from dagster import Definitions

from salesagent_dagster.defs.maintenance.dead_letter_sensor import report_dead_letters
from salesagent_dagster.defs.maintenance.hubspot_opt_out_sensor import hubspot_opt_outs
from salesagent_dagster.defs.maintenance.interrupted_runs_sensor import resume_interrupted_leads


def defs() -> Definitions:
    return Definitions(sensors=[report_dead_letters, resume_interrupted_leads, hubspot_opt_outs])
