"""Dagster's own event index, cleaned of given runs: their asset check executions, and the
asset index rows that cache one of their events (`asset_keys.last_materialization`).

`instance.delete_run` removes a run's event records but not these copies; Dagster has no
API for them, so they are reached through its own schema objects, on the SQL event storage.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from dagster import EventLogEntry
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


def purge_asset_index(storage: SqlEventLogStorage, run_ids: Sequence[str]) -> None:
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
