"""Dagster's own event index, cleaned of given runs: their asset check executions, and the
asset index rows that cache one of their events (`asset_keys.last_materialization`); and
one lead's events taken out of a batch run that other leads share (`delete_step_events`).

`instance.delete_run` removes a run's event records but not these copies; Dagster has no
API for them, so they are reached through its own schema objects, on the SQL event storage.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from typing import Any

from dagster import EventLogEntry
from dagster._core.event_api import EventLogRecord
from dagster._core.events import DagsterEventType
from dagster._core.storage.event_log.schema import (
    AssetCheckExecutionsTable,
    AssetEventTagsTable,
    AssetKeyTable,
    SqlEventLogStorageTable,
)
from dagster._core.storage.event_log.sql_event_log import SqlEventLogStorage
from dagster._serdes import deserialize_value, serialize_value
from sqlalchemy import and_, delete, select, update

_CHUNK = 200


def count_check_executions(storage: SqlEventLogStorage, run_ids: Sequence[str]) -> int:
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


def count_step_events(
    storage: SqlEventLogStorage, run_ids: Sequence[str], step_keys: Sequence[str]
) -> int:
    total = 0
    for run_id in run_ids:
        with storage.run_connection(run_id) as conn:
            total += len(
                conn.execute(
                    _step_events(select(SqlEventLogStorageTable.c.id), [run_id], step_keys)
                ).fetchall()
            )
    return total


def delete_step_events(
    storage: SqlEventLogStorage,
    run_ids: Sequence[str],
    step_keys: Sequence[str],
    partitions: Sequence[str],
) -> tuple[int, list[int]]:
    """Every event these steps logged in these runs, where the runs are shared with other
    steps that stay: in the run's own event records and in the cross-run index (asset and
    check events, their tags), and the check executions of these partitions in the runs.
    Returns how many event records went and the index ids removed (for
    `purge_asset_index`). Run shard and index are one table on Postgres, two on SQLite."""
    with storage.index_connection() as conn:
        index_ids = [
            row[0]
            for row in conn.execute(
                _step_events(select(SqlEventLogStorageTable.c.id), run_ids, step_keys)
            ).fetchall()
        ]
        for chunk in _int_chunks(index_ids):
            conn.execute(
                delete(AssetEventTagsTable).where(AssetEventTagsTable.c.event_id.in_(chunk))
            )
            conn.execute(
                delete(AssetCheckExecutionsTable).where(
                    AssetCheckExecutionsTable.c.evaluation_event_storage_id.in_(chunk)
                )
            )
        for keys in _chunks(partitions):
            conn.execute(
                delete(AssetCheckExecutionsTable).where(
                    AssetCheckExecutionsTable.c.run_id.in_(list(run_ids)),
                    AssetCheckExecutionsTable.c.partition.in_(keys),
                )
            )
        removed = conn.execute(_step_events(delete(SqlEventLogStorageTable), run_ids, step_keys))
        total = removed.rowcount or 0
    for run_id in run_ids:
        with storage.run_connection(run_id) as conn:
            result = conn.execute(
                _step_events(delete(SqlEventLogStorageTable), [run_id], step_keys)
            )
            total += result.rowcount or 0
    return total, index_ids


def _step_events(statement: Any, run_ids: Sequence[str], step_keys: Sequence[str]) -> Any:
    return statement.where(
        SqlEventLogStorageTable.c.run_id.in_(list(run_ids)),
        SqlEventLogStorageTable.c.step_key.in_(list(step_keys)),
    )


def purge_asset_index(
    storage: SqlEventLogStorage, run_ids: Sequence[str], event_ids: Collection[int] = ()
) -> None:
    """Drop check executions of the runs; point each asset's cached last materialization
    at the newest one left (or none) where it is one of the runs' events or one of
    `event_ids`, and drop the status cache that lists partitions.

    The cached record is recognised by its own run id or storage id: `last_run_id` also
    moves on planned materializations, so it does not say whose event is cached."""
    doomed = set(run_ids)
    doomed_events = set(event_ids)
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
            cached_run, cached_id = _run_id_of(cached), _storage_id_of(cached)
            values: dict[str, object] = {}
            if cached_run in doomed or cached_id in doomed_events:
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


def _storage_id_of(serialized: str | None) -> int | None:
    if not serialized:
        return None
    return getattr(deserialize_value(serialized), "storage_id", None)


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


def _int_chunks(items: Sequence[int]) -> Iterable[list[int]]:
    for start in range(0, len(items), _CHUNK):
        yield list(items[start : start + _CHUNK])


def _chunks(items: Sequence[str]) -> Iterable[list[str]]:
    for start in range(0, len(items), _CHUNK):
        yield list(items[start : start + _CHUNK])
