"""A lead's footprint in the Dagster instance: runs, event records, compute logs, partition.

`instance.delete_run` removes the run and its event records, but Dagster keeps two copies of
events outside a run's rows: the asset index (`asset_keys.last_materialization`, which holds
the latest `draft` materialization with its preview text) and asset check executions (their
evaluation events). Both are cleaned here, with Dagster's own schema objects, so an erased or
expired lead leaves no event behind (DESIGN I-7).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from dagster import DagsterInstance, DagsterRun, DagsterRunStatus, EventLogEntry, RunsFilter
from dagster._core.event_api import EventLogRecord
from dagster._core.events import DagsterEventType
from dagster._core.storage.event_log.schema import (
    AssetCheckExecutionsTable,
    AssetKeyTable,
    SqlEventLogStorageTable,
)
from dagster._core.storage.event_log.sql_event_log import SqlEventLogStorage
from dagster._serdes import deserialize_value, serialize_value
from sqlalchemy import and_, delete, select, update

from salesagent_dagster.defs.partitions import submissions_partitions

PARTITION_TAG = "dagster/partition"
PARTITIONS_DEF_NAME = submissions_partitions.name or "submissions"
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
    run_ids: list[str] = field(default_factory=list)

    def as_counts(self) -> dict[str, int]:
        return {
            "dagster_runs": self.runs,
            "dagster_event_records": self.event_records,
            "dagster_compute_log_runs": self.compute_log_runs,
            "dagster_partitions": self.partitions,
            "dagster_asset_check_executions": self.asset_check_executions,
        }


def runs_of_partitions(instance: DagsterInstance, keys: Sequence[str]) -> list[DagsterRun]:
    runs: list[DagsterRun] = []
    for start in range(0, len(keys), _CHUNK):
        chunk = list(keys[start : start + _CHUNK])
        runs += instance.get_runs(filters=RunsFilter(tags={PARTITION_TAG: chunk}))
    return runs


def keys_with_unfinished_runs(instance: DagsterInstance, keys: Sequence[str]) -> set[str]:
    """Leads a run is working on now: deleting under it would break the run."""
    return {
        run.tags[PARTITION_TAG]
        for run in runs_of_partitions(instance, keys)
        if run.status in UNFINISHED
    }


def delete_partition_records(
    instance: DagsterInstance, keys: Sequence[str], dry_run: bool = False
) -> DagsterDeletion:
    """Every run of these partitions, with its events and compute logs, then the partitions."""
    deletion = delete_runs(
        instance, [r.run_id for r in runs_of_partitions(instance, keys)], dry_run
    )
    existing = set(instance.get_dynamic_partitions(PARTITIONS_DEF_NAME))
    doomed = [key for key in keys if key in existing]
    deletion.partitions = len(doomed)
    if not dry_run:
        for key in doomed:
            instance.delete_dynamic_partition(PARTITIONS_DEF_NAME, key)
    return deletion


def delete_runs(
    instance: DagsterInstance, run_ids: Sequence[str], dry_run: bool = False
) -> DagsterDeletion:
    deletion = DagsterDeletion(runs=len(run_ids), run_ids=list(run_ids))
    for run_id in run_ids:
        deletion.event_records += len(instance.all_logs(run_id))
        deletion.compute_log_runs += 1
    storage = sql_event_storage(instance)
    if storage is not None and run_ids:
        deletion.asset_check_executions = _count_check_executions(storage, run_ids)
    if dry_run:
        return deletion
    for run_id in run_ids:
        instance.compute_log_manager.delete_logs(prefix=[run_id])
        instance.delete_run(run_id)
    if storage is not None and run_ids:
        _purge_asset_index(storage, run_ids)
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


def _count_check_executions(storage: SqlEventLogStorage, run_ids: Sequence[str]) -> int:
    total = 0
    with storage.index_connection() as conn:
        for chunk in _chunks(run_ids):
            total += len(
                conn.execute(
                    select(AssetCheckExecutionsTable.c.id).where(
                        AssetCheckExecutionsTable.c.run_id.in_(chunk)
                    )
                ).fetchall()
            )
    return total


def _purge_asset_index(storage: SqlEventLogStorage, run_ids: Sequence[str]) -> None:
    """Drop check executions of the runs; point each asset's cached last materialization
    at the newest one left (or none), and drop the status cache that lists partitions.

    The cached record is recognised by its own run id: `last_run_id` also moves on planned
    materializations, so it does not say whose event is cached."""
    doomed = set(run_ids)
    with storage.index_connection() as conn:
        for chunk in _chunks(run_ids):
            conn.execute(
                delete(AssetCheckExecutionsTable).where(
                    AssetCheckExecutionsTable.c.run_id.in_(chunk)
                )
            )
        assets = conn.execute(
            select(
                AssetKeyTable.c.asset_key,
                AssetKeyTable.c.last_materialization,
                AssetKeyTable.c.last_run_id,
            )
        ).fetchall()
        for asset_key, cached, last_run_id in assets:
            cached_run = _run_id_of(cached)
            values: dict[str, object] = {}
            if cached_run in doomed:
                newest = _newest_materialization(conn, asset_key)
                values["last_materialization"] = serialize_value(newest) if newest else None
            if last_run_id in doomed:
                values["last_run_id"] = None
            if values:
                conn.execute(
                    update(AssetKeyTable)
                    .where(AssetKeyTable.c.asset_key == asset_key)
                    .values(**values)
                )
        conn.execute(update(AssetKeyTable).values(cached_status_data=None))


def _run_id_of(serialized: str | None) -> str | None:
    if not serialized:
        return None
    record = deserialize_value(serialized)
    entry = getattr(record, "event_log_entry", record)
    return getattr(entry, "run_id", None)


def _newest_materialization(conn: Any, asset_key: str) -> EventLogRecord | None:
    newest = conn.execute(
        select(SqlEventLogStorageTable.c.id, SqlEventLogStorageTable.c.event)
        .where(
            and_(
                SqlEventLogStorageTable.c.asset_key == asset_key,
                SqlEventLogStorageTable.c.dagster_event_type
                == DagsterEventType.ASSET_MATERIALIZATION.value,
            )
        )
        .order_by(SqlEventLogStorageTable.c.id.desc())
        .limit(1)
    ).first()
    if newest is None:
        return None
    entry = deserialize_value(newest[1], EventLogEntry)
    return EventLogRecord(storage_id=newest[0], event_log_entry=entry)


def _chunks(items: Sequence[str]) -> Iterable[list[str]]:
    for start in range(0, len(items), _CHUNK):
        yield list(items[start : start + _CHUNK])
