"""One tick of the sensors and their runs, in this process: `salesagent process --once`.

Evaluates the real sensors against the instance, in order (intake, then the mailbox, then
the follow-ups, so one call takes a lead as far as one minute of the daemon would), registers
the partitions they ask for and executes each requested run in-process with the tags the
daemon would give it (`dagster/run_key`, `dagster/sensor_name`), so the daemon, if it is
running too, never starts a second run for the same request.

Runs here go one after the other, so every run slot is free at each evaluation: the intake
sensor gives each lead its own run (as many as there are slots per evaluation, so it is
evaluated again until it asks for nothing more). Batch runs are made only when the backlog
sensor (`lead_backlog`) is named.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from dagster import (
    AddDynamicPartitionsRequest,
    DagsterInstance,
    Definitions,
    RunRequest,
    RunsFilter,
    SensorResult,
    SkipReason,
    build_sensor_context,
)

from salesagent_dagster.defs.intake.submissions_sensor import RUN_KEY_TAG
from salesagent_dagster.services.lead_batching import keys_of_batch_run
from salesagent_dagster.services.run_tags import BATCH_JOB
from salesagent_dagster.store.models import utc_now

SENSOR_NAME = "hubspot_submissions"
# `process --once`: intake, then what came back, then the follow-ups that are due.
EVERY_SENSOR = (SENSOR_NAME, "mailbox_replies", "follow_ups")
LEAD_JOB = "process_lead"
SENSOR_NAME_TAG = "dagster/sensor_name"
# The event log keeps every event; the terminal only needs warnings and errors.
QUIET_CONSOLE = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}
MAX_INTAKE_PASSES = 100


@dataclass(frozen=True)
class TickRun:
    sensor: str
    job: str
    partition_key: str | None
    run_id: str
    success: bool
    batch: tuple[str, ...] = ()  # the leads of a batch run


@dataclass(frozen=True)
class TickResult:
    started_at: datetime
    run_ids: dict[str, str]  # partition key -> run id, of the lead runs (process_lead)
    skip_reason: str | None  # the intake sensor's, when it asked for nothing
    runs: tuple[TickRun, ...] = field(default_factory=tuple)  # every run, of every sensor

    @property
    def partition_keys(self) -> list[str]:
        """Every lead a run of this tick was about, first seen first."""
        return list(
            dict.fromkeys(
                key
                for r in self.runs
                for key in ([r.partition_key] if r.partition_key else r.batch)
            )
        )


def run_one_tick(
    instance: DagsterInstance,
    definitions: Definitions,
    sensor_names: Sequence[str] = (SENSOR_NAME,),
) -> TickResult:
    """One evaluation of each named sensor, then each run it asked for, to completion."""
    started_at = utc_now()
    runs: list[TickRun] = []
    skip_reasons: dict[str, str | None] = {}
    for name in sensor_names:
        for _ in range(MAX_INTAKE_PASSES if name == SENSOR_NAME else 1):
            result = _evaluate(instance, definitions, name)
            for partitions_request in result.dynamic_partitions_requests or []:
                if isinstance(partitions_request, AddDynamicPartitionsRequest):
                    instance.add_dynamic_partitions(
                        partitions_request.partitions_def_name,
                        list(partitions_request.partition_keys),
                    )
            default_job = definitions.resolve_sensor_def(name).job_name
            for request in result.run_requests or []:
                run = _execute(instance, definitions, name, request, default_job)
                if run is not None:
                    runs.append(run)
            if name not in skip_reasons or result.skip_reason is None:
                skip_reasons[name] = result.skip_reason.skip_message if result.skip_reason else None
            if not result.run_requests:
                break
    return TickResult(
        started_at=started_at,
        run_ids={
            **{r.partition_key: r.run_id for r in runs if r.job == LEAD_JOB and r.partition_key},
            **{key: r.run_id for r in runs if r.job == BATCH_JOB for key in r.batch},
        },
        skip_reason=skip_reasons.get(SENSOR_NAME),
        runs=tuple(runs),
    )


def _evaluate(instance: DagsterInstance, definitions: Definitions, name: str) -> SensorResult:
    """The sensor's answer as a SensorResult, whichever form the sensor returns it in."""
    sensor_def = definitions.resolve_sensor_def(name)
    with build_sensor_context(
        instance=instance,
        definitions=definitions,
        sensor_name=name,
        resources=dict(definitions.resources or {}),
    ) as context:
        answer: Any = sensor_def(context)
        if isinstance(answer, SensorResult):
            return answer
        items = [answer] if isinstance(answer, RunRequest | SkipReason) else list(answer or [])
    if not all(isinstance(item, RunRequest | SkipReason) for item in items):
        raise TypeError(f"{name} answered {items!r}, not run requests or a skip reason")
    return _as_result(items)


def _as_result(items: Iterable[RunRequest | SkipReason]) -> SensorResult:
    requests = [item for item in items if isinstance(item, RunRequest)]
    skips = [item for item in items if isinstance(item, SkipReason)]
    if requests:
        return SensorResult(run_requests=requests)
    return SensorResult(skip_reason=skips[0] if skips else None)


def _execute(
    instance: DagsterInstance,
    definitions: Definitions,
    sensor: str,
    request: RunRequest,
    default_job: str | None,
) -> TickRun | None:
    """Run one request to completion, unless Dagster already holds a run for its key."""
    job_name = request.job_name or default_job
    if job_name is None:
        raise ValueError(f"{sensor} asked for a run without naming a job")
    run_key = request.run_key or request.partition_key
    if run_key is not None and _has_run(instance, run_key):
        return None
    run_config = dict(request.run_config or {})
    run_config.setdefault("loggers", QUIET_CONSOLE["loggers"])
    outcome = definitions.resolve_job_def(job_name).execute_in_process(
        instance=instance,
        partition_key=request.partition_key,
        tags={
            **request.tags,
            **({RUN_KEY_TAG: run_key} if run_key is not None else {}),
            SENSOR_NAME_TAG: sensor,
        },
        run_config=run_config,
        raise_on_error=False,
    )
    run = instance.get_run_by_id(outcome.run_id) if job_name == BATCH_JOB else None
    batch = tuple(keys_of_batch_run(run)) if run is not None else ()
    return TickRun(sensor, job_name, request.partition_key, outcome.run_id, outcome.success, batch)


def _has_run(instance: DagsterInstance, run_key: str) -> bool:
    return bool(instance.get_run_ids(filters=RunsFilter(tags={RUN_KEY_TAG: run_key}), limit=1))
