"""The demo's submissions arrive the way production's do with a HubSpot workflow: pushed.

The HubSpot emulator plays the workflow's "Send a webhook" action, signing each submission
with the sandbox app's client secret and POSTing it to the demo's edge, which stores it in the
inbox; the sensor's poll then finds every one already stored (one lead each, never two).
"""

from __future__ import annotations

import time

import requests
from sqlalchemy import func, select

from salesagent_dagster.resources.app_store import AppStoreResource
from salesagent_dagster.store.models import Submission

# The sandbox HubSpot app's client secret: it signs the emulator's workflow webhooks.
SANDBOX_HUBSPOT_CLIENT_SECRET = "sandbox-hubspot-client-secret"  # noqa: S105 (the emulator's only)
TIMEOUT = 10


def push_submissions_to(hubspot_url: str, webhook_url: str, client_secret: str) -> None:
    """From now on, every submission added to the emulator is also pushed to `webhook_url`."""
    requests.post(
        f"{hubspot_url}/_admin/workflow_webhook",
        json={"url": webhook_url, "clientSecret": client_secret},
        timeout=TIMEOUT,
    ).raise_for_status()


def wait_for_inbox(app_store: AppStoreResource, count: int, timeout_seconds: float = 15) -> int:
    """How many submissions the inbox holds once it holds `count` (or the deadline passed):
    the webhook delivers from the emulator's thread, after the submission is added."""
    deadline = time.monotonic() + timeout_seconds
    while True:
        with app_store.session() as session:
            stored = int(session.scalar(select(func.count()).select_from(Submission)) or 0)
        if stored >= count or time.monotonic() > deadline:
            return stored
        time.sleep(0.05)
