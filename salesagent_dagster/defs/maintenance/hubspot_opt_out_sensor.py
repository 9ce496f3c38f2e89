"""Opt-outs still owed to HubSpot, pushed until HubSpot has them (DESIGN I-12).

The suppression itself is local and immediate: the edge (or the mailbox listener) commits it
before it answers, so no send can follow. What may lag is HubSpot's own record of the
opt-out, when HubSpot was down at that moment; this sensor retries it every minute, oldest
first, from the queue the opt-out service keeps in the audit log.
"""

from __future__ import annotations

from dagster import DefaultSensorStatus, SensorEvaluationContext, SkipReason, sensor

from salesagent_dagster.resources.app_store import AppStoreResource
from salesagent_dagster.resources.hubspot import HubSpotResource
from salesagent_dagster.services.opt_out import sync_pending_hubspot_opt_outs


@sensor(
    minimum_interval_seconds=60,
    default_status=DefaultSensorStatus.RUNNING,
    description="Retries HubSpot communication-preference opt-outs that HubSpot did not take.",
)
def hubspot_opt_outs(
    context: SensorEvaluationContext, app_store: AppStoreResource, hubspot: HubSpotResource
) -> SkipReason:
    pushed = sync_pending_hubspot_opt_outs(app_store, hubspot)
    if pushed:
        context.log.info(f"HubSpot took {pushed} pending opt-outs")
    return SkipReason(f"{pushed} pending opt-outs pushed to HubSpot")
