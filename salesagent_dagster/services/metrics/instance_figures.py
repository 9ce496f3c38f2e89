"""What the Dagster instance says: dead letters, and when each sensor and schedule last ticked.

Read through the instance's public API, bounded: the newest `RUN_WINDOW` runs of the lead
job (the same grouping as services.dead_letters, without reading each failure's event log,
which the CLI's list needs and a count does not) and one tick per schedule.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from dagster import DagsterInstance
from dagster._core.definitions.run_request import InstigatorType
from dagster._core.scheduler.instigation import (
    InstigatorState,
    InstigatorStatus,
    ScheduleInstigatorData,
    SensorInstigatorData,
)
from dagster._utils.schedules import cron_string_iterator

from salesagent_dagster.services.dead_letters import failed_leads
from salesagent_dagster.services.metrics.figures import InstanceFigures, Instigator

RUN_WINDOW = 2000  # newest lead runs looked at; older failures were re-run or pruned long ago
DEFAULT_SENSOR_INTERVAL = 30.0  # Dagster's own default minimum_interval_seconds
RUNNING = (InstigatorStatus.RUNNING, InstigatorStatus.DECLARED_IN_CODE)


def read_instance_figures(instance: DagsterInstance) -> InstanceFigures:
    return InstanceFigures(dead_letter_count(instance), instigators(instance))


def dead_letter_count(instance: DagsterInstance) -> int:
    """Leads whose newest attempt failed and nothing is retrying (services.dead_letters'
    rule, batch runs' leads included)."""
    return len(failed_leads(instance, RUN_WINDOW))


def instigators(instance: DagsterInstance) -> list[Instigator]:
    """Every sensor and schedule the daemon has a state for, with its last tick."""
    found = []
    for state in instance.all_instigator_state():
        if state.instigator_type == InstigatorType.SENSOR:
            found.append(_sensor(state))
        elif state.instigator_type == InstigatorType.SCHEDULE:
            found.append(_schedule(instance, state))
    return sorted(found, key=lambda i: (i.kind, i.name))


def _sensor(state: InstigatorState) -> Instigator:
    data = state.instigator_data
    last = data.last_tick_timestamp if isinstance(data, SensorInstigatorData) else None
    interval = (
        data.min_interval if isinstance(data, SensorInstigatorData) and data.min_interval else 0
    )
    return Instigator(
        state.instigator_name,
        "sensor",
        state.status in RUNNING,
        _at(last),
        float(interval or DEFAULT_SENSOR_INTERVAL),
    )


def _schedule(instance: DagsterInstance, state: InstigatorState) -> Instigator:
    ticks = instance.get_ticks(state.instigator_origin_id, state.selector_id, limit=1)
    data = state.instigator_data
    started = data.start_timestamp if isinstance(data, ScheduleInstigatorData) else None
    last = ticks[0].timestamp if ticks else started
    cron = data.cron_schedule if isinstance(data, ScheduleInstigatorData) else "0 0 * * *"
    return Instigator(
        state.instigator_name, "schedule", state.status in RUNNING, _at(last), _period(cron)
    )


def _period(cron: str | Sequence[str]) -> float:
    """Seconds between two consecutive cron times (the first of several cron strings); the
    timezone only shifts them, and a daylight-saving hour is inside the alert's slack."""
    first = cron if isinstance(cron, str) else cron[0]
    times = cron_string_iterator(datetime.now(UTC).timestamp(), first, "UTC")
    a, b = next(times), next(times)
    return (b - a).total_seconds()


def _at(timestamp: float | None) -> datetime | None:
    return datetime.fromtimestamp(timestamp, tz=UTC) if timestamp else None
