"""Start the runs of pushed leads at once, without racing the sensor for them.

Each lead is claimed first (`inbox.claim_dispatch`: dispatched_at set only where it was
unset), so of the webhook and the sensor exactly one starts its run. A lead whose run could
not be started is given back (`release_dispatch`) and the sensor starts it on its next pass;
an unclear answer from the webserver is given back too, since the sensor looks for the run by
its run key before it asks for one: a run the webserver did create is found, never doubled.
If this process dies between claim and launch, the sensor's sweep of claims that never made
a lead (`inbox.unstarted_dispatches`) picks the lead up.

As the intake sensor does, a lead gets its own run here only while a run slot is free for
it; the others are left unclaimed to the `lead_backlog` sensor, which carries waiting leads
in batch runs (services/lead_batching.py). When the queue cannot be read, every lead gets
its own run, as before batching.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from salesagent_dagster.resources.app_store import AppStoreResource
from salesagent_dagster.resources.dagster_webserver import DagsterWebserverClient
from salesagent_dagster.resources.errors import ServiceError
from salesagent_dagster.services.run_tags import (
    PARTITION_TAG,
    RUN_KEY_TAG,
    SUBMISSIONS_PARTITIONS_NAME,
)
from salesagent_dagster.store import inbox

log = logging.getLogger(__name__)

LEAD_JOB = "process_lead"
INTAKE_TAG = "salesagent/intake"


def start_pushed_runs(
    app_store: AppStoreResource, webserver: DagsterWebserverClient, keys: Sequence[str]
) -> list[str]:
    """The run ids started; leads another path already dispatched are left to it, and so
    are leads with no free run slot (to the backlog sensor's batches)."""
    try:
        free = webserver.free_run_slots()
    except ServiceError as exc:
        log.warning("run queue not read (every pushed lead gets its own run): %s", exc)
        free = None
    own = list(keys) if free is None else list(keys)[:free]
    if len(own) < len(keys):
        log.info("%d pushed leads left to the batch runs: no free run slot", len(keys) - len(own))
    with app_store.session() as session:
        claimed = inbox.claim_dispatch(session, own)
    started, given_back = [], []
    for key in claimed:
        try:
            webserver.add_partition(SUBMISSIONS_PARTITIONS_NAME, key)
            started.append(
                webserver.launch(
                    LEAD_JOB, {PARTITION_TAG: key, RUN_KEY_TAG: key, INTAKE_TAG: "webhook"}
                )
            )
        except ServiceError as exc:
            log.warning("run of %s not started from the webhook (the sensor will): %s", key, exc)
            given_back.append(key)
    if given_back:
        with app_store.session() as session:
            inbox.release_dispatch(session, given_back)
    return started
