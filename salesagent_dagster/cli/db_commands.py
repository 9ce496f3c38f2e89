"""`salesagent db upgrade`: apply the app DB's migrations (production runs this on deploy);
`salesagent db downgrade REVISION`: take them back to a named one (rolling back a deploy)."""

from __future__ import annotations

import click

from salesagent_dagster.settings import database_url
from salesagent_dagster.store.database import database_revision, migrate
from salesagent_dagster.store.schema_downgrade import DowngradeRefused, downgrade_steps
from salesagent_dagster.store.schema_downgrade import downgrade as downgrade_schema


@click.group()
def db() -> None:
    """The application database."""


@db.command()
def upgrade() -> None:
    """Apply Alembic migrations to SALESAGENT_DATABASE_URL."""
    url = database_url()
    migrate(url)
    click.echo(f"app DB at head: {_redacted(url)}")


@db.command()
@click.argument("revision")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def downgrade(revision: str, yes: bool) -> None:
    """Undo the migrations above REVISION (e.g. 0011), with this release's code, before the
    previous image starts. Drops what they added: `salesagent backup PATH` first."""
    url = database_url()
    try:
        steps = downgrade_steps(database_revision(url), revision)
        if not yes:
            click.confirm(
                f"Undo migration(s) {', '.join(steps)}, dropping what they added?", abort=True
            )
        downgrade_schema(url, revision)
    except DowngradeRefused as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"app DB at {revision} (undid {', '.join(steps)}): {_redacted(url)}")


def _redacted(url: str) -> str:
    """Never print a password from a database URL."""
    if "@" not in url or "://" not in url:
        return url
    scheme, rest = url.split("://", 1)
    credentials, host = rest.rsplit("@", 1)
    user = credentials.split(":", 1)[0]
    return f"{scheme}://{user}:***@{host}"
