"""What was logged back to HubSpot per lead, so a re-run logs nothing twice."""

from __future__ import annotations

from sqlalchemy.orm import Session

from salesagent_dagster.store.models import HubSpotActivity


def get_activity(session: Session, partition_key: str) -> HubSpotActivity:
    activity = session.get(HubSpotActivity, partition_key)
    if activity is None:
        activity = HubSpotActivity(partition_key=partition_key, lead_status_updated=False)
        session.add(activity)
        session.flush()
    return activity
