"""When leads share a run, and which runs a batch is: shared by the intake sensor, the
backlog sensor, dead letters, erasure and retention.

A lone lead gets its own `process_lead` run at once whenever a run slot is free; only leads
that would wait behind busy slots anyway are carried together by `process_lead_batch`, so
the run worker start (the biggest cost of a lead's run, DESIGN section 5) is paid once per
batch instead of once per lead.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence

from dagster import DagsterInstance, DagsterRun, DagsterRunStatus, RunsFilter

from salesagent_dagster.services.run_tags import (
    BATCH_TAG,
    BATCHED_LEAD_OP,
    ROOT_RUN_ID_TAG,
    RUN_KEY_TAG,
)

MAX_BATCH = 20
IN_FLIGHT = [
    DagsterRunStatus.QUEUED,
    DagsterRunStatus.NOT_STARTED,
    DagsterRunStatus.STARTING,
    DagsterRunStatus.STARTED,
]
_STEP = re.compile(rf"^{BATCHED_LEAD_OP}\[(?P<key>[A-Za-z0-9_]+)\]$")
_CHUNK = 200


def run_slots(instance: DagsterInstance) -> int | None:
    """`max_concurrent_runs` of the instance's run queue; None when it sets no limit."""
    config = instance.get_concurrency_config().run_queue_config
    limit = config.max_concurrent_runs if config is not None else -1
    return limit if limit >= 0 else None


def free_run_slots(instance: DagsterInstance) -> int:
    """Runs the queue would start now beside those in flight; a large number when the
    instance sets no limit."""
    limit = run_slots(instance)
    if limit is None:
        return 1_000_000
    return max(0, limit - instance.get_runs_count(RunsFilter(statuses=IN_FLIGHT)))


def split_into_batches(
    keys: Sequence[str], size: int = MAX_BATCH, slots: int | None = None
) -> list[list[str]]:
    """Batches of at most `size`, of even sizes, oldest first: as few as that takes; when
    that is more than one, rounded up to a multiple of the run slots, so the last round of
    batch runs keeps every slot busy instead of running one batch alone."""
    if not keys:
        return []
    count = math.ceil(len(keys) / size)
    if slots and count > 1:
        count = min(len(keys), math.ceil(count / slots) * slots)
    per, extra = divmod(len(keys), count)
    batches, start = [], 0
    for index in range(count):
        end = start + per + (1 if index < extra else 0)
        batches.append(list(keys[start:end]))
        start = end
    return batches


def batch_config(keys: Sequence[str]) -> dict[str, object]:
    """The batch job's run config: the opaque keys of its leads (DESIGN I-6)."""
    return {"ops": {"split_lead_batch": {"config": {"partition_keys": list(keys)}}}}


def keys_of_batch_run(run: DagsterRun) -> list[str]:
    ops = (run.run_config or {}).get("ops", {})
    config = ops.get("split_lead_batch", {}).get("config", {}) if isinstance(ops, dict) else {}
    return [str(key) for key in config.get("partition_keys", [])]


def lead_of_step(step_key: str) -> str | None:
    """The lead a batch run's step was about (`process_batched_lead[<key>]`), else None."""
    match = _STEP.match(step_key)
    return match.group("key") if match else None


def step_of_lead(key: str) -> str:
    return f"{BATCHED_LEAD_OP}[{key}]"


def runs_of_batches(
    instance: DagsterInstance, batch_keys: Iterable[str]
) -> dict[str, list[DagsterRun]]:
    """Every run of each of these batches: those tagged with the batch, and every
    re-execution descending from them (by `dagster/root_run_id`), whatever tags it kept."""
    keys = sorted(set(batch_keys))
    runs: dict[str, DagsterRun] = {}
    for start in range(0, len(keys), _CHUNK):
        for run in instance.get_runs(
            filters=RunsFilter(tags={BATCH_TAG: keys[start : start + _CHUNK]})
        ):
            runs[run.run_id] = run
    batch_of_root = {
        run.root_run_id or run.run_id: run.tags[BATCH_TAG]
        for run in runs.values()
        if run.tags.get(BATCH_TAG) in keys
    }
    roots = sorted(batch_of_root)
    by_batch: dict[str, list[DagsterRun]] = {key: [] for key in keys}
    for start in range(0, len(roots), _CHUNK):
        chunk = roots[start : start + _CHUNK]
        for run in instance.get_runs(filters=RunsFilter(tags={ROOT_RUN_ID_TAG: chunk})):
            runs[run.run_id] = run
    for run in runs.values():
        batch = batch_of_root.get(run.root_run_id or run.run_id) or run.tags.get(BATCH_TAG)
        if batch in by_batch:
            by_batch[batch].append(run)
    return by_batch


def batches_with_runs(instance: DagsterInstance, batch_keys: Iterable[str]) -> set[str]:
    """Which of these batches Dagster already holds a run for (requested with the batch's
    key as run key, as the backlog sensor asks)."""
    keys = sorted(set(batch_keys))
    found: set[str] = set()
    for start in range(0, len(keys), _CHUNK):
        runs = instance.get_runs(
            filters=RunsFilter(tags={RUN_KEY_TAG: keys[start : start + _CHUNK]})
        )
        found |= {run.tags[RUN_KEY_TAG] for run in runs if RUN_KEY_TAG in run.tags}
    return found


def batch_key_of(run: DagsterRun) -> str | None:
    return run.tags.get(BATCH_TAG) or None
