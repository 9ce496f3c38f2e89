"""Deleted rows out of SQLite files for good.

SQLite leaves deleted rows in free pages and in the write-ahead log until they are reused;
an erased address would still be in the file's bytes (and in every backup copied from it).
VACUUM rewrites the file without free pages; a TRUNCATE checkpoint empties the WAL. Postgres
has the same property (dead tuples until VACUUM), which its autovacuum handles.
"""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

from salesagent_dagster.store.database import normalise_database_url


def sqlite_path(database_url: str) -> Path | None:
    url = normalise_database_url(database_url)
    if not url.startswith("sqlite"):
        return None
    database = url.split("///", 1)[-1]
    return Path(database) if database and database != ":memory:" else None


def compact(path: Path) -> bool:
    """VACUUM one SQLite file and truncate its WAL; False if it is busy (try again later)."""
    try:
        with closing(sqlite3.connect(path, timeout=10, isolation_level=None)) as connection:
            connection.execute("VACUUM")
            connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    except sqlite3.OperationalError:
        return False
    return True


def compact_tree(root: Path, skip: set[Path] | None = None) -> list[Path]:
    """Compact every SQLite file under `root` (a Dagster home); returns the busy ones."""
    skip = {p.resolve() for p in skip or set()}
    busy = []
    for path in sorted(root.rglob("*.db")):
        if path.resolve() not in skip and is_sqlite_file(path) and not compact(path):
            busy.append(path)
    return busy


def is_sqlite_file(path: Path) -> bool:
    """By its header, not its name."""
    with path.open("rb") as handle:
        return handle.read(16) == b"SQLite format 3\x00"
