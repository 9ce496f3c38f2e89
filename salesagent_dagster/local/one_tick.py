"""One sensor tick and its runs, in this process: `salesagent process --once`.

Evaluates the real sensor against the instance, registers the partitions it asks for and
executes each requested run in-process with the same tags the daemon would give it, so
the daemon (if it is running too) never starts a second run for the same lead.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from dagster import (
    AddDynamicPartitionsRequest,
    DagsterInstance,
    Definitions,
    RunsFilter,
    SensorResult,
    build_sensor_context,
)

from salesagent_dagster.defs.intake.submissions_sensor import RUN_KEY_TAG
from salesagent_dagster.store.models import utc_now

SENSOR_NAME = "hubspot_submissions"
SENSOR_NAME_TAG = "dagster/sensor_name"
# The event log keeps every event; the terminal only needs warnings and errors.
QUIET_CONSOLE = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}


@dataclass(frozen=True)
class TickResult:
    started_at: datetime
    run_ids: dict[str, str]  # partition key -> run id
    skip_reason: str | None


def run_one_tick(instance: DagsterInstance, definitions: Definitions) -> TickResult:
    started_at = utc_now()
    sensor_def = definitions.resolve_sensor_def(SENSOR_NAME)
    with build_sensor_context(
        instance=instance,
        definitions=definitions,
        sensor_name=SENSOR_NAME,
        resources=dict(definitions.resources or {}),
    ) as context:
        result = sensor_def(context)
    if not isinstance(result, SensorResult):
        raise TypeError(f"{SENSOR_NAME} returned {type(result).__name__}, not a SensorResult")
    for partitions_request in result.dynamic_partitions_requests or []:
        if isinstance(partitions_request, AddDynamicPartitionsRequest):
            instance.add_dynamic_partitions(
                partitions_request.partitions_def_name, list(partitions_request.partition_keys)
            )
    job = definitions.resolve_job_def("process_lead")
    run_ids: dict[str, str] = {}
    for request in result.run_requests or []:
        key = request.partition_key
        if key is None or _has_run(instance, key):
            continue
        outcome = job.execute_in_process(
            instance=instance,
            partition_key=key,
            tags={RUN_KEY_TAG: key, SENSOR_NAME_TAG: SENSOR_NAME},
            run_config=QUIET_CONSOLE,
            raise_on_error=False,
        )
        run_ids[key] = outcome.run_id
    skip = result.skip_reason.skip_message if result.skip_reason else None
    return TickResult(started_at=started_at, run_ids=run_ids, skip_reason=skip)


def _has_run(instance: DagsterInstance, key: str) -> bool:
    return bool(instance.get_run_ids(filters=RunsFilter(tags={RUN_KEY_TAG: key}), limit=1))
