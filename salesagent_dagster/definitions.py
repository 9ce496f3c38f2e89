"""The one Definitions object: every folder's definitions plus resources from the env."""

from __future__ import annotations

from dagster import Definitions

from salesagent_dagster.defs.controls.kill_switch_job import set_kill_switch
from salesagent_dagster.defs.intake.submissions_sensor import hubspot_submissions
from salesagent_dagster.defs.leads.deferred_sends_sensor import deferred_sends
from salesagent_dagster.defs.leads.draft_assets import draft, send_decision
from salesagent_dagster.defs.leads.jobs import process_lead_job
from salesagent_dagster.defs.leads.lead_assets import enrichment, lead
from salesagent_dagster.defs.leads.send_graph import sent_email
from salesagent_dagster.defs.maintenance.dead_letter_sensor import report_dead_letters
from salesagent_dagster.defs.privacy.erasure_job import delete_erasure_runs, erase_person
from salesagent_dagster.defs.privacy.retention_job import enforce_retention, retention_schedule
from salesagent_dagster.defs.review.jobs import review_lead_job
from salesagent_dagster.defs.review.operator_review import operator_review
from salesagent_dagster.defs.safety.draft_checks import draft_safety_checks
from salesagent_dagster.observability.setup import init_observability
from salesagent_dagster.settings import resources_from_env

# Redacted logs and (when SENTRY_DSN is set) Sentry in every process that loads the code.
init_observability()


def build_definitions() -> Definitions:
    """Definitions with resources read from the environment as it is now (the CLI sets the
    sandbox's URLs first, then calls this)."""
    return Definitions(
        assets=[lead, enrichment, draft, send_decision, operator_review, sent_email],
        asset_checks=[draft_safety_checks],
        jobs=[process_lead_job, review_lead_job, set_kill_switch, enforce_retention, erase_person],
        schedules=[retention_schedule()],
        sensors=[hubspot_submissions, deferred_sends, report_dead_letters, delete_erasure_runs],
        resources=resources_from_env().as_dict(),
    )


defs = build_definitions()
