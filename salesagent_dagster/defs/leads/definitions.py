"""The leads folder's definitions: the per-lead assets, their job, the batch job that carries
several waiting leads in one run and its sensor, and the sensor that resumes held or
deferred sends."""

from dagster import Definitions

from salesagent_dagster.defs.leads.backlog_sensor import lead_backlog
from salesagent_dagster.defs.leads.deferred_sends_sensor import deferred_sends
from salesagent_dagster.defs.leads.draft_assets import draft, send_decision
from salesagent_dagster.defs.leads.jobs import process_lead_job
from salesagent_dagster.defs.leads.lead_assets import enrichment, lead
from salesagent_dagster.defs.leads.lead_batch import lead_key_io_manager, process_lead_batch
from salesagent_dagster.defs.leads.send_graph import sent_email


def defs() -> Definitions:
    return Definitions(
        assets=[lead, enrichment, draft, send_decision, sent_email],
        jobs=[process_lead_job, process_lead_batch],
        sensors=[deferred_sends, lead_backlog],
        resources={"lead_key_io_manager": lead_key_io_manager},
    )
