"""`salesagent backup PATH | --archive` / `salesagent restore PATH | --latest`: the app DB,
with the time it took. `--archive` is what the `backup_app_db` schedule does (back up,
restore into a scratch database to verify, archive, prune); `--latest` restores the newest
archived backup, the runbook's data-loss step."""

from __future__ import annotations

import tempfile
from pathlib import Path

import click

from salesagent_dagster.services.app_db_backups import (
    archive_from_settings,
    back_up_app_db,
    latest_backup,
)
from salesagent_dagster.settings import database_url, load_settings
from salesagent_dagster.store.backup import BackupError, backup_database, restore_database

_PATH = click.Path(dir_okay=False, path_type=Path)


@click.command()
@click.argument("path", type=_PATH, required=False)
@click.option("--archive", is_flag=True, help="Verify it and archive it as the schedule does.")
def backup(path: Path | None, archive: bool) -> None:
    """Back up the app DB (SALESAGENT_DATABASE_URL) to PATH (owner-only file), or with
    --archive to the backup archive (SALESAGENT_BACKUP_*), verified by a restore."""
    if (path is None) == (not archive):
        raise click.UsageError("give a PATH or --archive (one of them)")
    try:
        if archive:
            settings = load_settings()
            report = back_up_app_db(
                database_url(), archive_from_settings(settings), settings.backup_keep_days
            )
            click.echo(
                f"backed up {report.name} ({report.bytes} bytes) in {report.backup_seconds:.2f} s, "
                f"verified ({sum(report.rows.values())} rows) in {report.verify_seconds:.2f} s, "
                f"archived to {report.where}; {len(report.pruned)} pruned"
            )
            return
        assert path is not None
        result = backup_database(database_url(), path)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"backed up to {result.path} ({result.bytes} bytes) in {result.seconds:.2f} s")


@click.command()
@click.argument("path", type=_PATH, required=False)
@click.option("--latest", is_flag=True, help="The newest backup in the archive.")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def restore(path: Path | None, latest: bool, yes: bool) -> None:
    """Replace the app DB's contents with the backup at PATH, or with --latest the newest
    archived one. Stop the daemon and the code server first."""
    if (path is None) == (not latest):
        raise click.UsageError("give a PATH or --latest (one of them)")
    with tempfile.TemporaryDirectory(prefix="salesagent-restore-") as directory:
        if latest:
            archive = archive_from_settings()
            newest = latest_backup(archive)
            if newest is None:
                raise click.ClickException(f"no backup in {archive.where}")
            click.echo(f"newest backup: {newest.name} (taken {newest.taken_at:%Y-%m-%d %H:%M} UTC)")
            path = archive.fetch(newest.name, Path(directory) / newest.name)
        assert path is not None
        if not yes:
            click.confirm("Replace the app DB with this backup?", abort=True)
        try:
            result = restore_database(database_url(), path)
        except BackupError as exc:
            raise click.ClickException(str(exc)) from exc
    click.echo(f"restored from {result.path.name} in {result.seconds:.2f} s")
