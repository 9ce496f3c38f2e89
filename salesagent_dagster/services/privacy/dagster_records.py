"""A lead's footprint in the Dagster instance: runs, event records, compute logs, partition.

`instance.delete_run` removes the run and its event records, but Dagster keeps two copies of
events outside a run's rows: the asset index (`asset_keys.last_materialization`, which holds
the latest `draft` materialization with its preview text) and asset check executions (their
evaluation events). Both are cleaned too (`store.dagster_event_index`), so an erased or
expired lead leaves no event behind (DESIGN I-7).

A batch run (`process_lead_batch`) holds several leads' events. Its members come from the
app DB (`lead_batch_members`, passed in as `batches`: batch key -> members still there);
while some other member remains, only the lead's own step events leave the batch's runs
(each lead's events are those of its own mapped step), with their index copies and check
executions. Dagster's `wipe_asset_partitions` would be the API for it, but the OSS SQL
storages do not implement it (NotImplementedError), hence the direct deletes. Once every
member of a batch is going, its runs are deleted whole.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from dagster import DagsterInstance, DagsterRun, DagsterRunStatus, RunsFilter
from dagster._core.storage.event_log.sql_event_log import SqlEventLogStorage

from salesagent_dagster.services.lead_batching import runs_of_batches, step_of_lead
from salesagent_dagster.services.run_tags import PARTITION_TAG, SUBMISSIONS_PARTITIONS_NAME
from salesagent_dagster.store.dagster_event_index import (
    count_check_executions,
    count_step_events,
    delete_step_events,
    purge_asset_index,
)

Batches = Mapping[str, set[str]]  # batch key -> the members it still has

UNFINISHED = (
    DagsterRunStatus.QUEUED,
    DagsterRunStatus.NOT_STARTED,
    DagsterRunStatus.STARTING,
    DagsterRunStatus.STARTED,
    DagsterRunStatus.CANCELING,
)
_CHUNK = 200


@dataclass
class DagsterDeletion:
    runs: int = 0
    event_records: int = 0
    compute_log_runs: int = 0
    partitions: int = 0
    asset_check_executions: int = 0
    batch_lead_event_records: int = 0  # taken out of batch runs other leads still share
    run_ids: list[str] = field(default_factory=list)

    def add(self, other: DagsterDeletion) -> None:
        self.runs += other.runs
        self.event_records += other.event_records
        self.compute_log_runs += other.compute_log_runs
        self.asset_check_executions += other.asset_check_executions
        self.run_ids += other.run_ids

    def as_counts(self) -> dict[str, int]:
        return {
            "dagster_runs": self.runs,
            "dagster_event_records": self.event_records,
            "dagster_compute_log_runs": self.compute_log_runs,
            "dagster_partitions": self.partitions,
            "dagster_asset_check_executions": self.asset_check_executions,
            "dagster_batch_lead_event_records": self.batch_lead_event_records,
        }


def runs_of_partitions(instance: DagsterInstance, keys: Sequence[str]) -> list[DagsterRun]:
    runs: list[DagsterRun] = []
    for start in range(0, len(keys), _CHUNK):
        chunk = list(keys[start : start + _CHUNK])
        runs += instance.get_runs(filters=RunsFilter(tags={PARTITION_TAG: chunk}))
    return runs


def keys_with_unfinished_runs(
    instance: DagsterInstance, keys: Sequence[str], batches: Batches | None = None
) -> set[str]:
    """Leads a run is working on now (their own, or a batch run carrying them): deleting
    under it would break the run."""
    busy = {
        run.tags[PARTITION_TAG]
        for run in runs_of_partitions(instance, keys)
        if run.status in UNFINISHED
    }
    for batch, runs in runs_of_batches(instance, (batches or {}).keys()).items():
        if any(run.status in UNFINISHED for run in runs):
            busy |= set(keys) & (batches or {})[batch]
    return busy


def delete_partition_records(
    instance: DagsterInstance,
    keys: Sequence[str],
    dry_run: bool = False,
    batches: Batches | None = None,
) -> DagsterDeletion:
    """Every run of these partitions, with its events and compute logs, their events in
    the batch runs they were in, then the partitions."""
    deletion = delete_runs(
        instance, [r.run_id for r in runs_of_partitions(instance, keys)], dry_run
    )
    if batches:
        _clear_batches(instance, keys, batches, deletion, dry_run)
    existing = set(instance.get_dynamic_partitions(SUBMISSIONS_PARTITIONS_NAME))
    doomed = [key for key in keys if key in existing]
    deletion.partitions = len(doomed)
    if not dry_run:
        for key in doomed:
            instance.delete_dynamic_partition(SUBMISSIONS_PARTITIONS_NAME, key)
    return deletion


def _clear_batches(
    instance: DagsterInstance,
    keys: Sequence[str],
    batches: Batches,
    deletion: DagsterDeletion,
    dry_run: bool,
) -> None:
    """Batch runs whose every member is going are deleted whole; from the others, only
    these leads' steps' events are taken."""
    going = set(keys)
    whole: list[str] = []
    shared: list[str] = []
    leads: set[str] = set()
    for batch, runs in runs_of_batches(instance, batches.keys()).items():
        run_ids = [run.run_id for run in runs]
        if batches[batch] <= going:
            whole += run_ids
        elif run_ids:
            shared += run_ids
            leads |= batches[batch] & going
    deletion.add(delete_runs(instance, sorted(set(whole)), dry_run))
    storage = sql_event_storage(instance)
    if storage is None or not shared or not leads:
        return
    steps = sorted(step_of_lead(key) for key in leads)
    if dry_run:
        deletion.batch_lead_event_records = count_step_events(storage, shared, steps)
        return
    removed, index_ids = delete_step_events(storage, shared, steps, sorted(leads))
    deletion.batch_lead_event_records = removed
    purge_asset_index(storage, [], index_ids)


def delete_runs(
    instance: DagsterInstance, run_ids: Sequence[str], dry_run: bool = False
) -> DagsterDeletion:
    deletion = DagsterDeletion(runs=len(run_ids), run_ids=list(run_ids))
    for run_id in run_ids:
        deletion.event_records += len(instance.all_logs(run_id))
        deletion.compute_log_runs += 1
    storage = sql_event_storage(instance)
    if storage is not None and run_ids:
        deletion.asset_check_executions = count_check_executions(storage, run_ids)
    if dry_run:
        return deletion
    for run_id in run_ids:
        instance.compute_log_manager.delete_logs(prefix=[run_id])
        instance.delete_run(run_id)
    if storage is not None and run_ids:
        purge_asset_index(storage, run_ids)
    return deletion


def sql_event_storage(instance: DagsterInstance) -> SqlEventLogStorage | None:
    """The SQL event storage behind the instance (unwrapping `storage: postgres:` configs)."""
    storage: object = instance.event_log_storage
    for _ in range(3):
        if isinstance(storage, SqlEventLogStorage):
            return storage
        inner = getattr(storage, "_storage", None)
        storage = getattr(inner, "event_log_storage", None)
    return None
