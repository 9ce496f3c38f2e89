"""The app DB as a Dagster resource: a transaction per unit of work."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from dagster import ConfigurableResource
from sqlalchemy.orm import Session

from salesagent_dagster.store.database import ensure_migrated, session_scope


class AppStoreResource(ConfigurableResource):
    """SALESAGENT_DATABASE_URL: SQLite under DAGSTER_HOME by default, Postgres in production."""

    database_url: str

    @contextmanager
    def session(self) -> Iterator[Session]:
        ensure_migrated(self.database_url)
        with session_scope(self.database_url) as session:
            yield session
