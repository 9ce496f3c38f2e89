"""Backups of the app DB, the one store that holds PII (DESIGN I-6), and restoring them.

Postgres: `pg_dump -Fc` (compressed, restorable table by table) and `pg_restore --clean
--if-exists`, so a restore over a live database replaces what is there. SQLite: the sqlite3
online backup API, which copies a consistent snapshot even while runs write (a plain file
copy could catch a half-written page or miss the WAL).

A backup holds personal data: files are written owner-only, and an erasure does not reach
backups already taken. Keep them no longer than the lead retention window.
"""

from __future__ import annotations

import os
import secrets
import shutil
import sqlite3
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, func, inspect, select, table, text
from sqlalchemy.engine import make_url

from salesagent_dagster.store.database import (
    database_revision,
    dispose_engine,
    get_engine,
    normalise_database_url,
)


class BackupError(RuntimeError):
    """A backup or restore failed; the message says what to check."""


@dataclass(frozen=True)
class BackupResult:
    path: Path
    seconds: float
    bytes: int


def backup_database(database_url: str, path: Path) -> BackupResult:
    started = time.monotonic()
    path.parent.mkdir(parents=True, exist_ok=True)
    url = normalise_database_url(database_url)
    if url.startswith("sqlite"):
        _sqlite_copy(_sqlite_file(url, must_exist=True), path)
    elif url.startswith("postgresql"):
        _run(["pg_dump", "--format=custom", "--no-owner", "--no-privileges",
              f"--file={path}", f"--dbname={_libpq_url(url)}"])  # fmt: skip
    else:
        raise BackupError(f"no backup method for {make_url(url).drivername}")
    path.chmod(0o600)
    return BackupResult(path, time.monotonic() - started, path.stat().st_size)


def restore_database(database_url: str, path: Path) -> BackupResult:
    """Replace the app DB's contents with the backup at `path`. Stop runs first."""
    if not path.is_file():
        raise BackupError(f"no backup file at {path}")
    started = time.monotonic()
    url = normalise_database_url(database_url)
    dispose_engine(url)  # no pooled connection may hold the old database open
    if url.startswith("sqlite"):
        _sqlite_copy(path, _sqlite_file(url, must_exist=False))
    elif url.startswith("postgresql"):
        _run(["pg_restore", "--clean", "--if-exists", "--no-owner", "--no-privileges",
              "--single-transaction", f"--dbname={_libpq_url(url)}", str(path)])  # fmt: skip
    else:
        raise BackupError(f"no restore method for {make_url(url).drivername}")
    return BackupResult(path, time.monotonic() - started, path.stat().st_size)


@dataclass(frozen=True)
class VerifiedBackup:
    """What a restore of the backup into a scratch database held: its migration and the row
    count of every table (counts only: no row leaves the scratch database)."""

    revision: str | None
    rows: dict[str, int]
    seconds: float


def verify_backup(database_url: str, path: Path) -> VerifiedBackup:
    """Restore the backup at `path` into a scratch database of the same kind as
    `database_url` (a temporary SQLite file, or a new database on the same PostgreSQL server,
    which needs CREATEDB), count its rows, and drop it. Raises BackupError if it does not
    restore or holds no schema."""
    started = time.monotonic()
    with _scratch_database(normalise_database_url(database_url)) as scratch:
        try:
            restore_database(scratch, path)
        except sqlite3.DatabaseError as exc:
            raise BackupError(f"the backup at {path} does not restore: {exc}") from exc
        revision = database_revision(scratch)
        engine = get_engine(scratch)
        with engine.connect() as connection:
            names = sorted(inspect(connection).get_table_names())
            rows = {
                name: int(
                    connection.execute(select(func.count()).select_from(table(name))).scalar() or 0
                )
                for name in names
            }
        dispose_engine(scratch)
    if revision is None or not rows:
        raise BackupError(f"the backup at {path} restored no app DB schema")
    return VerifiedBackup(revision, rows, time.monotonic() - started)


@contextmanager
def _scratch_database(url: str) -> Iterator[str]:
    if url.startswith("sqlite"):
        with tempfile.TemporaryDirectory(prefix="salesagent-verify-") as directory:
            yield f"sqlite:///{Path(directory) / 'scratch.db'}"
        return
    if not url.startswith("postgresql"):
        raise BackupError(f"no restore method for {make_url(url).drivername}")
    name = f"salesagent_verify_{secrets.token_hex(4)}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        scratch = make_url(url).set(database=name).render_as_string(hide_password=False)
        try:
            yield scratch
        finally:
            dispose_engine(scratch)
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
    finally:
        admin.dispose()


def _sqlite_file(url: str, must_exist: bool) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:":
        raise BackupError("an in-memory SQLite database cannot be backed up")
    file = Path(database)
    if must_exist and not file.is_file():
        raise BackupError(f"no app DB at {file}; check SALESAGENT_DATABASE_URL")
    return file


def _sqlite_copy(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    with (
        closing(sqlite3.connect(source, timeout=30)) as src,
        closing(sqlite3.connect(target, timeout=30)) as dst,
    ):
        src.backup(dst)


def _libpq_url(url: str) -> str:
    """pg_dump takes libpq URLs: no SQLAlchemy driver suffix."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _run(command: list[str]) -> None:
    if shutil.which(command[0]) is None:
        raise BackupError(f"{command[0]} is not on PATH; install the PostgreSQL client tools")
    # The URL (with any password) goes in argv of a short-lived child; never echoed back.
    done = subprocess.run(command, capture_output=True, text=True, env=os.environ.copy())
    if done.returncode != 0:
        detail = done.stderr.strip().splitlines()[-1:] or ["no output"]
        raise BackupError(f"{command[0]} failed (exit {done.returncode}): {detail[0]}")
