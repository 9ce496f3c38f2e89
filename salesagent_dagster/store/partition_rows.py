"""A lead's rows in the app DB, found generically: every table with a `partition_key` column.

Walking the SQLAlchemy metadata rather than naming tables means a table added later is
covered by retention and erasure without anyone remembering to add it here. Child tables go
before their parents (drafts and enrichments reference leads, leads reference submissions).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import MetaData, Table, delete, func, select
from sqlalchemy.orm import Session

from salesagent_dagster.store.models import Base

PARTITION_COLUMN = "partition_key"
_CHUNK = 500  # SQLite caps bound variables per statement


def partition_tables(metadata: MetaData = Base.metadata) -> list[Table]:
    """Tables keyed by a lead's partition key, children before parents."""
    return [table for table in reversed(metadata.sorted_tables) if PARTITION_COLUMN in table.c]


def count_partition_rows(session: Session, keys: Sequence[str]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for table in partition_tables():
        column = table.c[PARTITION_COLUMN]
        counts[table.name] = sum(
            session.scalar(select(func.count()).select_from(table).where(column.in_(chunk))) or 0
            for chunk in _chunks(keys)
        )
    return counts


def delete_partition_rows(session: Session, keys: Sequence[str]) -> dict[str, int]:
    """Delete every row of these leads, table by table; returns rows deleted per table."""
    counts: dict[str, int] = {}
    for table in partition_tables():
        column = table.c[PARTITION_COLUMN]
        deleted = 0
        for chunk in _chunks(keys):
            result: Any = session.execute(delete(table).where(column.in_(chunk)))
            deleted += result.rowcount or 0
        counts[table.name] = deleted
    session.flush()
    return counts


def partition_rows(session: Session, keys: Sequence[str]) -> dict[str, list[dict[str, Any]]]:
    """Every row of these leads as plain dicts, per table (the export)."""
    rows: dict[str, list[dict[str, Any]]] = {}
    for table in reversed(partition_tables()):
        column = table.c[PARTITION_COLUMN]
        found = [
            dict(row._mapping)
            for chunk in _chunks(keys)
            for row in session.execute(select(table).where(column.in_(chunk)))
        ]
        if found:
            rows[table.name] = found
    return rows


def _chunks(keys: Sequence[str]) -> Iterable[list[str]]:
    keys = list(dict.fromkeys(keys))
    for start in range(0, len(keys), _CHUNK):
        yield keys[start : start + _CHUNK]
