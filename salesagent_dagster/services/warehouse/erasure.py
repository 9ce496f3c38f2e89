"""Erasure in the warehouse (DESIGN I-7): the person's raw rows go, by the salted address
hash (their leads and suppressions) and by their leads' partition keys (every per-lead
table). Staging models and the per-lead mart views read the raw tables, so the person is
gone from them at once; the aggregate marts are rebuilt by the next `dbt build` (the hourly
refresh). The scan looks for the address in every text column of the warehouse's schemas
and in the DuckDB file's bytes (its free blocks included)."""

from __future__ import annotations

from collections.abc import Sequence

from salesagent_dagster.services.warehouse.location import WarehouseLocation, configured_warehouse
from salesagent_dagster.services.warehouse.lock import warehouse_writer
from salesagent_dagster.store import warehouse
from salesagent_dagster.store.warehouse import PER_LEAD_TABLES, PERSON_HASH_TABLES


def erase_from_warehouse(
    email_hashes: Sequence[str],
    partition_keys: Sequence[str],
    location: WarehouseLocation | None = None,
) -> int:
    """Delete the person's raw rows; how many went (0 when no warehouse exists yet)."""
    location = location or configured_warehouse()
    if location.is_duckdb and not location.path.exists():
        return 0
    deleted = 0
    with warehouse_writer(location):
        with warehouse.open_warehouse(location.path, location.url) as wh:
            if not warehouse.raw_tables_exist(wh):
                return 0
            for table in PER_LEAD_TABLES:
                deleted += warehouse.delete_where(wh, table, "lead_key", list(partition_keys))
            for table in PERSON_HASH_TABLES:
                deleted += warehouse.delete_where(wh, table, "person_hash", list(email_hashes))
        if location.is_duckdb:
            warehouse.checkpoint(location.path)
    return deleted


def find_in_warehouse(
    needles: Sequence[str], location: WarehouseLocation | None = None
) -> list[str]:
    """Where any of `needles` (spellings of an address) is in the warehouse: its text columns
    and, on DuckDB, the file's bytes. Empty when nowhere (or no warehouse exists yet)."""
    location = location or configured_warehouse()
    if location.is_duckdb and not location.path.exists():
        return []
    with warehouse_writer(location):
        with warehouse.open_warehouse(location.path, location.url, read_only=True) as wh:
            found = warehouse.text_columns_containing(wh, needles)
        if location.is_duckdb:
            encoded = [n.lower().encode() for n in needles]
            for path in (location.path, location.path.with_name(location.path.name + ".wal")):
                if path.exists() and any(n in path.read_bytes().lower() for n in encoded):
                    found.append(f"file {path.name}")
    return found
