"""`salesagent db upgrade`: apply the app DB's migrations (production runs this on deploy)."""

from __future__ import annotations

import click

from salesagent_dagster.settings import database_url
from salesagent_dagster.store.database import migrate


@click.group()
def db() -> None:
    """The application database."""


@db.command()
def upgrade() -> None:
    """Apply Alembic migrations to SALESAGENT_DATABASE_URL."""
    url = database_url()
    migrate(url)
    click.echo(f"app DB at head: {_redacted(url)}")


def _redacted(url: str) -> str:
    """Never print a password from a database URL."""
    if "@" not in url or "://" not in url:
        return url
    scheme, rest = url.split("://", 1)
    credentials, host = rest.rsplit("@", 1)
    user = credentials.split(":", 1)[0]
    return f"{scheme}://{user}:***@{host}"
