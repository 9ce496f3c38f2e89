"""`salesagent backup PATH` / `salesagent restore PATH`: the app DB, with the time it took."""

from __future__ import annotations

from pathlib import Path

import click

from salesagent_dagster.settings import database_url
from salesagent_dagster.store.backup import BackupError, backup_database, restore_database

_PATH = click.Path(dir_okay=False, path_type=Path)


@click.command()
@click.argument("path", type=_PATH)
def backup(path: Path) -> None:
    """Back up the app DB (SALESAGENT_DATABASE_URL) to PATH (owner-only file)."""
    try:
        result = backup_database(database_url(), path)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"backed up to {result.path} ({result.bytes} bytes) in {result.seconds:.2f} s")


@click.command()
@click.argument("path", type=_PATH)
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def restore(path: Path, yes: bool) -> None:
    """Replace the app DB's contents with the backup at PATH. Stop the daemon first."""
    if not yes:
        click.confirm("Replace the app DB with this backup?", abort=True)
    try:
        result = restore_database(database_url(), path)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"restored from {result.path} in {result.seconds:.2f} s")
