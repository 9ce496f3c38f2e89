"""The daily app DB backup: taken, proven restorable, archived, and the old ones pruned.

Why verify every one: a backup nobody restored is a hope, not a backup. Each one is restored
into a scratch database and its rows counted before it is archived, so the archive only
ever holds backups that restored, and a failing one fails its run (a dead letter, alerted)
instead of being found out on the day it is needed.

Pruning keeps `keep_days` of them and never the last verified one: a run of failures must
not leave the archive empty.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from salesagent_dagster.settings import Settings, dagster_home, load_settings
from salesagent_dagster.store.backup import backup_database, verify_backup
from salesagent_dagster.store.backup_archive import (
    ArchivedBackup,
    BackupArchive,
    DirectoryArchive,
    S3Archive,
    backup_name,
)
from salesagent_dagster.store.database import normalise_database_url
from salesagent_dagster.store.models import utc_now


@dataclass(frozen=True)
class BackupReport:
    name: str
    where: str
    bytes: int
    backup_seconds: float
    verify_seconds: float
    revision: str
    rows: dict[str, int]
    pruned: list[str]

    def as_metadata(self) -> dict[str, Any]:
        """Names, sizes, times and counts: nothing from a row (DESIGN I-6)."""
        return {
            "backup": self.name,
            "archive": self.where,
            "bytes": self.bytes,
            "backup_seconds": round(self.backup_seconds, 2),
            "verify_seconds": round(self.verify_seconds, 2),
            "revision": self.revision,
            "rows_total": sum(self.rows.values()),
            "tables": len(self.rows),
            "pruned": len(self.pruned),
        }


def archive_from_settings(settings: Settings | None = None) -> BackupArchive:
    """S3 when a bucket is set (SALESAGENT_BACKUP_BUCKET, else the compute logs' bucket),
    else a directory (SALESAGENT_BACKUP_DIR, else DAGSTER_HOME/backups)."""
    settings = settings or load_settings()
    bucket = settings.backup_bucket or settings.compute_logs_bucket
    if bucket:
        return S3Archive(bucket, settings.backup_prefix)
    return DirectoryArchive(
        Path(settings.backup_dir) if settings.backup_dir else dagster_home() / "backups"
    )


def back_up_app_db(
    database_url: str, archive: BackupArchive, keep_days: int, now: datetime | None = None
) -> BackupReport:
    """Back up the app DB, restore it into a scratch database and count its rows, archive it,
    then prune backups older than `keep_days`. Raises BackupError when any step fails (and
    then archives nothing)."""
    now = now or utc_now()
    name = backup_name(now, postgres=normalise_database_url(database_url).startswith("postgresql"))
    with tempfile.TemporaryDirectory(prefix="salesagent-backup-") as directory:
        taken = backup_database(database_url, Path(directory) / name)
        verified = verify_backup(database_url, taken.path)
        archive.put(taken.path, name)
    pruned = prune(archive, keep_days, now, keep=name)
    return BackupReport(
        name, archive.where, taken.bytes, taken.seconds, verified.seconds,
        verified.revision or "", verified.rows, pruned,
    )  # fmt: skip


def prune(archive: BackupArchive, keep_days: int, now: datetime, keep: str) -> list[str]:
    """Delete the backups taken more than `keep_days` before `now`, except `keep`."""
    cutoff = now - timedelta(days=keep_days)
    old = [b.name for b in archive.backups() if b.taken_at < cutoff and b.name != keep]
    for name in old:
        archive.delete(name)
    return old


def latest_backup(archive: BackupArchive) -> ArchivedBackup | None:
    backups = archive.backups()
    return backups[-1] if backups else None
